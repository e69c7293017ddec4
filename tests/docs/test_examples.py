"""Every script in ``examples/`` runs on its own, against local parts only, and says what it did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .docs_code import EXAMPLES

# What each example must print: proof it did its job, not just that it exited 0.
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "Email subject: Commande n° AP-1042 confirmée",
        "Delivered to ines.martin@example.com by maildir",
        "Delivered to +33698765432 by maildir",
        "Maildir holds: Commande n° AP-1042 confirmée",
        "SMS log holds 1 SMS",
    ],
    "order_lifecycle.py": [
        "account_created",
        "order_confirmation",
        "order_preparing",
        "order_cancelled",
        "order_delayed",
        "shipment_sent",
        "withdrawal_acknowledged",
        "refund_issued",
        "delivery_check",
        "Sent 18 messages to Camille Dupont (fr).",
        "Rebuilt confirmation already sent: True",
        "Marketing messages (promo, consent given): 2",
    ],
    "support_desk.py": [
        "Q-2026-0457: Nous vous répondrons lundi avant 14 h.",
        "Q-2026-0460: We will reply by 16:30 today.",
        "A-2026-0457-2: Notre réponse à votre message",
        "A-2026-0457-1: already sent, skipped",
        "Messages sent: 4",
    ],
    "custom_template_override.py": [
        "custom header (name and phone)   yes",
        "contact block kept               yes",
        "other kinds get the header too   yes",
    ],
    "merchant_sandbox.py": [
        "Merchant SMS (UCS-2, 3 segment(s))",
        "Transliterated (GSM-7, 1 segment(s))",
        "Unsafe template refused: template 'sms/order_confirmation.txt' tried an unsafe",
        "Syntax error caught on save: email/order_confirmation.txt",
    ],
    "custom_transport.py": [
        "webhook accepted camille.dupont@example.fr",
        "webhook accepted +33612345678",
        "Webhook received 2 messages",
        "Service down: transient=True, accepted=False",
    ],
    "unsubscribe_endpoint.py": [
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "GET (a reader's click): 200, asks first: True, opted out: []",
        "One-click POST: 200, opted out: ['camille.dupont@example.fr']",
        "Multipart POST: 200, opted out: 2",
        "Altered token: 400, opted out: 2",
    ],
    "outbox_celery.py": [
        "Worker ready",
        "Enqueued the confirmation again: same entry 1, stored once",
        "Outbox: {'queued': 0, 'sending': 0, 'sent': 3, 'dead': 0, 'suppressed': 0}",
        "Maildir: 2 emails, 1 SMS",
        "Worker stopped (exit status 0)",
    ],
    "webhooks_wsgi.py": [
        "Postmark bounce: 200 {'recorded': 1, 'duplicates': 0}",
        "Postmark retry: 200 {'recorded': 0, 'duplicates': 1}",
        "Wrong credentials: 403",
        "Twilio STOP: 200 {'recorded': 1, 'duplicates': 0}",
        "Forged Twilio request: 403",
        "Suppressed: sms +33612345678 (marketing, opted_out)",
        "Suppressed: email camille.dupont@example.fr (all, bounced)",
        "Next email shipment_sent (transactional): suppressed",
        "Next sms delivery_check (marketing): suppressed",
        "Next sms shipment_sent (transactional): queued",
        "Dispatched: 1 sent (sms shipment_sent)",
    ],
    "webhooks_asgi.py": [
        "Shop page: the shop",
        "Twilio status callback: 200 {'recorded': 1, 'duplicates': 0}",
        "Twilio STOP: 200 {'recorded': 1, 'duplicates': 0}",
        "History of the confirmation SMS: delivered (twilio)",
        "Next marketing SMS: suppressed",
        "Next shipment SMS: queued",
    ],
    "fastapi_shop.py": [
        "Order placed: 201 ML-2026-20001, queued",
        "Delivered: Commande n° ML-2026-20001 confirmée to Camille Dupont",
        "Outbox entry: sent, attempts 1",
        "Postmark delivery webhook: 200 {'recorded': 1, 'duplicates': 0}",
        "Without the credentials: 401",
        "History of the confirmation: delivered (postmark)",
        "Outbox: {'queued': 0, 'sending': 0, 'sent': 1, 'dead': 0, 'suppressed': 0}",
    ],
}

SCRIPTS = sorted(EXAMPLES.glob("*.py"))


def test_every_example_has_expectations() -> None:
    names = {script.name for script in SCRIPTS}
    assert names == set(EXPECTED), "add the new example's expected output to EXPECTED"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        # -W error for the example's own interpreter (not inherited by the processes it starts).
        [sys.executable, "-W", "error", str(script)],
        cwd=tmp_path,  # examples must not depend on, or write into, the working directory
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout}\n{result.stderr}"
    # French typography prints no-break spaces; the lines above are written with plain ones.
    printed = result.stdout.replace("\u00a0", " ").replace("\u202f", " ")
    for line in EXPECTED.get(script.name, []):
        assert line in printed, f"{script.name} did not print {line!r}:\n{result.stdout}"
    assert list(tmp_path.iterdir()) == [], f"{script.name} left files in its working directory"
