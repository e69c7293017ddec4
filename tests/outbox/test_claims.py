"""What one claim takes: due entries in order, bounded by count and by bytes of stored message."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from relationclient.messages import Attachment, Email, Message
from relationclient.outbox import DEFAULT_BATCH_BYTES, Outbox
from relationclient.transports import MemoryTransport

from ..transports.sample_messages import emails


class BatchRecorder(MemoryTransport):
    """Accepts everything and notes how many messages each ``send_many`` carried."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []

    def send_many(self, messages: Iterable[Message], **options: Any) -> Any:
        batch = list(messages)
        self.batches.append(len(batch))
        return super().send_many(batch, **options)


def with_catalogue(count: int, size: int) -> list[Email]:
    """``count`` emails, each with a PDF attachment of ``size`` bytes."""
    pdf = Attachment(
        filename="catalogue.pdf",
        content=base64.b64encode(b"%PDF-1.7\n" + bytes(size)),
        mimetype="application/pdf",
    )
    return [m.model_copy(update={"attachments": (pdf,)}) for m in emails(count)]


def test_a_claim_takes_no_more_bytes_than_batch_bytes(outbox: Outbox) -> None:
    batch = with_catalogue(6, 60_000)
    sizes = [outbox.put(message).size for message in batch]
    assert all(size > 80_000 for size in sizes)  # the attachment, base64 in the JSON
    budget = 2 * max(sizes) + 100  # two fit, never three
    assert budget < 3 * min(sizes)
    transport = BatchRecorder()

    report = outbox.dispatch(transport, batch_bytes=budget)

    assert transport.batches == [2, 2, 2]
    assert (report.claimed, report.sent) == (6, 6)


def test_an_entry_larger_than_batch_bytes_goes_alone(outbox: Outbox) -> None:
    for message in with_catalogue(3, 20_000):
        outbox.put(message)
    transport = BatchRecorder()
    assert outbox.dispatch(transport, batch_bytes=1).sent == 3  # never stuck
    assert transport.batches == [1, 1, 1]


def test_count_still_bounds_a_claim_of_small_entries(outbox: Outbox) -> None:
    for message in emails(5):
        outbox.put(message)
    transport = BatchRecorder()
    outbox.dispatch(transport, batch_size=2)
    assert transport.batches == [2, 2, 1]


def test_the_default_holds_a_full_batch_of_ordinary_emails(outbox: Outbox) -> None:
    entry = outbox.put(emails(1)[0])
    assert 100 * entry.size < DEFAULT_BATCH_BYTES  # batch_size decides for ordinary mail
    assert entry.size == len(entry.message_json.encode())
