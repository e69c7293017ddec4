"""ConsoleTransport: what a developer reads in the terminal."""

from __future__ import annotations

import io

import pytest

from relationclient.transports.console import ConsoleTransport

from .sample_messages import email, sms


def test_email_shows_headers_and_text_not_html() -> None:
    built = email("fr")
    out = io.StringIO()
    receipt = ConsoleTransport(out).send(built)

    printed = out.getvalue()
    assert "email · order_confirmation · fr · transactional" in printed
    assert f"Message-ID:     {built.message_id}" in printed
    assert "From:           Maison Lumière <bonjour@maison-lumiere.fr>" in printed
    assert "To:             Camille Dupont <camille.dupont@example.fr>" in printed
    assert f"Subject:        {built.subject}" in printed
    assert f"X-Order-Number: {built.headers['X-Order-Number']}" in printed
    assert built.text.rstrip() in printed
    assert "not shown" in printed
    assert "<h1>" not in printed
    assert "=?utf-8?" not in printed  # decoded, for humans
    assert receipt.message_id == built.message_id


def test_html_on_request() -> None:
    out = io.StringIO()
    ConsoleTransport(out, show_html=True).send(email())
    assert "<h1>Merci Camille</h1>" in out.getvalue()
    assert "not shown" not in out.getvalue()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Colis ML-2026-10482 expédié.", "GSM-7, 1 segment, 28 characters (28 units)"),
        ("Votre colis 📦 arrive", "UCS-2, 1 segment, 20 characters (21 units)"),
        ("x" * 161, "GSM-7, 2 segments, 161 characters (161 units)"),
    ],
)
def test_sms_shows_its_cost(body: str, expected: str) -> None:
    out = io.StringIO()
    receipt = ConsoleTransport(out).send(sms(body=body))
    printed = out.getvalue()
    assert f"Encoding:  {expected}" in printed
    assert "To:        +33612345678" in printed
    assert "From:      MaisonLum" in printed
    assert printed.rstrip().endswith(body)
    assert receipt.message_id


def test_writes_to_the_current_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleTransport().send_many([email(), sms()])
    printed = capsys.readouterr().out
    assert printed.count("== email") == 1
    assert printed.count("== sms") == 1
