"""The carrier registry: the tracking link is the carrier's page, in the customer's language.

The URLs asserted are our registry's documented formats (docs/carriers.rst),
checked part by part: host, the language or country segment, the number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

import relationclient as rc
from relationclient import carriers, samples
from relationclient.carriers import (
    CARRIERS,
    Carrier,
    find_carrier,
    register_carrier,
    tracking_url_for,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
BERLIN = ZoneInfo("Europe/Berlin")

#: The carriers issue 22 asks for, by the names shops write.
REQUIRED = [
    "DHL Paket",
    "DHL Express",
    "Hermes",
    "Evri",
    "DPD",
    "GLS",
    "PostNL",
    "bpost",
    "Royal Mail",
    "Swiss Post",
    "Österreichische Post",
    "Poste Italiane",
    "Correos",
    "SEUR",
    "UPS",
    "FedEx",
    "Colissimo",
    "Chronopost",
    "Mondial Relay",
]
#: DPD and GLS per country, by name.
NETWORKS = [
    f"{brand} {country}"
    for brand in ("DPD", "GLS")
    for country in (
        "Germany",
        "France",
        "Netherlands",
        "Belgium",
        "Austria",
        "UK",
        "Italy",
        "Spain",
    )
]


@pytest.fixture(autouse=True)
def _registry() -> Iterator[None]:
    """Leave the registry, and the memory of warned carriers, as the test found them."""
    known, aliases, warned = dict(CARRIERS), dict(carriers._ALIASES), set(carriers._WARNED)
    yield
    CARRIERS.clear()
    CARRIERS.update(known)
    carriers._ALIASES.clear()
    carriers._ALIASES.update(aliases)
    carriers._WARNED.clear()
    carriers._WARNED.update(warned)
    find_carrier.cache_clear()


def parts(url: str | None) -> tuple[str, list[str], dict[str, list[str]]]:
    """(host, path segments, query) of ``url``."""
    assert url is not None
    split = urlsplit(url)
    assert split.scheme == "https"
    assert split.hostname is not None
    return split.hostname, [p for p in split.path.split("/") if p], parse_qs(split.query)


def belgian_order(locale: str | None = "nl", **changes: Any) -> rc.Order:
    """An order by a customer in Antwerp reading ``locale``."""
    customer = samples.customer("nl", country="BE", phone="+32 470 12 34 56", locale=locale)
    address = rc.Address(
        name=customer.full_name, line1="Meir 24", postal_code="2000", city="Antwerpen", country="BE"
    )
    delivery = rc.Delivery(method="DHL Paket", address=address, estimated_date=date(2026, 11, 25))
    return samples.order("nl", customer=customer, delivery=delivery, **changes)


def shipment(order: rc.Order, carrier: str, number: str = "00340434161094042557") -> rc.Shipment:
    return rc.Shipment(
        order=order,
        carrier=carrier,
        tracking_number=number,
        shipped_at=datetime(2026, 11, 22, 16, 5, tzinfo=BERLIN),
    )


def german_shop() -> rc.Shop:
    return rc.Shop(
        name="Lichtwerk",
        email="hallo@lichtwerk.example",
        address=rc.Address(line1="Torstraße 101", postal_code="10119", city="Berlin", country="DE"),
        phone="030 12345678",
        website="https://www.lichtwerk.example",
        default_locale="de",
        timezone="Europe/Berlin",
    )


# --- the done-when case ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["nl", "nl_BE", "nl-be"])
def test_dhl_paket_to_a_belgian_reading_dutch_links_dhls_dutch_belgian_page(locale: str) -> None:
    parcel = shipment(belgian_order(locale), "DHL Paket")
    host, path, query = parts(parcel.tracking_url)
    assert host == "www.dhl.com"
    assert path[0] == "be-nl"  # DHL's {country}-{language} site
    assert path[-1] == "tracking-parcel.html"
    assert query["tracking-id"] == ["00340434161094042557"]


def test_the_german_shops_email_and_sms_carry_the_dutch_link() -> None:
    parcel = shipment(belgian_order("nl"), "DHL Paket")
    composer = rc.Composer(german_shop())
    email = composer.email("shipment_sent", shipment=parcel)
    sms = composer.sms("shipment_sent", shipment=parcel)
    assert email.locale == "nl"
    assert parcel.tracking_url is not None
    assert parcel.tracking_url in email.text
    assert parcel.tracking_url.replace("&", "&amp;") in email.html
    assert parcel.tracking_url in sms.body


def test_dhl_paket_stays_on_dhl_de_for_german_and_english_readers() -> None:
    german = shipment(samples.order("de"), "DHL Paket")
    host, path, query = parts(german.tracking_url)
    assert (host, path[0], query["piececode"]) == ("www.dhl.de", "de", ["00340434161094042557"])
    english = tracking_url_for("DHL Paket", "JJD01", locale="en", country="GB")
    assert parts(english)[:2][0] == "www.dhl.de"
    assert parts(english)[1][0] == "en"


# --- languages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("carrier", "locale", "country", "host", "segment"),
    [
        # (carrier, locale, country) → host and the path segment naming the language
        ("DHL", "fr", "BE", "www.dhl.com", "be-fr"),
        ("DHL", "en", "BE", "www.dhl.com", "be-en"),
        ("DHL Express", "it", "CH", "www.dhl.com", "ch-it"),
        ("DHL Express", "de", "AT", "www.dhl.com", "at-de"),
        ("DHL Express", "ja", "JP", "www.dhl.com", "global-en"),
        ("DHL", "nl", "DE", "www.dhl.com", "nl-nl"),
        ("DPD", "de", "DE", "tracking.dpd.de", "de_DE"),
        ("DPD", "de", "AT", "tracking.dpd.de", "de_AT"),
        ("DPD", "it", "IT", "tracking.dpd.de", "it_IT"),
        ("GLS", "de", "DE", "gls-group.com", "DE"),
        ("GLS", "fr", "BE", "gls-group.com", "BE"),
        ("GLS", "es", "ES", "gls-group.com", "ES"),
        ("GLS", "en", "GB", "gls-group.com", "GB"),
        ("GLS Italy", "it", "IT", "gls-group.com", "IT"),
    ],
)
def test_country_site_in_the_customers_language(
    carrier: str, locale: str, country: str, host: str, segment: str
) -> None:
    url = tracking_url_for(carrier, "12345678901234", locale=locale, country=country)
    got_host, path, _ = parts(url)
    assert got_host == host
    assert segment in path
    assert "12345678901234" in (url or "")


@pytest.mark.parametrize(
    ("carrier", "locale", "country", "parameter", "value"),
    [
        ("bpost", "nl", "BE", "lang", "nl"),
        ("bpost", "fr", "BE", "lang", "fr"),
        ("bpost", "en", "IE", "lang", "en"),
        ("Swiss Post", "de", "CH", "lang", "de"),
        ("Swiss Post", "fr", "CH", "lang", "fr"),
        ("Swiss Post", "it", "CH", "lang", "it"),
        ("Swiss Post", "en", "US", "lang", "en"),
        ("Chronopost", "fr", "FR", "langue", "fr"),
        ("Chronopost", "en", "GB", "langue", "en"),
        ("SEUR", "es", "ES", "segOnlineIdioma", "es"),
        ("SEUR", "en", "GB", "segOnlineIdioma", "en"),
        ("UPS", "nl", "BE", "loc", "nl_BE"),
        ("UPS", "fr", "CH", "loc", "fr_CH"),
        ("UPS", "de", None, "loc", "de_DE"),
        ("FedEx", "it", "IT", "locale", "it_IT"),
        ("DPD Belgium", "fr", "BE", "lang", "fr"),
        ("DPD Netherlands", "nl", "NL", "lang", "nl"),
    ],
)
def test_language_given_as_a_parameter(
    carrier: str, locale: str, country: str | None, parameter: str, value: str
) -> None:
    url = tracking_url_for(carrier, "323212345659900", locale=locale, country=country)
    split = urlsplit(url or "")
    # bpost keeps its parameters in the fragment of its single-page tracker
    query = parse_qs(split.query or split.fragment.partition("?")[2])
    assert query[parameter] == [value]


@pytest.mark.parametrize(
    ("carrier", "locale", "english"),
    [
        ("Colissimo", "en", True),
        ("La Poste", "fr", False),
        ("Österreichische Post", "en", True),
        ("Österreichische Post", "de", False),
    ],
)
def test_english_pages_of_national_posts(carrier: str, locale: str, english: bool) -> None:
    url = tracking_url_for(carrier, "6A23456789012", locale=locale)
    _, path, _ = parts(url)
    assert ("en" in path or "track-a-parcel" in path) is english


def test_postnl_deep_link_with_the_destinations_postal_code() -> None:
    dutch = tracking_url_for(
        "PostNL", "3SABCD123456789", locale="nl", country="NL", postal_code="3511 az"
    )
    host, path, query = parts(dutch)
    assert host == "jouw.postnl.nl"
    assert path[-1] == "3SABCD123456789-NL-3511AZ"
    assert query["language"] == ["nl"]
    french = tracking_url_for(
        "PostNL", "3SABCD123456789", locale="fr", country="BE", postal_code="1000"
    )
    host, path, query = parts(french)
    assert (host, path[-1], query["language"]) == (
        "jouw.postnl.be",
        "3SABCD123456789-BE-1000",
        ["fr"],
    )


def test_postnl_without_the_postal_code_still_links_the_number() -> None:
    url = tracking_url_for("PostNL", "3SABCD123456789", locale="nl", country="NL")
    host, _, query = parts(url)
    assert host == "postnl.nl"
    assert query["B"] == ["3SABCD123456789"]


def test_shipment_passes_the_delivery_postal_code() -> None:
    parcel = shipment(samples.order("nl"), "PostNL", "3SABCD123456789")
    assert parts(parcel.tracking_url)[1][-1] == "3SABCD123456789-NL-3511AZ"


@pytest.mark.parametrize(
    ("locale", "country", "expected"),
    [
        ("nl", "BE", "nl"),  # the reader's language
        ("de", "BE", "en"),  # not offered: English before the country's languages
        ("ar", "AE", "en"),
        (None, "BE", "nl"),  # no locale: the country's first language
        (None, None, "nl"),  # nothing known: the carrier's own page
    ],
)
def test_language_fallback_order(locale: str | None, country: str | None, expected: str) -> None:
    url = tracking_url_for("bpost", "323212345659900", locale=locale, country=country)
    assert (url or "").endswith(f"&lang={expected}")


def test_customer_without_locale_gets_their_countrys_language() -> None:
    parcel = shipment(belgian_order(None), "DHL")
    assert parts(parcel.tracking_url)[1][0] == "be-nl"


def test_old_call_without_locale_keeps_working() -> None:
    assert tracking_url_for("Colissimo", "6A1") == (CARRIERS["colissimo"].url.format(number="6A1"))
    assert tracking_url_for("DHL", "6A1") is not None


def test_sample_shipments_follow_their_customers_language() -> None:
    french, english = samples.shipment("fr"), samples.shipment("en")
    assert "suivre-vos-envois" in (french.tracking_url or "")
    assert "track-a-parcel" in (english.tracking_url or "")
    assert samples.shipments("en")[0].tracking_url.endswith("&langue=en")  # type: ignore[union-attr]


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUIRED + NETWORKS)
def test_every_carrier_asked_for_is_known(name: str) -> None:
    found = find_carrier(name)
    assert found is not None
    assert parts(found.tracking_url("X1"))[0]


@pytest.mark.parametrize(
    ("spelling", "key"),
    [
        ("dhl paket", "dhlpaket"),
        ("Hermes UK", "evri"),
        ("Austrian Post", "postat"),
        ("Osterreichische Post", "postat"),
        ("DPD UK", "dpd-gb"),
        ("dpd-uk", "dpd-gb"),
        ("DPD België", "dpd-be"),
        ("GLS España", "gls-es"),
        ("La Poste Suisse", "swisspost"),
        ("TNT", "fedex"),
    ],
)
def test_names_are_matched_loosely(spelling: str, key: str) -> None:
    found = find_carrier(spelling)
    assert found is not None
    assert found.key == key


def test_dpd_and_gls_alone_choose_the_network_of_the_customers_country() -> None:
    for country, host in [
        ("FR", "trace.dpd.fr"),
        ("GB", "track.dpd.co.uk"),
        ("BE", "www.dpdgroup.com"),
    ]:
        locale = {"FR": "fr", "GB": "en", "BE": "nl"}[country]
        assert parts(tracking_url_for("DPD", "0123", locale=locale, country=country))[0] == host
    nl = tracking_url_for("GLS", "0123", locale="nl", country="NL", postal_code="3511AZ")
    assert parts(nl)[0] == "www.gls-info.nl"


# --- shops' own carriers -----------------------------------------------------------------------


def test_register_a_carrier_with_its_languages() -> None:
    register_carrier(
        Carrier(
            key="velocite",
            name="Vélocité Lyon",
            url="https://suivi.velocite.example/fr/{number}",
            language="fr",
            pages={
                "en": "https://suivi.velocite.example/en/{number}",
                "nl_BE": "https://suivi.velocite.example/be/{number}",
            },
        )
    )
    assert tracking_url_for("velocite", "V1") == "https://suivi.velocite.example/fr/V1"
    assert (
        tracking_url_for("Velocite Lyon", "V1", locale="en")
        == "https://suivi.velocite.example/en/V1"
    )
    assert tracking_url_for("velocite", "V1", locale="nl", country="BE") == (
        "https://suivi.velocite.example/be/V1"
    )
    assert CARRIERS["velocite"].languages == ("en", "fr", "nl")


def test_register_replaces_a_built_in_carrier() -> None:
    register_carrier(Carrier(key="bpost", name="bpost", url="https://bpost.example/{number}"))
    assert tracking_url_for("bpost", "1", locale="fr") == "https://bpost.example/1"


@pytest.mark.parametrize(
    "changes",
    [
        {"url": "http://suivi.example/{number}"},
        {"url": "https://suivi.example/colis"},
        {"url": "javascript:alert('{number}')"},
        {"url": "https://suivi.example/{number}/{postal_code}"},
        {"url": "https://suivi.example/{number}/{secret}"},
        {"pages": {"english": "https://suivi.example/en/{number}"}},
        {"pages": {"en": "https://suivi.example/en/{nombre}"}},
        {"pages": {"en": "https://suivi.example/en/ {number}"}},
    ],
)
def test_bad_carrier_refused(changes: dict[str, Any]) -> None:
    data: dict[str, Any] = {"key": "x", "name": "X", "url": "https://suivi.example/{number}"}
    with pytest.raises(ValueError, match="carrier 'x'"):
        Carrier(**{**data, **changes})


def test_the_tracking_number_is_quoted_everywhere() -> None:
    url = tracking_url_for("DHL", "AB/12 3&x=1", locale="nl", country="BE")
    assert parts(url)[2]["tracking-id"] == ["AB/12 3&x=1"]
    assert "AB%2F12%203%26x%3D1" in (url or "")


# --- unknown carriers --------------------------------------------------------------------------


def test_unknown_carrier_no_link_and_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="relationclient")
    first = samples.shipment("fr", carrier="Coursier des Pentes")
    second = samples.shipment("de", carrier="coursier des pentes", tracking_number="CP2")
    assert first.tracking_url is None
    assert second.tracking_url is None
    warnings = [
        r for r in caplog.records if r.name == "relationclient" and "Coursier" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "'Coursier des Pentes'" in warnings[0].getMessage()


def test_each_unknown_carrier_is_named_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="relationclient")
    for name in ("Vélo Brun", "Vélo Vert", "Vélo Brun"):
        assert tracking_url_for(name, "1") is None
    named = [r.getMessage() for r in caplog.records if "unknown carrier" in r.getMessage()]
    assert len(named) == 2
    assert any("'Vélo Brun'" in m for m in named)
    assert any("'Vélo Vert'" in m for m in named)


def test_explicit_tracking_url_needs_no_registry(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="relationclient")
    url = "https://suivi.example.com/colis/1"
    parcel = samples.shipment("fr", carrier="Coursier du Vieux-Lyon", tracking_url=url)
    assert parcel.tracking_url == url
    assert not [r for r in caplog.records if "unknown carrier" in r.getMessage()]


@pytest.mark.parametrize("locale", ["fr", "en", "de", "nl", "ar"])
def test_messages_show_the_number_without_a_link(locale: str) -> None:
    parcel = samples.shipment(locale, carrier="Coursier des Traboules", tracking_number="CT2026")
    composer = rc.Composer(samples.shop())
    email = composer.email("shipment_sent", shipment=parcel)
    sms = composer.sms("shipment_sent", shipment=parcel)
    assert "CT2026" in email.text
    assert "CT2026" in sms.body
    assert "Coursier des Traboules" in sms.body
    assert "https://" not in sms.body
    # The email still links the shop (logo, terms…) but no carrier's page.
    assert not re.search(r'href="https://[^"]*CT2026', email.html)


# --- the docs list every carrier with its languages ------------------------------------------


def documented_carriers() -> dict[str, str]:
    """Carrier name → languages cell of the table of docs/carriers.rst."""
    text = (DOCS / "carriers.rst").read_text(encoding="utf-8")
    rows = re.findall(r"^   \* - (.+)\n     - (.+)$", text, flags=re.MULTILINE)
    return {name.strip(): languages.strip() for name, languages in rows[1:]}


def test_docs_table_matches_the_registry() -> None:
    documented = documented_carriers()
    built_in = [CARRIERS[key] for key in carriers._BUILT_IN]
    assert list(documented) == [carrier.name for carrier in built_in]
    for carrier in built_in:
        assert documented[carrier.name] == ", ".join(carrier.languages), carrier.name
