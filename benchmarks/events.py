"""Delivery events benchmark: webhook events parsed and recorded into the outbox, per second.

DESIGN.md's target: at least 2,000 events/s recorded into the outbox's database
on SQLite (WAL, ``synchronous=FULL``: every commit synced), in-process,
batches of 100 events per request as SendGrid sends them, one transaction per
request.

SendGrid's parser is not written yet, and Postmark — the provider that is —
posts one event per request. So a "request" here is 100 Postmark bodies, each
parsed by ``events.parse`` with its basic-auth header checked, then recorded
together by one ``Outbox.record_events``: one transaction, as one SendGrid
request of 100 events will be. The events attach to sent entries by the
idempotency key Postmark echoes (a lookup each), and the mix is what a shop
sees — deliveries, opens, clicks, soft and hard bounces, complaints — so the
hard bounces and complaints add suppressions; every tenth request is the
previous one again (a provider's retry), whose events are all duplicates.
"""

from __future__ import annotations

import base64
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from relationclient import events
from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import MemoryTransport

from .send import _emails

Row = tuple[str, float, str]

AUTH = events.BasicAuth("hooks", "benchmark-webhook-password")
HEADERS = {
    "Content-Type": "application/json",
    "Authorization": "Basic " + base64.b64encode(b"hooks:benchmark-webhook-password").decode(),
}
PER_REQUEST = 100


def _payload(n: int, key: str, recipient: str) -> bytes:
    """The ``n``-th Postmark webhook body: a mix of record types, each for an entry."""
    at = (datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + timedelta(seconds=n)).isoformat()
    common: dict[str, Any] = {
        "MessageID": f"pm-{n:07d}",
        "MessageStream": "outbound",
        "Metadata": {"idempotency_key": key},
        "Tag": "order_confirmation",
    }
    kind = n % 20
    if kind < 12:
        body = {"RecordType": "Delivery", "Recipient": recipient, "DeliveredAt": at,
                "Details": "smtp;250 2.0.0 OK"}  # fmt: skip
    elif kind < 15:
        body = {"RecordType": "Open", "Recipient": recipient, "ReceivedAt": at,
                "FirstOpen": True, "Platform": "WebMail"}  # fmt: skip
    elif kind < 17:
        body = {"RecordType": "Click", "Recipient": recipient, "ReceivedAt": at,
                "OriginalLink": "https://maison-lumiere.fr/suivi"}  # fmt: skip
    else:
        hard = kind == 19
        body = {
            "RecordType": "SpamComplaint" if kind == 18 else "Bounce",
            "ID": n,
            "Type": {17: "SoftBounce", 18: "SpamComplaint", 19: "HardBounce"}[kind],
            "Email": f"customer-{n:07d}@example.fr" if hard else recipient,
            "BouncedAt": at,
            "Inactive": hard,
            "Description": "The server was unable to deliver your message.",
            "Details": "smtp;550 5.1.1 unknown user" if hard else "smtp;452 4.2.2 mailbox full",
        }
    return json.dumps({**common, **body}).encode()


def run(count: int, entries: int = 1000) -> list[Row]:
    """Events per second: parsed and recorded, 100 a transaction, on SQLite."""
    requests = max(1, count // PER_REQUEST)
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(f"sqlite:///{Path(tmp) / 'outbox.sqlite3'}", quiet_hours=NO_QUIET_HOURS)
        sent = _emails(min(entries, requests * PER_REQUEST))
        for email in sent:
            outbox.put(email)
        outbox.dispatch(MemoryTransport())
        bodies = [
            [
                _payload(n, sent[n % len(sent)].idempotency_key, sent[n % len(sent)].recipient)
                for n in range(r * PER_REQUEST, (r + 1) * PER_REQUEST)
            ]
            for r in range(requests)
        ]
        for r in range(9, requests, 10):
            bodies[r] = bodies[r - 1]  # the provider's retry of the previous request
        parsing = recording = 0.0
        recorded = duplicates = 0
        for request in bodies:
            start = time.perf_counter()
            found = [
                event
                for body in request
                for event in events.parse("postmark", headers=HEADERS, body=body, secret=AUTH)
            ]
            parsed = time.perf_counter()
            report = outbox.record_events(found)
            recording += time.perf_counter() - parsed
            parsing += parsed - start
            recorded += report.recorded
            duplicates += report.duplicates
        total = requests * PER_REQUEST
        if recorded + duplicates != total:
            raise RuntimeError(f"recorded {recorded} + {duplicates} duplicates of {total}")
        outbox.close()
    rate = total / (parsing + recording)
    return [
        (
            "events: Postmark parsed + recorded, SQLite, 100/transaction",
            rate,
            f"events/s (target >= 2,000: {'met' if rate >= 2000 else 'NOT met'})",
        ),
        ("events: parse only (basic auth checked)", total / parsing, "events/s"),
        ("events: record only (one transaction per 100)", total / recording, "events/s"),
        ("events: of which duplicates (retried requests)", float(duplicates), "events"),
    ]
