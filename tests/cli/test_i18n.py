"""``relationclient i18n extract|update|compile``: a shop translates its own template strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

from relationclient import Composer, samples
from relationclient.cli import main

from .conftest import write_template

WELCOME = "Our workshop in Lyon wraps every lamp by hand."
BIENVENUE = "Notre atelier lyonnais emballe chaque lampe à la main."
CARE = "Keep the linen away from direct sunlight."


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, ["i18n", *args])
    assert result.exit_code == 0, result.output
    return result.output


def translate(po: Path, translations: dict[str, str]) -> None:
    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    for msgid, msgstr in translations.items():
        message = catalog.get(msgid)
        assert message is not None, f"{msgid!r} was not extracted into {po}"
        message.string = msgstr
    with po.open("wb") as f:
        write_po(f, catalog)


def test_extract_update_compile_round_trip(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the defaults: ./templates and ./locale
    write_template(
        tmp_path / "templates",
        "email/shipment_sent.html",
        '{% extends "relationclient/email/shipment_sent.html" %}\n'
        '{% block content %}<p>{{ _("' + WELCOME + '") }}</p>{{ super() }}{% endblock %}\n',
    )
    assert "Wrote locale/messages.pot" in run(runner, "extract")
    pot = (tmp_path / "locale" / "messages.pot").read_text(encoding="utf-8")
    assert f'msgid "{WELCOME}"' in pot
    assert "#: templates/email/shipment_sent.html:2" in pot  # portable, relative locations

    output = run(runner, "update", "--locale", "fr", "--locale", "de")
    po = tmp_path / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    assert f"Created {po.relative_to(tmp_path)}" in output
    assert (tmp_path / "locale" / "de" / "LC_MESSAGES" / "messages.po").exists()
    translate(po, {WELCOME: BIENVENUE})

    output = run(runner, "compile", "--locale", "fr")
    assert "Compiled locale/fr/LC_MESSAGES/messages.mo" in output
    composer = Composer(
        samples.shop(),
        template_dirs=[tmp_path / "templates"],
        catalog_dirs=[tmp_path / "locale"],
    )
    email = composer.email("shipment_sent", shipment=samples.shipment("fr"))
    assert BIENVENUE.replace("à", "&agrave;") in email.html or BIENVENUE in email.html
    assert "Bonjour Camille" in email.html  # the packaged strings still come from our catalog

    check = ["check", "--template-dir", "templates", "--catalog-dir", "locale"]
    result = runner.invoke(main, [*check, "--locale", "fr"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, [*check, "--locale", "de"])  # created, not translated yet
    assert result.exit_code == 1
    assert f"untranslated: “{WELCOME}”" in result.output

    # A new sentence: extract and update keep the French translation and add the new msgid.
    write_template(
        tmp_path / "templates",
        "email/order_confirmation.html",
        '{% extends "relationclient/email/order_confirmation.html" %}\n'
        '{% block content %}{{ super() }}<p>{{ _("' + CARE + '") }}</p>{% endblock %}\n',
    )
    run(runner, "extract")
    assert "Updated locale/fr/LC_MESSAGES/messages.po" in run(runner, "update")
    with po.open("rb") as f:
        catalog = read_po(f, locale="fr")
    assert catalog[WELCOME].string == BIENVENUE
    assert catalog[CARE].string == ""
    result = runner.invoke(main, [*check, "--locale", "fr"])
    assert result.exit_code == 1
    assert f"untranslated: “{CARE}”" in result.output
    assert "older than the .po" not in result.output  # the new entry is empty: .mo still agrees


def test_update_needs_a_template_first(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["i18n", "update", "--catalogs", str(tmp_path / "locale")])
    assert result.exit_code == 2
    assert "run `relationclient i18n extract` first" in result.output


def test_update_needs_a_locale_for_a_new_catalog(runner: CliRunner, tmp_path: Path) -> None:
    write_template(tmp_path / "templates", "sms/order_delayed.txt", '{{ _("Sorry!") }}\n')
    args = ["--templates", str(tmp_path / "templates"), "--catalogs", str(tmp_path / "locale")]
    run(runner, "extract", *args)
    result = runner.invoke(main, ["i18n", "update", "--catalogs", str(tmp_path / "locale")])
    assert result.exit_code == 2
    assert "name one with --locale" in result.output


def test_extract_reports_a_missing_folder_and_a_broken_template(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["i18n", "extract", "--templates", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no template folder" in result.output
    write_template(tmp_path / "templates", "email/account_created.html", "{{ _('x' }}\n")
    result = runner.invoke(
        main,
        [
            "i18n",
            "extract",
            "--templates",
            str(tmp_path / "templates"),
            "--catalogs",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "cannot extract from broken templates" in result.output
    assert "syntax error in template 'email/account_created.html', line 1" in result.output


def test_compile_refuses_a_catalog_marked_fuzzy(runner: CliRunner, tmp_path: Path) -> None:
    write_template(tmp_path / "templates", "sms/order_delayed.txt", '{{ _("Sorry!") }}\n')
    args = ["--templates", str(tmp_path / "templates"), "--catalogs", str(tmp_path / "locale")]
    run(runner, "extract", *args)
    run(runner, "update", "--catalogs", str(tmp_path / "locale"), "--locale", "it")
    po = tmp_path / "locale" / "it" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text().replace('msgid ""', '#, fuzzy\nmsgid ""', 1))
    result = runner.invoke(main, ["i18n", "compile", "--catalogs", str(tmp_path / "locale")])
    assert result.exit_code == 1
    assert "marked fuzzy as a whole" in result.output
