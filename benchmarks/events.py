"""Delivery events benchmark: webhook events parsed and recorded into the outbox, per second.

DESIGN.md's target: at least 2,000 events/s recorded into the outbox's database
on SQLite (WAL, ``synchronous=FULL``: every commit synced), in-process,
batches of 100 events per request as SendGrid sends them, one transaction per
request.

So a request here is what SendGrid's Event Webhook POSTs: a JSON array of 100
events, signed as its Signed Event Webhook is (ECDSA P-256 over the timestamp
header and the body, with a key pair made here). Each is verified and parsed
by the SendGrid parser, as the webhook apps hold it, then recorded by one
``Outbox.record_events``: one transaction. The events attach to sent entries
by the idempotency key SendGrid echoes from ``custom_args`` (a lookup each),
and the mix is what a shop sees — deliveries, opens, clicks, blocks, hard
bounces, spam reports — so the hard bounces and spam reports add
suppressions; every tenth request is the previous one again, signed again (a
SendGrid retry), whose events are all duplicates. Signing is SendGrid's work,
not timed.
"""

from __future__ import annotations

import base64
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from relationclient import events
from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import MemoryTransport

from .send import _emails

Row = tuple[str, float, str]

PER_REQUEST = 100
START = 1773133200  # 2026-03-10T09:00:00Z


def _event(n: int, key: str, recipient: str) -> dict[str, Any]:
    """The ``n``-th SendGrid event: a mix of kinds, each about a sent entry."""
    event: dict[str, Any] = {
        "email": recipient,
        "timestamp": START + n,
        "smtp-id": f"<bench{n:07d}@ismtpd0001p1lon1.sendgrid.net>",
        "sg_event_id": f"bench-event-{n:07d}",
        "sg_message_id": f"bench{n:07d}.filterdrecv-p3iad2-5dc87598f5-bvh7w-20-5FB44F45-3E.0",
        "category": ["order_confirmation"],
        "idempotency_key": key,
    }
    kind = n % 20
    if kind < 12:
        event.update(event="delivered", response="250 2.0.0 OK", ip="168.1.1.1", tls=1)
    elif kind < 15:
        event.update(event="open", useragent="Mozilla/5.0", ip="255.255.255.255")
    elif kind < 17:
        event.update(event="click", url="https://maison-lumiere.fr/suivi", url_offset={})
    elif kind == 17:
        event.update(event="bounce", type="blocked", status="4.2.2", reason="452 mailbox full")
    elif kind == 18:
        event.update(event="spamreport")
    else:
        event.update(event="bounce", type="bounce", status="5.1.1", reason="550 unknown user",
                     email=f"customer-{n:07d}@example.fr")  # fmt: skip
    return event


def run(count: int, entries: int = 1000) -> list[Row]:
    """Events per second: verified, parsed and recorded, 100 a transaction, on SQLite."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    private_key = ec.generate_private_key(ec.SECP256R1())
    public_key = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The parser as the webhook apps hold it: the public key loaded once.
    parser = events.parser_for("sendgrid")(base64.b64encode(public_key).decode())

    def signed(body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        signature = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }

    requests = max(1, count // PER_REQUEST)
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(f"sqlite:///{Path(tmp) / 'outbox.sqlite3'}", quiet_hours=NO_QUIET_HOURS)
        sent = _emails(min(entries, requests * PER_REQUEST))
        for email in sent:
            outbox.put(email)
        outbox.dispatch(MemoryTransport())
        bodies = [
            json.dumps(
                [
                    _event(n, sent[n % len(sent)].idempotency_key, sent[n % len(sent)].recipient)
                    for n in range(r * PER_REQUEST, (r + 1) * PER_REQUEST)
                ]
            ).encode()
            for r in range(requests)
        ]
        for r in range(9, requests, 10):
            bodies[r] = bodies[r - 1]  # SendGrid's retry of the previous request
        parsing = recording = 0.0
        recorded = duplicates = 0
        for body in bodies:
            headers = signed(body)
            start = time.perf_counter()
            found = parser.parse(headers=headers, body=body)
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
            "events: SendGrid batches parsed + recorded, SQLite, 100/tx",
            rate,
            f"events/s (target >= 2,000: {'met' if rate >= 2000 else 'NOT met'})",
        ),
        ("events: parse only (ECDSA signature checked per batch)", total / parsing, "events/s"),
        ("events: record only (one transaction per 100)", total / recording, "events/s"),
        ("events: of which duplicates (retried requests)", float(duplicates), "events"),
    ]
