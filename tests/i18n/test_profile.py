"""Regional formats: the catalog language and the format locale of a message, kept apart.

Expected values are Babel's own output for the format locale, computed here at
test time: a new Babel release with new CLDR data changes both sides alike.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.numbers import format_currency

from relationclient import Composer, samples
from relationclient.i18n import locale_profile

# (customer locale, customer country) -> (catalog language, format locale)
REGIONAL = {
    ("en_GB", "GB"): ("en", "en_GB"),
    ("en_US", "US"): ("en", "en_US"),
    ("en", "GB"): ("en", "en_GB"),
    ("en", "IE"): ("en", "en_IE"),
    ("de_CH", "CH"): ("de", "de_CH"),
    ("de", "AT"): ("de", "de_AT"),
    ("de_AT", "AT"): ("de", "de_AT"),
    ("fr_BE", "BE"): ("fr", "fr_BE"),
    ("fr_CH", "CH"): ("fr", "fr_CH"),
    ("fr_CA", "CA"): ("fr", "fr_CA"),
    ("fr", "BE"): ("fr", "fr_BE"),
    ("nl_BE", "BE"): ("nl", "nl_BE"),
    ("es_MX", "MX"): ("es", "es_MX"),
    ("it_CH", "CH"): ("it", "it_CH"),
    ("ar_AE", "AE"): ("ar", "ar_AE"),
    ("ar", "EG"): ("ar", "ar_EG"),
    # The customer's own region wins over their country of residence.
    ("de_CH", "DE"): ("de", "de_CH"),
    # No catalog: the shop's language (fr), completed by the country.
    ("pt_BR", "CH"): ("fr", "fr_CH"),
    ("pt_BR", "BR"): ("fr", "fr"),
}


@pytest.mark.parametrize(("asked", "expected"), REGIONAL.items(), ids=str)
def test_catalog_and_format_locale(asked: tuple[str, str], expected: tuple[str, str]) -> None:
    profile = locale_profile(asked[0], asked[1], "fr")
    assert (profile.catalog, profile.format_locale) == expected


def test_direction_follows_the_catalog_language() -> None:
    assert locale_profile("ar_AE", "AE", "fr").direction == "rtl"
    assert locale_profile("he", "IL", "fr").direction == "ltr"  # no Hebrew catalog: French
    assert locale_profile("fr_CA", "CA", "fr").direction == "ltr"


def _customer(locale: str, country: str, zone: str) -> dict[str, object]:
    return {"locale": locale, "country": country, "timezone": zone, "phone": None}


MOBILE = "+33612345678"


def time_pattern(locale: str, when: datetime) -> str:
    """DESIGN.md: French times as ``H 'h' mm`` (no-break spaces), others the short format."""
    if locale.startswith("fr"):
        return "H\u00a0'h'" if when.minute == 0 else "H\u00a0'h'\u00a0mm"
    return "short"


ZONES = {"GB": "Europe/London", "US": "America/New_York", "CH": "Europe/Zurich"}
ZONES |= {"BE": "Europe/Brussels", "MX": "America/Mexico_City", "AT": "Europe/Vienna"}
ZONES |= {"CA": "America/Toronto", "AE": "Asia/Dubai", "IE": "Europe/Dublin"}


@pytest.mark.parametrize(
    ("locale", "country"),
    [
        ("en_GB", "GB"),
        ("en_US", "US"),
        ("de_CH", "CH"),
        ("de_AT", "AT"),
        ("fr_BE", "BE"),
        ("fr_CH", "CH"),
        ("fr_CA", "CA"),
        ("nl_BE", "BE"),
        ("es_MX", "MX"),
        ("it_CH", "CH"),
        ("ar_AE", "AE"),
    ],
)
def test_regional_customers_get_babels_formats(locale: str, country: str) -> None:
    language = locale.split("_")[0]
    zone = ZONES[country]
    base = samples.order(language, seed=3)
    data = base.model_dump(
        exclude={"subtotal": True, "tax": True, "total": True, "lines": {"__all__": {"total"}}}
    )
    data["customer"].update(_customer(locale, country, zone))
    # A large order, so grouping separators show (de_CH groups with ’, fr_CH with a space).
    data["lines"][0]["unit_price"] *= 1000
    order = type(base).model_validate(data)
    customer, line = order.customer, order.lines[0]
    email = Composer(samples.shop()).email("order_confirmation", order=order)
    assert (email.locale, email.format_locale) == (language, locale)
    text = email.text

    def money(amount: object) -> str:
        return str(format_currency(amount, order.currency, locale=locale))

    assert money(order.total.amount) in text
    assert money(line.unit_price) in text
    assert money(line.total) in text
    assert money(order.subtotal.amount) in text
    placed = order.placed_at.astimezone(ZoneInfo(zone))
    date_part = str(format_date(placed.date(), "long", locale=locale))
    time_part = str(format_time(placed.time(), time_pattern(locale, placed), locale=locale))
    pattern = str(get_datetime_format("long", locale=locale))
    when = re.sub(r"'([^']*)'", r"\1", pattern.replace("{1}", date_part).replace("{0}", time_part))
    assert when in text
    assert order.delivery.estimated_date is not None
    assert str(format_date(order.delivery.estimated_date, "full", locale=locale)) in text
    sms = Composer(samples.shop()).sms(
        "order_delayed",
        order=order.model_copy(
            update={"customer": customer.model_copy(update={"phone": "+33612345678"})}
        ),
        delay=samples.delay(),
    )
    assert sms.format_locale == locale
    assert str(format_skeleton("MMMMd", samples.delay().new_date, locale=locale)) in sms.body


def test_a_language_without_catalog_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    composer = Composer(samples.shop())
    brazil = samples.customer("en", locale="pt_PT", country="BE", phone=None)
    with caplog.at_level(logging.WARNING, logger="relationclient"):
        for _ in range(3):
            email = composer.email("account_created", customer=brazil, login_url=samples.LOGIN_URL)
    assert (email.locale, email.format_locale) == ("fr", "fr_BE")
    warnings = [r for r in caplog.records if "pt_PT" in r.getMessage()]
    assert len(warnings) == 1
    assert "'fr'" in warnings[0].getMessage()
