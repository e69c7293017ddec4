"""EU order confirmations carry the model withdrawal form of Directive 2011/83/EU, Annex I(B).

The form is in the email itself (a link is not a durable medium): the official
text in the catalog language, or, for Arabic, a translation of ours followed by
the official text of the shop's country. The texts are data files under
``templates/legal/``; the expected lines are read from them at test time, never
copied here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from relationclient import Email, Shop, checks, samples
from relationclient.composer import Composer
from relationclient.i18n import translations
from relationclient.i18n.catalogs import CATALOG_DIR
from relationclient.rendering.environment import PACKAGED_TEMPLATES

from .conftest import expected, squash, visible_text

LEGAL = PACKAGED_TEMPLATES / "legal"
OFFICIAL = ("fr", "en", "de", "es", "it", "nl")
HEADING = "Model withdrawal form"
CUSTOMER_PAYS = "If you withdraw, you bear the direct cost of returning the items."
SHOP_PAYS = "If you withdraw, we bear the cost of returning the items."
TRANSLATION_NOTE = "This translation is for your information only; the official text follows."
FALLBACK_NOTE = (
    "The official text is not available here in the language of our country (%(country)s); "
    "the official English text follows."
)
ORDERED_ON = re.compile(r"\{% if ordered_on %\} \{\{ ordered_on \}\}\{% endif %\}")

#: Shops in other countries: (address, phone) that the models accept.
PLACES: dict[str, dict[str, Any]] = {
    "DE": {
        "address": {"line1": "Torstraße 101", "postal_code": "10119", "city": "Berlin"},
        "phone": "+49 30 12345678",
    },
    "IE": {
        "address": {"line1": "1 Grafton Street", "postal_code": "D02 X285", "city": "Dublin"},
        "phone": "+353 1 234 5678",
    },
    "BE": {
        "address": {"line1": "Rue Neuve 1", "postal_code": "1000", "city": "Bruxelles"},
        "phone": "+32 2 555 12 12",
    },
    "PL": {
        "address": {"line1": "ul. Marszałkowska 1", "postal_code": "00-001", "city": "Warszawa"},
        "phone": "+48 22 123 45 67",
    },
    "US": {
        "address": {
            "line1": "1 Main Street",
            "postal_code": "10001",
            "city": "New York",
            "region": "NY",
        },
        "phone": "+1 212 555 0100",
        "timezone": "America/New_York",
    },
}


def shop(country: str = "FR", **changes: Any) -> Shop:
    """The sample shop, moved to ``country`` and changed by ``changes``."""
    data = samples.shop().model_dump()
    if country != "FR":
        place = dict(PLACES[country])
        place["address"] = {**place["address"], "country": country}
        data.update(place)
    data.update(changes)
    return Shop.model_validate(data)


def confirmation(the_shop: Shop, locale: str) -> tuple[Email, dict[str, Any]]:
    context = samples.context("order_confirmation", locale)
    return Composer(the_shop).email("order_confirmation", **context), context


def form_lines(language: str) -> list[str]:
    """The lines of ``legal/withdrawal_form.<language>.txt``, its opening comment left out."""
    source = (LEGAL / f"withdrawal_form.{language}.txt").read_text(encoding="utf-8")
    assert source.startswith("{#-")
    body = source.split("-#}\n", 1)[1]
    return [line for line in body.splitlines() if line.strip()]


def fixed_lines(language: str) -> tuple[str, str]:
    """The form's first and last lines: the law's words, no field in them."""
    lines = form_lines(language)
    first, last = lines[0], lines[-1]
    assert "{" not in first + last
    return first, last


def filled(line: str, trader: str, ordered_on: str | None) -> str:
    """A line of the data file with its fields filled in as the templates do."""
    line = line.replace("{{ trader }}", trader)
    return ORDERED_ON.sub(f" {ordered_on}" if ordered_on else "", line)


def gettext(locale: str, msgid: str, **values: str) -> str:
    text = translations(locale).gettext(msgid)
    return text % values if values else text


def both_parts(email: Email) -> dict[str, str]:
    return {"text": squash(email.text), "HTML": visible_text(email.html)}


@pytest.mark.parametrize("locale", OFFICIAL)
def test_an_eu_confirmation_carries_the_official_form_in_the_catalog_language(
    locale: str,
) -> None:
    the_shop = shop(return_costs=None)
    email, context = confirmation(the_shop, locale)
    fmt = expected(context)
    trader = ", ".join(
        [
            str(the_shop.legal_name),
            *fmt.fmt.address(the_shop.address, with_name=False),
            the_shop.email,
        ]
    )
    lines = form_lines(locale)
    to_line = filled(next(line for line in lines if "{{ trader }}" in line), trader, None)
    ordered_line = filled(
        next(line for line in lines if "ordered_on" in line),
        trader,
        fmt.date(context["order"].placed_at),
    )
    first, last = fixed_lines(locale)
    for part, seen in both_parts(email).items():
        for text in (gettext(locale, HEADING), first, to_line, ordered_line, last):
            assert squash(text) in seen, f"{locale} {part} lacks {text!r}"
    # One form, after the sign-off, and in the text part a line of its own per line.
    assert email.text.count(first) == 1
    assert email.text.index(gettext(locale, "See you soon,")) < email.text.index(first)
    for line in lines:
        if "{" not in line:
            assert f"\n{line}\n" in email.text
    assert gettext(locale, TRANSLATION_NOTE) not in email.text


@pytest.mark.parametrize(
    ("country", "default_locale", "official", "fallback"),
    [
        ("FR", "fr", "fr", False),
        ("DE", "de", "de", False),
        ("IE", "en", "en", False),
        ("BE", "nl", "nl", False),
        ("BE", "fr", "fr", False),
        ("PL", "en", "en", True),
    ],
)
def test_arabic_gets_a_translation_then_the_official_text_of_the_shops_country(
    country: str, default_locale: str, official: str, fallback: bool
) -> None:
    the_shop = shop(country, default_locale=default_locale)
    email, context = confirmation(the_shop, "ar")
    fmt = expected(context)
    order_date = fmt.date(context["order"].placed_at)
    translated_first, translated_last = fixed_lines("ar")
    official_first, official_last = fixed_lines(official)
    note = gettext("ar", TRANSLATION_NOTE)
    missing = gettext("ar", FALLBACK_NOTE, country=fmt.fmt.country(country))
    for part, seen in both_parts(email).items():
        order = [
            gettext("ar", HEADING),
            note,
            translated_first,
            translated_last,
            official_first,
            official_last,
        ]
        places = [seen.find(squash(text)) for text in order]
        assert -1 not in places, f"{part}: {dict(zip(order, places, strict=True))}"
        assert places == sorted(places), f"{part}: translation first, then the official text"
        assert (squash(missing) in seen) is fallback, part
        # The Arabic translation has the order date; the official text, the shop's details.
        assert squash(order_date) in seen
        assert the_shop.email in seen
    others = {lang for lang in OFFICIAL if lang != official}
    assert not any(fixed_lines(lang)[0] in email.text for lang in others)
    assert f'<div lang="{official}" dir="ltr"' in email.html


def test_a_shop_outside_the_eu_sends_no_form() -> None:
    email, _ = confirmation(shop("US"), "en")
    first, last = fixed_lines("en")
    for seen in both_parts(email).values():
        assert HEADING not in seen
        assert first not in seen
        assert last not in seen
    french, _ = confirmation(shop(withdrawal_days=0), "fr")
    assert gettext("fr", HEADING) not in french.text


@pytest.mark.parametrize("locale", samples.LOCALES)
@pytest.mark.parametrize("who", ["customer", "shop", None])
def test_return_costs_are_stated_as_the_shop_sets_them(locale: str, who: str | None) -> None:
    email, _ = confirmation(shop(return_costs=who), locale)
    customer_pays = squash(gettext(locale, CUSTOMER_PAYS))
    shop_pays = squash(gettext(locale, SHOP_PAYS))
    for part, seen in both_parts(email).items():
        assert (customer_pays in seen) is (who == "customer"), part
        assert (shop_pays in seen) is (who == "shop"), part


def test_the_shops_details_are_escaped_in_the_html_form() -> None:
    the_shop = shop(legal_name="Lumière & <Fils>")
    email, _ = confirmation(the_shop, "fr")
    assert "<Fils>" not in email.html
    assert "Lumière &amp; &lt;Fils&gt;" in email.html
    to_line = next(line for line in email.text.splitlines() if line.startswith("— À l’attention"))
    assert "Lumière & <Fils>" in to_line


@pytest.mark.parametrize("locale", samples.LOCALES)
def test_the_html_stays_under_the_size_limit(locale: str) -> None:
    composer = Composer(shop(country="PL"))  # Arabic: a translation and an official text
    context = samples.context("order_confirmation", locale)
    email = composer.email("order_confirmation", **context)
    assert len(email.html.encode()) < composer.html_size_limit


@pytest.mark.parametrize("locale", samples.LOCALES)
def test_check_requires_the_form_and_the_return_costs(locale: str) -> None:
    composer = Composer(shop(return_costs="shop"))
    context = samples.context("order_confirmation", locale)
    items = checks.must_show(composer, "order_confirmation", "email", locale, context)
    texts = {item.what: item.text for item in items}
    assert texts["model withdrawal form"] == gettext(locale, HEADING)
    assert texts["return costs (the shop's)"] == gettext(locale, SHOP_PAYS)
    email = composer.email("order_confirmation", **context)
    assert checks.message_problems(composer, email, context) == []


def test_check_reports_a_confirmation_without_the_form() -> None:
    composer = Composer(shop(return_costs="customer"))
    source = (PACKAGED_TEMPLATES / "email/order_confirmation.txt").read_text(encoding="utf-8")
    without, removed = re.subn(r"\{\{ *once\(\"withdrawal_form\"[^}]*\}\}", "", source)
    assert removed == 1
    edited = composer.with_merchant_templates({"email/order_confirmation.txt": without})
    context = samples.context("order_confirmation", "fr")
    email = edited.email("order_confirmation", **context)
    found = [str(problem) for problem in checks.message_problems(edited, email, context)]
    assert len(found) == 1
    assert "[text]: lacks the model withdrawal form" in found[0]


def test_the_legal_texts_are_data_not_msgids() -> None:
    with (Path(CATALOG_DIR).parent / "i18n" / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    assert list(extract_from_dir(str(LEGAL), method_map, options_map)) == []
    for language in (*OFFICIAL, "ar"):
        source = (LEGAL / f"withdrawal_form.{language}.txt").read_text(encoding="utf-8")
        opening = source.split("-#}", 1)[0]
        assert "Directive 2011/83/EU" in opening
        assert "OJ L 304, 22.11.2011" in opening
        assert "https://eur-lex.europa.eu/" in opening
        assert ("NOT an official text" in opening) is (language == "ar")
    # Listed with the packaged templates: a shop may replace one (a member state's own
    # wording of the form, say) as it replaces any other.
    assert "legal/withdrawal_form.de.txt" in Composer(samples.shop()).template_names()
