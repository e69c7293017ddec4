"""A help desk: acknowledge each question at once, with the answer time, then answer it.

Two questions arrive (one on a Friday evening, one on a Tuesday morning); each
gets an acknowledgement promising the answer in working time (the shop's
support hours and holidays, the customer's time zone). The first customer
then gets two answers from an agent: both are delivered, a retried one is not.
Run it with ``python examples/support_desk.py``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import relationclient as rc
from relationclient import samples
from relationclient.transports import MemoryTransport

PARIS = ZoneInfo("Europe/Paris")
composer = rc.Composer(samples.shop())
friday = samples.inquiry("fr")  # Friday 4 December 2026, 19:20
tuesday = samples.inquiry(
    "en", id="Q-2026-0460", received_at=datetime(2026, 12, 8, 9, 30, tzinfo=PARIS)
)

with MemoryTransport() as transport:
    for question in (friday, tuesday):
        email = composer.email("inquiry_received", inquiry=question)
        transport.send(email)
        print(f"{question.id}: {email.preheader}")

    answers = [
        samples.reply("fr"),
        samples.reply("fr", id="A-2026-0457-2", body="Il est de nouveau en stock."),
        samples.reply("fr"),  # the help desk retries the first one
    ]
    sent: set[str] = set()
    for answer in answers:
        email = composer.email("support_reply", inquiry=friday, reply=answer)
        if email.idempotency_key in sent:
            print(f"{answer.id}: already sent, skipped")
            continue
        transport.send(email)
        sent.add(email.idempotency_key)
        print(f"{answer.id}: {email.subject}")
    print(f"Messages sent: {len(transport.outbox)}")
