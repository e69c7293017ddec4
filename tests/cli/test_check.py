"""``relationclient check``: passes on packaged templates, fails readably on a shop's mistakes."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from babel.dates import format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from babel.numbers import format_currency
from click.testing import CliRunner

from relationclient import Composer, Kind, samples
from relationclient.checks import (
    Requirement,
    message_problems,
    must_show,
    run_checks,
    shown,
    squash,
    visible_text,
)
from relationclient.cli import main

from .conftest import packaged_source, write_catalog, write_template

THANKS = "Thank you for choosing handmade lamps."
MERCI = "Merci d'avoir choisi des lampes faites main."


def thanks_override(folder: Path) -> Path:
    """An order confirmation override that adds one new translatable sentence."""
    return write_template(
        folder,
        "email/order_confirmation.html",
        '{% extends "relationclient/email/order_confirmation.html" %}\n'
        "{% block content %}<p>{{ _("
        + json.dumps(THANKS)
        + ") }}</p>{{ super() }}{% endblock %}\n",
    )


def check(runner: CliRunner, *args: str | Path) -> tuple[int, str]:
    result = runner.invoke(main, ["check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, squash(result.output)


def problems(runner: CliRunner, *args: str | Path) -> dict[str, list[str]]:
    """The report's problems, grouped under the place they were found, whitespace squashed."""
    result = runner.invoke(main, ["check", *map(str, args)])
    assert result.exit_code == 1, result.output
    lines = result.output.split("Problems (", 1)[1].splitlines()[1:-1]
    grouped: dict[str, list[str]] = {}
    place = ""
    for line in lines:
        if line.startswith("  "):
            grouped[place].append(squash(line).removeprefix("✗ "))
        else:
            place = squash(line)
            grouped[place] = []
    return grouped


# -- passing ---------------------------------------------------------------------------
def test_check_passes_on_the_packaged_templates(runner: CliRunner) -> None:
    code, output = check(runner)
    assert code == 0, output
    assert "All checks passed" in output
    assert f"Messages rendered: {len(Kind) * 7 * 2}" in output
    assert "Catalogs read: 7 .po files" in output


def test_check_passes_with_an_override_and_its_translation(
    runner: CliRunner, tmp_path: Path
) -> None:
    thanks_override(tmp_path / "templates")
    write_catalog(tmp_path / "locale", "fr", {THANKS: MERCI})
    code, output = check(
        runner,
        "--template-dir",
        tmp_path / "templates",
        "--catalog-dir",
        tmp_path / "locale",
        "--locale",
        "fr",
    )
    assert code == 0, output
    assert "Shop templates compiled: 1 (email/order_confirmation.html)" in output
    composer = Composer(
        samples.shop(), template_dirs=[tmp_path / "templates"], catalog_dirs=[tmp_path / "locale"]
    )
    email = composer.email("order_confirmation", order=samples.order("fr"))
    assert "Merci d&#39;avoir choisi" in email.html or MERCI in email.html


# -- failing: catalogs ---------------------------------------------------------------------
def test_check_fails_on_a_missing_translation(runner: CliRunner, tmp_path: Path) -> None:
    thanks_override(tmp_path / "templates")
    po = write_catalog(tmp_path / "locale", "fr", {"Unrelated": "Sans rapport"})
    args = ["--template-dir", tmp_path / "templates", "--catalog-dir", tmp_path / "locale"]
    assert problems(runner, *args, "--locale", "fr") == {
        "catalog fr": [
            f"catalog no translation of “{THANKS}” (add it to {po}: relationclient i18n update)"
        ]
    }
    # Without --locale every shipped locale must translate it.
    found = problems(runner, *args)
    assert set(found) == {f"catalog {locale}" for locale in samples.LOCALES}


@pytest.mark.parametrize(
    ("msgstr", "flags", "state"), [("", (), "untranslated"), (MERCI, ("fuzzy",), "fuzzy")]
)
def test_check_fails_on_an_untranslated_or_fuzzy_entry(
    runner: CliRunner, tmp_path: Path, msgstr: str, flags: tuple[str, ...], state: str
) -> None:
    thanks_override(tmp_path / "templates")
    catalog = Catalog(locale="fr", fuzzy=False)
    catalog.add(THANKS, msgstr, flags=flags)
    po = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as f:
        write_po(f, catalog)
    compiled = runner.invoke(main, ["i18n", "compile", "--catalogs", str(tmp_path / "locale")])
    assert compiled.exit_code == 0, compiled.output
    found = problems(
        runner,
        "--template-dir",
        tmp_path / "templates",
        "--catalog-dir",
        tmp_path / "locale",
        "--locale",
        "fr",
    )
    assert found == {str(po): [f"catalog {state}: “{THANKS}”"]}


def test_check_fails_on_a_catalog_not_compiled(runner: CliRunner, tmp_path: Path) -> None:
    thanks_override(tmp_path / "templates")
    po = write_catalog(tmp_path / "locale", "fr", {THANKS: MERCI}, compile_mo=False)
    found = problems(
        runner,
        "--template-dir",
        tmp_path / "templates",
        "--catalog-dir",
        tmp_path / "locale",
        "--locale",
        "fr",
    )
    assert found == {
        str(po): ["catalog is not compiled (no messages.mo): run `relationclient i18n compile`"]
    }


