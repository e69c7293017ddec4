"""FailoverTransport: next provider only when the previous one certainly did not accept."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from relationclient import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
    TransportError,
    UnsupportedMessageError,
)
from relationclient.messages import Email, Mailbox, idempotency_key
from relationclient.transports import (
    MailjetTransport,
    PostmarkTransport,
    Receipt,
    RetryPolicy,
    SendGridTransport,
    Transport,
)
from relationclient.transports.failover import FailoverTransport
from relationclient.transports.memory import MemoryTransport
from relationclient.transports.smtp import SMTPTransport

from .providers.provider_server import ProviderServer
from .sample_messages import email, sms
from .smtp_server import SMTPServer

StartProviderServer = Callable[[], ProviderServer]


def smtp(server: SMTPServer, name: str, timeout: float = 5) -> SMTPTransport:
    return SMTPTransport(server.host, server.port, security="none", timeout=timeout, name=name)


def test_moves_on_when_the_primary_refuses_connections(
    closed_port: int, smtp_server: SMTPServer
) -> None:
    down = SMTPTransport("127.0.0.1", closed_port, security="none", name="primary")
    with FailoverTransport([down, smtp(smtp_server, "secondary")]) as failover:
        receipt = failover.send(email())
    assert receipt.transport == "secondary"
    assert [g.message_id for g in smtp_server.received] == [email().message_id]


def test_moves_on_after_a_transient_smtp_answer(smtp_server: SMTPServer) -> None:
    smtp_server.reply("MAIL", "421 4.3.2 Service shutting down")
    backup = MemoryTransport(name="backup")
    with FailoverTransport([smtp(smtp_server, "primary"), backup]) as failover:
        receipt = failover.send(email())
    assert receipt.transport == "backup"
    assert backup.outbox == [email()]
    assert smtp_server.received == []


def test_moves_on_after_an_http_503() -> None:
    unavailable = TransientTransportError("HTTP 503", code=503, accepted=False, transport="api")
    primary = MemoryTransport(fail_with=unavailable, name="api")
    secondary = MemoryTransport(name="secondary")
    receipts = FailoverTransport([primary, secondary]).send_many([email(), sms()])
    assert [r.transport for r in receipts] == ["secondary", "secondary"]
    assert primary.outbox == []


def test_moves_on_when_the_primary_cannot_carry_the_message(smtp_server: SMTPServer) -> None:
    sms_provider = MemoryTransport(channels=["sms"], name="sms-provider")
    with FailoverTransport([smtp(smtp_server, "smtp"), sms_provider]) as failover:
        assert failover.channels == {"email", "sms"}
        assert failover.send(sms()).transport == "sms-provider"
        assert failover.send(email()).transport == "smtp"
    assert smtp_server.connections == 1  # the SMS never opened a connection


def test_does_not_move_on_when_the_primary_may_have_accepted(smtp_server: SMTPServer) -> None:
    smtp_server.handler.stall = 3  # takes the message, answers after the client gave up
    backup = MemoryTransport(name="backup")
    failover = FailoverTransport([smtp(smtp_server, "primary", timeout=0.5), backup])
    with failover, pytest.raises(TransientTransportError) as info:
        failover.send(email())
    assert info.value.accepted is None
    assert backup.outbox == []  # sending it again elsewhere could deliver it twice
    assert len(smtp_server.received) == 1


def test_does_not_move_on_after_a_permanent_rejection(smtp_server: SMTPServer) -> None:
    smtp_server.reply("RCPT", "550 5.1.1 User unknown")
    backup = MemoryTransport(name="backup")
    with (
        FailoverTransport([smtp(smtp_server, "primary"), backup]) as failover,
        pytest.raises(PermanentTransportError) as info,
    ):
        failover.send(email())
    assert info.value.code == 550
    assert backup.outbox == []
    assert any("not trying the next transport" in note for note in info.value.__notes__)


def test_does_not_move_on_after_an_http_validation_error() -> None:
    invalid = PermanentTransportError("HTTP 422: invalid phone", code=422, transport="api")
    backup = MemoryTransport(name="backup")
    with pytest.raises(PermanentTransportError):
        FailoverTransport([MemoryTransport(fail_with=invalid), backup]).send(sms())
    assert backup.outbox == []


def test_when_all_fail_the_last_error_carries_the_others(closed_port: int) -> None:
    first = SMTPTransport("127.0.0.1", closed_port, security="none", name="first")
    busy = TransientTransportError("HTTP 503", code=503, accepted=False, transport="second")
    cannot = MemoryTransport(channels=["sms"], name="sms-only")
    failover = FailoverTransport([first, MemoryTransport(fail_with=busy, name="second"), cannot])
    with pytest.raises(TransientTransportError) as info:
        failover.send(email())
    # The SMS-only transport's refusal is noted, but the retryable error is what is raised.
    assert info.value.code == 503
    notes = "\n".join(info.value.__notes__)
    assert "first failed: first: cannot connect" in notes
    assert "sms-only failed" in notes


def test_refuses_what_no_transport_carries() -> None:
    failover = FailoverTransport([MemoryTransport(channels=["email"])])
    with pytest.raises(UnsupportedMessageError):
        failover.send(sms())


def test_close_closes_every_transport() -> None:
    children = [MemoryTransport(), MemoryTransport()]
    with FailoverTransport(children):
        pass
    assert all(child.closed for child in children)


def test_needs_a_transport() -> None:
    with pytest.raises(ConfigurationError):
        FailoverTransport([])


def test_is_a_transport() -> None:
    failover = FailoverTransport([MemoryTransport()])
    assert isinstance(failover, Transport)
    assert failover.send(email()).transport == "memory"
    with pytest.raises(TransportError):
        FailoverTransport([MemoryTransport(fail_with=TransientTransportError("x"))]).send(email())


# -- answers that leave it unknown, from real HTTP servers ---------------------------------
POSTMARK_OK = {
    "To": "x",
    "SubmittedAt": "2026-03-10T09:00:00Z",
    "MessageID": "pm-1",
    "ErrorCode": 0,
}
GATEWAY_TIMEOUT = "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>"


def two_providers(
    start_provider_server: StartProviderServer, **options: object
) -> tuple[ProviderServer, ProviderServer, FailoverTransport]:
    """Postmark first, SendGrid second, each a real local HTTP server."""
    first, second = start_provider_server(), start_provider_server()
    failover = FailoverTransport(
        [
            PostmarkTransport("token", base_url=first.url, timeout=0.3),
            SendGridTransport("key", base_url=second.url),
        ],
        **options,  # type: ignore[arg-type]
    )
    return first, second, failover


def test_a_504_is_never_failed_over(start_provider_server: StartProviderServer) -> None:
    first, second, failover = two_providers(start_provider_server)
    first.script(504, GATEWAY_TIMEOUT)
    with failover, pytest.raises(TransientTransportError) as info:
        failover.send(email())
    assert (info.value.accepted, info.value.code, info.value.transport) == (None, 504, "postmark")
    assert len(first.requests) == 1
    assert second.requests == []  # the second provider receives nothing
    assert any("not trying the next transport" in note for note in info.value.__notes__)


def test_a_read_timeout_is_never_failed_over(start_provider_server: StartProviderServer) -> None:
    first, second, failover = two_providers(start_provider_server)
    first.script(200, POSTMARK_OK, delay=1.0)
    with failover, pytest.raises(TransientTransportError) as info:
        failover.send(email())
    assert info.value.accepted is None
    assert second.requests == []


def test_a_503_is_failed_over(start_provider_server: StartProviderServer) -> None:
    first, second, failover = two_providers(start_provider_server)
    first.script(503, {"ErrorCode": 0, "Message": "Service unavailable"})
    second.script(202, None, {"X-Message-Id": "sg-1"})
    with failover:
        assert failover.send(email()).transport == "sendgrid"
    assert len(second.requests) == 1  # the first said no for sure: the second may try


def test_retries_after_a_504_stay_with_the_provider_that_may_have_it(
    start_provider_server: StartProviderServer,
) -> None:
    first, second, failover = two_providers(
        start_provider_server, retry=RetryPolicy(attempts=3, base=0)
    )
    first.script(504, GATEWAY_TIMEOUT)
    first.script(503, {"ErrorCode": 0, "Message": "Service unavailable"})  # proves nothing
    first.script(200, POSTMARK_OK)
    with failover:
        receipt = failover.send_many([email()])[0]
    assert receipt.transport == "postmark"
    assert second.requests == []
    bodies = {request.body for request in first.requests}
    assert len(first.requests) == 3
    assert len(bodies) == 1  # the very same request each time


def test_child_finds_a_transport_by_name() -> None:
    inner = MemoryTransport(name="inner")
    nested = FailoverTransport([MemoryTransport(name="a"), FailoverTransport([inner])])
    assert nested.child("inner") is inner
    assert nested.child("nobody") is None


# -- batches: one send_many per child ------------------------------------------------------


def customers(count: int) -> list[Email]:
    base = email()
    return [
        base.model_copy(
            update={
                "to": Mailbox(address=f"client{i:03d}@example.fr", name=f"Client {i}"),
                "idempotency_key": idempotency_key("failover", str(i), "email", f"client{i:03d}"),
            }
        )
        for i in range(count)
    ]


def postmark_then_mailjet(
    start_provider_server: StartProviderServer, **options: object
) -> tuple[ProviderServer, ProviderServer, FailoverTransport]:
    first, second = start_provider_server(), start_provider_server()
    first.play("postmark")
    second.play("mailjet")
    failover = FailoverTransport(
        [
            PostmarkTransport("token", base_url=first.url),
            MailjetTransport("key", "secret", base_url=second.url),
        ],
        **options,  # type: ignore[arg-type]
    )
    return first, second, failover


def test_a_batch_refused_whole_moves_on_as_one_batch(
    start_provider_server: StartProviderServer,
) -> None:
    first, second, failover = postmark_then_mailjet(start_provider_server)
    first.script(503, {"ErrorCode": 0, "Message": "Service unavailable"})
    messages = customers(10)
    with failover:
        receipts = failover.send_many(messages)
    assert {r.transport for r in receipts} == {"mailjet"}
    assert [r.idempotency_key for r in receipts] == [m.idempotency_key for m in messages]
    assert [len(r.json()) for r in first.requests] == [10]  # one Postmark batch call…
    assert [len(r.json()["Messages"]) for r in second.requests] == [10]  # …one Mailjet one


def test_a_message_refused_in_a_batch_stays_refused(
    start_provider_server: StartProviderServer,
) -> None:
    first, second, failover = postmark_then_mailjet(start_provider_server)
    messages = customers(10)
    first.play("postmark", bad=[messages[3].recipient])
    with failover:
        results = failover.send_many(messages, return_exceptions=True)
    refused = results[3]
    assert isinstance(refused, PermanentTransportError)
    assert (refused.transport, refused.code) == ("postmark", 406)
    assert all(isinstance(r, Receipt) and r.transport == "postmark" for r in results[:3])
    assert second.requests == []  # a verdict on the message is not asked again elsewhere


def test_a_gateway_error_on_a_batch_is_retried_there_only(
    start_provider_server: StartProviderServer,
) -> None:
    first, second, failover = postmark_then_mailjet(
        start_provider_server, retry=RetryPolicy(attempts=2, base=0)
    )
    first.script(502, "<html>502 Bad Gateway</html>")
    messages = customers(5)
    with failover:
        receipts = failover.send_many(messages)
    assert {r.transport for r in receipts} == {"postmark"}
    assert second.requests == []
    assert len(first.requests) == 2
    assert first.requests[0].body == first.requests[1].body  # the same batch, same Message-IDs


def test_a_batch_of_both_channels_goes_to_whoever_carries_each(
    start_provider_server: StartProviderServer,
) -> None:
    server = start_provider_server()
    server.play("postmark")
    backup = MemoryTransport(name="backup")
    with FailoverTransport([PostmarkTransport("token", base_url=server.url), backup]) as failover:
        receipts = failover.send_many([*customers(3), sms()])
    assert [r.transport for r in receipts] == ["postmark"] * 3 + ["backup"]
    assert backup.outbox == [sms()]
    assert len(server.requests) == 1
