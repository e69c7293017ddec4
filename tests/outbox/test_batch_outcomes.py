"""The outbox records each message's own outcome from a provider batch, partial failures included.

Postmark's ``/email/batch`` answers ``200`` with one result per message, even
when it refused one of them; the outbox must record the others as sent with
their Postmark ids, the refused one as dead with Postmark's reason, and never
send the accepted ones again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relationclient.messages import Email, Mailbox, idempotency_key
from relationclient.transports import PostmarkTransport

from ..transports.providers.provider_server import ProviderServer
from ..transports.sample_messages import email as sample_email
from .conftest import MakeOutbox


@pytest.fixture
def postmark_server() -> Iterator[ProviderServer]:
    """A local server speaking Postmark's documented API."""
    server = ProviderServer()
    server.start()
    yield server
    server.stop()


def customers(count: int) -> list[Email]:
    base = sample_email()
    return [
        base.model_copy(
            update={
                "to": Mailbox(address=f"client{i:03d}@example.fr", name=f"Client {i}"),
                "idempotency_key": idempotency_key("batch", str(i), "email", f"client{i:03d}"),
            }
        )
        for i in range(count)
    ]


def test_a_batch_records_each_messages_outcome(
    make_outbox: MakeOutbox, postmark_server: ProviderServer
) -> None:
    messages = customers(40)
    bad = messages[17]
    postmark_server.play("postmark", bad=[bad.recipient])
    outbox = make_outbox()
    for message in messages:
        outbox.put(message)

    with PostmarkTransport("server-token", base_url=postmark_server.url) as postmark:
        report = outbox.dispatch(postmark)
        again = outbox.dispatch(postmark)

    [request] = postmark_server.requests  # one batch call, nothing sent twice
    assert request.path == "/email/batch"
    assert (report.sent, report.dead, report.retried) == (39, 1, 0)
    assert again.claimed == 0
    [(_, answers)] = postmark_server.played
    postmark_ids = {
        answer["To"].rpartition("<")[2].rstrip(">"): answer["MessageID"]
        for answer in answers
        if answer["ErrorCode"] == 0
    }
    for message in messages:
        entry = outbox.get(message.idempotency_key)
        assert entry is not None
        if message is bad:
            assert entry.state == "dead"
            assert entry.provider_message_id is None
            assert entry.last_error is not None
            assert "406" in entry.last_error
            assert "inactive" in entry.last_error  # Postmark's own words
            assert bad.recipient in entry.last_error
        else:
            assert entry.state == "sent"
            assert entry.provider_message_id == postmark_ids[message.recipient]
            assert entry.attempts == 1
