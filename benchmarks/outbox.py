"""Outbox benchmark: ``put`` + ``dispatch`` of a batch on SQLite, against bare ``send_many``.

Both send the same emails to the same loopback SMTP server (STARTTLS, four
pooled connections); the outbox also stores each message first and commits
every state change durably (SQLite in WAL mode, ``synchronous=FULL``). One
process dispatches: the target of DESIGN.md (at least 70 % of bare throughput
with four dispatcher processes on PostgreSQL, through the 20 ms proxy) is not
what this measures, so the ratio is reported only.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from relationclient.outbox import Outbox
from relationclient.transports import SMTPTransport

from .send import _client_context, _emails, smtp_server


def run(count: int, concurrency: int = 4) -> list[tuple[str, float, str]]:
    """Messages per second of bare ``send_many`` and of the outbox, side by side."""
    bare_emails = _emails(count)
    outbox_emails = [
        e.model_copy(update={"idempotency_key": f"{e.idempotency_key}-outbox"}) for e in bare_emails
    ]
    with smtp_server() as (port, counter), tempfile.TemporaryDirectory() as tmp:

        def transport() -> SMTPTransport:
            return SMTPTransport(
                "127.0.0.1",
                port,
                security="starttls",
                ssl_context=_client_context(),
                pool_size=concurrency,
            )

        with transport() as smtp:
            start = time.perf_counter()
            smtp.send_many(bare_emails, concurrency=concurrency)
            bare = time.perf_counter() - start

        with Outbox(f"sqlite:///{Path(tmp) / 'outbox.sqlite3'}") as outbox, transport() as smtp:
            start = time.perf_counter()
            for email in outbox_emails:
                outbox.put(email)
            stored = time.perf_counter() - start
            report = outbox.dispatch(smtp, batch_size=100)
            total = time.perf_counter() - start
            if report.sent != count or outbox.counts()["sent"] != count:
                raise RuntimeError(f"outbox sent {report.sent} of {count}: {outbox.counts()}")
        if counter.count != 2 * count:
            raise RuntimeError(f"server received {counter.count}, expected {2 * count}")
    return [
        ("outbox: bare send_many (loopback SMTP)", count / bare, "msg/s"),
        ("outbox: put, SQLite, durable", count / stored, "msg/s"),
        (
            "outbox: put + dispatch, SQLite, every change committed",
            count / total,
            f"msg/s, {bare / total:.0%} of bare (reported only)",
        ),
    ]