# -- failing: templates --------------------------------------------------------------------
def test_check_fails_when_an_override_drops_the_totals(runner: CliRunner, tmp_path: Path) -> None:
    source = packaged_source("email/order_confirmation.html")
    without_totals, removed = re.subn(r"\{\{ *h\.totals\([^)]*\) *\}\}", "", source)
    assert removed == 1
    write_template(tmp_path / "templates", "email/order_confirmation.html", without_totals)
    found = problems(
        runner, "--template-dir", tmp_path / "templates", "--locale", "fr", "--locale", "en"
    )
    # Only the HTML of the order confirmation lost them: its text part and the other
    # kinds are still right.
    assert set(found) == {"order_confirmation · email · fr", "order_confirmation · email · en"}
    french = found["order_confirmation · email · fr"]
    order = samples.order("fr")

    def euros(amount: Decimal, locale: str) -> str:  # as Babel formats it, shown plainly
        return shown(format_currency(amount, "EUR", locale=locale))

    # The order total is still shown: the callout at the top carries it.
    assert f"HTML lacks the subtotal: {euros(order.subtotal.amount, 'fr_FR')}" in french
    assert f"HTML lacks the shipping: {euros(order.shipping_price, 'fr_FR')}" in french
    english = found["order_confirmation · email · en"]
    assert f"HTML lacks the subtotal: {euros(order.subtotal.amount, 'en_GB')}" in english
    assert all(line.startswith("HTML ") for line in french)


def test_check_reports_a_template_syntax_error(runner: CliRunner, tmp_path: Path) -> None:
    override = write_template(
        tmp_path / "templates",
        "email/order_delayed.html",
        '{% extends "relationclient/email/order_delayed.html" %}\n'
        "{% block content %}{{ order.number }{% endblock %}\n",
    )
    code, output = check(runner, "--template-dir", tmp_path / "templates", "--locale", "fr")
    assert code == 1
    assert (
        f"{override} ✗ template syntax error in template 'email/order_delayed.html', line 2"
        in output
    )


def test_check_reports_a_missing_parent_template(runner: CliRunner, tmp_path: Path) -> None:
    write_template(
        tmp_path / "templates",
        "email/delivery_check.html",
        '{% extends "relationclient/email/delivery_chek.html" %}\n',
    )
    found = problems(runner, "--template-dir", tmp_path / "templates", "--locale", "fr")
    assert any(
        "uses 'relationclient/email/delivery_chek.html', which does not exist" in line
        for lines in found.values()
        for line in lines
    )


def test_check_applies_the_size_and_segment_budgets(runner: CliRunner) -> None:
    found = problems(runner, "--locale", "fr", "--html-limit", "20000", "--sms-segments", "1")
    [size] = found["order_confirmation · email · fr"]  # 23 KB with the withdrawal form
    assert size.startswith("size HTML is ")
    assert size.endswith("over the 20,000-byte limit (Gmail clips messages past about 102 KB)")
    assert found["delivery_check · sms · fr"] == ["SMS 2 segments (GSM-7), over the budget of 1"]
    assert "account_created · email · fr" not in found  # 10 KB: within the limit


def test_check_uses_the_shops_own_data(runner: CliRunner, tmp_path: Path) -> None:
    shop = samples.shop().model_copy(update={"name": "Atelier Nord"})
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"shop": shop.model_dump(mode="json")}), encoding="utf-8")
    code, output = check(runner, "--data", data, "--locale", "de")
    assert code == 0, output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"shop": {**shop.model_dump(mode="json"), "email": "nope"}}))
    code, output = check(runner, "--data", bad)
    assert code == 2
    assert "email" in output


# -- the library under the command -------------------------------------------------------
def test_visible_text_skips_the_head_and_hidden_preheader() -> None:
    html = (
        "<html><head><title>Secret title</title><style>p{}</style></head><body>"
        '<div style="display: none; max-height: 0">Hidden preheader</div>'
        '<p>Shown &amp; <a href="https://example.fr/t">tracked</a><br><img src="x" alt="Logo"></p>'
        "</body></html>"
    )
    assert visible_text(html) == "Shown & https://example.fr/t tracked Logo"


def test_run_checks_reports_in_a_structure() -> None:
    report = run_checks(locales=["it"], kinds=["order_delayed"])
    assert report.ok
    assert [(m.kind, m.channel, m.locale) for m in report.messages] == [
        ("order_delayed", "email", "it"),
        ("order_delayed", "sms", "it"),
    ]
    assert report.messages[1].encoding == "GSM-7"


def test_must_show_formats_for_the_reader() -> None:
    composer = Composer(samples.shop())
    items = must_show(
        composer, "order_confirmation", "email", "en", samples.context("order_confirmation", "en")
    )
    total = samples.order("en").total.amount
    assert Requirement("order total", format_currency(total, "EUR", locale="en_GB")) in items
    assert Requirement("withdrawal right", "Your right of withdrawal") in items
    sms = must_show(composer, "order_delayed", "sms", "de", samples.context("order_delayed", "de"))
    new_date = format_skeleton("MMMMd", samples.delay().new_date, locale="de_DE")
    assert Requirement("new delivery date", new_date) in sms


def test_promo_code_must_not_reach_a_customer_without_consent() -> None:
    composer = Composer(samples.shop())
    context = samples.context("delivery_check", "en")
    assert not context["order"].customer.marketing_consent
    sms = composer.sms("delivery_check", **context)
    assert message_problems(composer, sms, context) == []
    leaked = sms.model_copy(update={"body": f"{sms.body} Code MERCI10"})
    [problem] = message_problems(composer, leaked, context)
    assert problem.detail == "must not show the promo code: “MERCI10”"
    email = composer.email("delivery_check", **context)
    assert message_problems(composer, email, context) == []
