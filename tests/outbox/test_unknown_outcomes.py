"""An attempt nobody knows the outcome of is retried through the provider that may have it.

Two real local HTTP servers stand in for Postmark and SendGrid behind a
:class:`FailoverTransport`. A 504 from the first (a gateway that may have
passed the message on) must never send the message to the second — neither
in the dispatch that met it, nor in any later retry, whatever the first
answers then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relationclient.outbox import Outbox
from relationclient.transports import (
    FailoverTransport,
    PostmarkTransport,
    RetryPolicy,
    SendGridTransport,
)

from ..transports.providers.provider_server import ProviderServer
from ..transports.sample_messages import email
from .conftest import Clock, MakeOutbox

WAIT = RetryPolicy(attempts=5, base=10.0, cap=10.0, jitter=False)  # 10 s between tries
GATEWAY_TIMEOUT = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"
UNAVAILABLE = {"ErrorCode": 0, "Message": "Service unavailable"}
POSTMARK_OK = {
    "To": "x",
    "SubmittedAt": "2026-03-10T09:00:00Z",
    "MessageID": "pm-1",
    "ErrorCode": 0,
}


@pytest.fixture
def providers() -> Iterator[tuple[ProviderServer, ProviderServer]]:
    """Two provider stand-ins: the first choice (Postmark) and the backup (SendGrid)."""
    first, second = ProviderServer(), ProviderServer()
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


def failover(first: ProviderServer, second: ProviderServer) -> FailoverTransport:
    return FailoverTransport(
        [
            PostmarkTransport("token", base_url=first.url),
            SendGridTransport("key", base_url=second.url),
        ]
    )


def test_after_a_504_the_backup_provider_receives_nothing(
    make_outbox: MakeOutbox, clock: Clock, providers: tuple[ProviderServer, ProviderServer]
) -> None:
    first, second = providers
    outbox: Outbox = make_outbox(retry=WAIT)
    message = email()
    outbox.put(message)

    with failover(first, second) as transport:
        first.script(504, GATEWAY_TIMEOUT)
        assert outbox.dispatch(transport).retried == 1
        entry = outbox.get(message.idempotency_key)
        assert entry is not None
        assert (entry.state, entry.pinned_to) == ("queued", "postmark")
        assert "504" in (entry.last_error or "")

        clock.advance(10)
        first.script(503, UNAVAILABLE)  # "not accepted" now proves nothing about the 504
        assert outbox.dispatch(transport).retried == 1

        clock.advance(10)
        first.script(200, POSTMARK_OK)
        assert outbox.dispatch(transport).sent == 1

    assert second.requests == []  # the second provider receives nothing
    assert len(first.requests) == 3
    assert len({request.body for request in first.requests}) == 1  # same Message-ID each time
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert entry.receipt is not None
    assert (entry.state, entry.receipt.transport, entry.pinned_to) == ("sent", "postmark", None)


def test_a_plain_503_still_fails_over_at_once(
    make_outbox: MakeOutbox, providers: tuple[ProviderServer, ProviderServer]
) -> None:
    first, second = providers
    outbox: Outbox = make_outbox(retry=WAIT)
    outbox.put(email())
    first.script(503, UNAVAILABLE)  # the provider itself says no: safe to move on
    second.script(202, None, {"X-Message-Id": "sg-1"})
    with failover(first, second) as transport:
        assert outbox.dispatch(transport).sent == 1
    assert len(second.requests) == 1


def test_requeue_unpins_an_entry(
    make_outbox: MakeOutbox, providers: tuple[ProviderServer, ProviderServer]
) -> None:
    first, second = providers
    outbox: Outbox = make_outbox(retry=RetryPolicy(attempts=1))
    message = email()
    outbox.put(message)
    first.script(504, GATEWAY_TIMEOUT)
    with failover(first, second) as transport:
        assert outbox.dispatch(transport).dead == 1  # out of attempts: parked, still pinned
        [dead] = outbox.dead()
        assert dead.pinned_to == "postmark"
        # The shop looked (the first provider's logs show nothing arrived) and requeues:
        # its decision, so the entry may fail over again.
        assert outbox.requeue([dead]) == 1
        first.script(503, UNAVAILABLE)
        second.script(202, None, {"X-Message-Id": "sg-1"})
        assert outbox.dispatch(transport).sent == 1
    assert len(second.requests) == 1
