"""``relationclient outbox show``, ``suppressions list|add|remove`` and ``events replay``."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from relationclient import Composer, samples
from relationclient.cli import main
from relationclient.outbox import Outbox
from relationclient.transports import MemoryTransport

from ..events.payloads import postmark_bounce, twilio_inbound

SHOP = "maison-lumiere.fr"
CUSTOMER = "camille.dupont@example.fr"
MOBILE = "+33612345678"


@pytest.fixture
def outbox_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"


def run(runner: CliRunner, outbox_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(main, [*args, "--outbox", outbox_url])
    return result.exit_code, result.output


def test_suppressions_add_list_remove(runner: CliRunner, outbox_url: str) -> None:
    code, out = run(
        runner, outbox_url, "suppressions", "add", CUSTOMER, "--channel", "email",
        "--shop", SHOP, "--note", "asked by phone",
    )  # fmt: skip
    assert code == 0, out
    assert f"Suppressed {CUSTOMER} (email, every message) for {SHOP}: manual" in out
    code, out = run(
        runner, outbox_url, "suppressions", "add", MOBILE, "--channel", "sms", "--shop", SHOP,
        "--marketing-only", "--reason", "complained-by-phone",
    )  # fmt: skip
    assert code == 0, out

    code, out = run(runner, outbox_url, "suppressions", "list", "--shop", SHOP)
    assert code == 0, out
    assert CUSTOMER in out
    assert MOBILE in out
    assert "asked by phone" in out
    assert "marketing" in out
    assert "everything" in out
    code, out = run(runner, outbox_url, "suppressions", "list", "--shop", SHOP, "--channel", "sms")
    assert MOBILE in out
    assert CUSTOMER not in out
    code, out = run(runner, outbox_url, "suppressions", "list")
    assert (code, "No suppression for messages without a shop.") == (0, out.strip())

    code, out = run(
        runner, outbox_url, "suppressions", "remove", CUSTOMER, "--channel", "email", "--shop", SHOP
    )
    assert (code, out.strip()) == (0, f"Removed 1 line(s) for {CUSTOMER} (email).")
    code, out = run(
        runner, outbox_url, "suppressions", "remove", CUSTOMER, "--channel", "email", "--shop", SHOP
    )
    assert code == 1
    assert "is not on the email suppression list" in out


def test_events_replay_records_once_and_outbox_show_prints_the_history(
    runner: CliRunner, outbox_url: str, tmp_path: Path
) -> None:
    composer = Composer(samples.shop())
    confirmation = composer.email("order_confirmation", **samples.context("order_confirmation"))
    with Outbox(outbox_url) as outbox:
        outbox.put(confirmation)
        outbox.dispatch(MemoryTransport())
    saved = tmp_path / "bounce.json"
    bounce = postmark_bounce(CUSTOMER, key=confirmation.idempotency_key)
    saved.write_text(json.dumps(bounce), encoding="utf-8")

    code, out = run(runner, outbox_url, "events", "replay", str(saved), "--provider", "postmark")
    assert code == 0, out
    assert "1 recorded, 0 already there, 1 attached to an entry, 1 suppression(s) added" in out
    code, out = run(runner, outbox_url, "events", "replay", str(saved), "--provider", "postmark")
    assert "0 recorded, 1 already there" in out

    code, out = run(runner, outbox_url, "outbox", "show", confirmation.idempotency_key)
    assert code == 0, out
    assert "sent" in out
    assert CUSTOMER in out
    assert SHOP in out
    assert "bounced (hard)" in out
    assert "postmark" in out
    assert "550 5.1.1" in out
    code, out = run(runner, outbox_url, "suppressions", "list", "--shop", SHOP)
    assert CUSTOMER in out
    assert "bounced" in out


def test_events_replay_reads_a_twilio_form(
    runner: CliRunner, outbox_url: str, tmp_path: Path
) -> None:
    saved = tmp_path / "stop.txt"
    saved.write_text(urlencode(twilio_inbound("SM1", MOBILE, "STOP")), encoding="utf-8")
    code, out = run(
        runner, outbox_url, "events", "replay", str(saved), "--provider", "twilio", "--shop", SHOP
    )
    assert code == 0, out
    code, out = run(runner, outbox_url, "suppressions", "list", "--shop", SHOP)
    assert MOBILE in out
    assert "opted_out" in out


def test_outbox_commands_report_bad_input(
    runner: CliRunner, outbox_url: str, tmp_path: Path
) -> None:
    code, out = run(runner, outbox_url, "outbox", "show", "no-such-key")
    assert code == 1
    assert "no entry under no-such-key" in out
    saved = tmp_path / "garbled.json"
    saved.write_text('{"RecordType": "Bounce"}', encoding="utf-8")
    code, out = run(runner, outbox_url, "events", "replay", str(saved), "--provider", "postmark")
    assert code == 2
    assert "postmark webhook field 'Type': missing" in out
    code, out = run(runner, outbox_url, "events", "replay", str(saved), "--provider", "pigeon")
    assert code == 2
    assert "no webhook parser for provider 'pigeon'" in out
    code, out = run(runner, "ftp://nowhere", "suppressions", "list")
    assert code == 2
    assert "outbox URL" in out
