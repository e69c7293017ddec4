"""SMTPTransport against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
import threading
from email.headerregistry import Address
from typing import Any

import pytest
from pydantic import ValidationError

from relationclient import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
    UnsupportedMessageError,
)
from relationclient.messages import Mailbox
from relationclient.transports import Receipt, RetryPolicy
from relationclient.transports.smtp import SMTPTransport

from .conftest import StartServer
from .sample_messages import (
    assert_arrived_intact,
    assert_list_unsubscribe_unencoded,
    composed_email,
    email,
    emails,
    marketing_email,
    sms,
)
from .smtp_server import PASSWORD, USERNAME, SMTPServer


def plain(server: SMTPServer, **options: Any) -> SMTPTransport:
    """A transport to ``server`` without TLS (the loopback server speaks none)."""
    options.setdefault("timeout", 5)
    return SMTPTransport(server.host, server.port, security="none", **options)


# -- delivery ----------------------------------------------------------------------------
def test_composed_email_arrives_intact(smtp_server: SMTPServer) -> None:
    built = composed_email("fr")
    with plain(smtp_server) as smtp:
        receipt = smtp.send(built)

    [got] = smtp_server.received
    assert got.mail_from == built.sender.address
    assert got.rcpt_tos == [built.to.address]
    assert_arrived_intact(got.message, built)
    assert receipt.message_id == built.message_id == got.message["Message-ID"]
    assert (receipt.transport, receipt.recipient) == ("smtp", built.to.address)
    assert receipt.idempotency_key == built.idempotency_key
    assert receipt.raw == "250 2.0.0 OK: queued"
    assert got.data.isascii()  # 7-bit clean: RFC 2047 headers, quoted-printable bodies


def test_list_unsubscribe_arrives_unencoded(smtp_server: SMTPServer) -> None:
    built = marketing_email("fr")
    assert len(built.headers["List-Unsubscribe"]) > 300
    with plain(smtp_server) as smtp:
        smtp.send(built)
    [got] = smtp_server.received
    assert_list_unsubscribe_unencoded(got.data, built)
    assert got.message["List-Unsubscribe"] == built.headers["List-Unsubscribe"]
    assert got.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_every_field_of_a_built_email_arrives(smtp_server: SMTPServer) -> None:
    built = email("fr")  # reply-to, extra headers, date, accents everywhere
    with plain(smtp_server) as smtp:
        smtp.send(built)
    assert_arrived_intact(smtp_server.received[0].message, built)


@pytest.mark.parametrize(
    "name",
    [
        "Maison Lumière",
        "ليلى حداد",
        "Dupont, Camille",
        'Zoë "Zozo" Ünal',
        "Jonas Müller 🚚",
        "Émilie-Geneviève de La Rochefoucauld-Liancourt, responsable du service clientèle",
    ],
)
def test_non_ascii_display_names_are_rfc2047_encoded_and_decode_back(
    smtp_server: SMTPServer, name: str
) -> None:
    built = email(to=Mailbox(address="client@example.fr", name=name))
    built = built.model_copy(update={"sender": Mailbox(address="bonjour@example.fr", name=name)})
    with plain(smtp_server) as smtp:
        smtp.send(built)

    [got] = smtp_server.received
    head = got.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    if not name.isascii():
        assert b"=?utf-8?" in head
    for header in ("From", "To"):
        [address] = got.message[header].addresses
        assert address.display_name == name


def test_idn_domain_travels_as_punycode(smtp_server: SMTPServer) -> None:
    built = email(to=Mailbox(address="jose@bücher.fr", name="José"))
    with plain(smtp_server) as smtp:
        smtp.send(built)

    [got] = smtp_server.received
    assert got.rcpt_tos == ["jose@xn--bcher-kva.fr"]
    assert not got.smtp_utf8
    assert got.message["To"].addresses[0] == Address("José", "jose", "xn--bcher-kva.fr")


def test_non_ascii_local_part_uses_smtputf8(smtp_server: SMTPServer) -> None:
    built = email(to=Mailbox(address="josé@exemple.fr", name="José"))
    assert built.needs_smtputf8
    with plain(smtp_server) as smtp:
        smtp.send(built)

    [got] = smtp_server.received
    assert got.smtp_utf8
    assert "SMTPUTF8" in got.mail_options
    assert got.rcpt_tos == ["josé@exemple.fr"]
    assert got.message["To"].addresses[0].username == "josé"


def test_non_ascii_local_part_is_refused_clearly_without_smtputf8(
    start_smtp_server: StartServer,
) -> None:
    server = start_smtp_server(enable_SMTPUTF8=False)
    with plain(server) as smtp:
        with pytest.raises(UnsupportedMessageError, match="SMTPUTF8") as info:
            smtp.send(email(to=Mailbox(address="josé@exemple.fr")))
        assert info.value.accepted is False
        assert server.received == []
        smtp.send(email())  # the session is still good for ordinary mail
    assert len(server.received) == 1
    assert server.connections == 1


def test_sms_is_refused_before_any_connection(smtp_server: SMTPServer) -> None:
    with plain(smtp_server) as smtp:
        assert smtp.channels == {"email"}
        with pytest.raises(UnsupportedMessageError, match="email only"):
            smtp.send(sms())
        with pytest.raises(UnsupportedMessageError):
            smtp.send_many([email(), sms()])  # one bad message refuses the whole batch
    assert smtp_server.connections == 0
    assert smtp_server.received == []


# -- header injection ----------------------------------------------------------------------
INJECTIONS: dict[str, dict[str, Any]] = {
    "subject CRLF": {"subject": "Votre commande\r\nBcc: victim@example.com"},
    "subject LF": {"subject": "Votre commande\nBcc: victim@example.com"},
    "recipient name": {"to": {"address": "a@example.fr", "name": "Camille\r\nBcc: x@example.com"}},
    "sender name": {"sender": {"address": "b@example.fr", "name": "Shop\nBcc: x@example.com"}},
    "reply-to name": {"reply_to": {"address": "c@example.fr", "name": "Help\r\nX-Evil: 1"}},
    "extra header value": {"headers": {"X-Campaign": "noel\r\nBcc: victim@example.com"}},
    "extra header name": {"headers": {"X-Campaign\r\nBcc": "victim@example.com"}},
    "recipient address": {"to": {"address": "a@example.fr\r\nBcc: victim@example.com"}},
    "sender address (SMTP command)": {
        "sender": {"address": "b@example.fr>\r\nRCPT TO:<victim@example.com"}
    },
    "reply-to address": {"reply_to": {"address": "c@example.fr\nBcc: victim@example.com"}},
}


@pytest.mark.parametrize("changes", INJECTIONS.values(), ids=INJECTIONS.keys())
def test_crlf_injection_is_refused_before_any_connection(
    smtp_server: SMTPServer, changes: dict[str, Any]
) -> None:
    with plain(smtp_server) as smtp, pytest.raises(ValidationError):
        smtp.send(email(**changes))
    assert smtp_server.connections == 0


def test_an_unvalidated_injection_still_never_reaches_a_connection(
    smtp_server: SMTPServer,
) -> None:
    forged = email().model_copy(update={"subject": "Hi\r\nBcc: victim@example.com"})
    with plain(smtp_server) as smtp, pytest.raises(ValueError, match="linefeed"):
        smtp.send(forged)
    assert smtp_server.connections == 0


# -- connections ------------------------------------------------------------------------
def test_send_many_sequential_uses_one_connection(smtp_server: SMTPServer) -> None:
    batch = emails(500)
    with plain(smtp_server) as smtp:
        receipts = smtp.send_many(batch, concurrency=1)

    assert smtp_server.connections == 1
    assert [r.message_id for r in receipts] == [m.message_id for m in batch]
    assert [g.message_id for g in smtp_server.received] == [m.message_id for m in batch]


def test_send_many_concurrent_stays_within_the_pool_and_keeps_order(
    smtp_server: SMTPServer,
) -> None:
    batch = emails(500)
    with plain(smtp_server, pool_size=4) as smtp:
        receipts = smtp.send_many(batch)  # default concurrency: pool_size
        again = smtp.send_many(batch[:40], concurrency=4)  # reuses the open connections

    assert 2 <= smtp_server.connections <= 4
    assert len({g.connection for g in smtp_server.received}) == smtp_server.connections
    assert [r.message_id for r in receipts] == [m.message_id for m in batch]
    assert [r.message_id for r in again] == [m.message_id for m in batch[:40]]
    ids = [g.message_id for g in smtp_server.received]
    assert sorted(ids) == sorted(m.message_id for m in batch + batch[:40])


def test_sends_reuse_the_open_connection(smtp_server: SMTPServer) -> None:
    with plain(smtp_server) as smtp:
        smtp.open()  # connect early, to check the settings
        for seed in range(3):
            smtp.send(email(seed=seed))
    assert smtp_server.connections == 1
    assert len(smtp_server.received) == 3


def test_server_dropping_the_connection_between_messages_is_transparent(
    smtp_server: SMTPServer,
) -> None:
    smtp_server.handler.drop_after = 3
    batch = emails(10)
    with plain(smtp_server) as smtp:
        receipts = smtp.send_many(batch, concurrency=1)

    assert [r.message_id for r in receipts] == [m.message_id for m in batch]
    ids = [g.message_id for g in smtp_server.received]
    assert ids == [m.message_id for m in batch]  # each exactly once, in order
    assert smtp_server.connections == 4  # 3 + 3 + 3 + 1


def test_timeout_after_data_is_ambiguous_and_not_resent(smtp_server: SMTPServer) -> None:
    smtp_server.handler.stall = 3  # takes the message, answers too late
    with plain(smtp_server, timeout=0.5) as smtp, pytest.raises(TransientTransportError) as info:
        smtp.send(email())
    assert info.value.accepted is None
    assert len(smtp_server.received) == 1  # the server has it: a resend would duplicate
    assert smtp_server.connections == 1


def test_connection_refused_is_transient_and_not_accepted(closed_port: int) -> None:
    smtp = SMTPTransport("127.0.0.1", closed_port, security="none", timeout=5)
    with smtp, pytest.raises(TransientTransportError) as info:
        smtp.send(email())
    assert info.value.accepted is False
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


# -- server answers ------------------------------------------------------------------------
def test_451_then_accepted_with_retry(smtp_server: SMTPServer) -> None:
    smtp_server.reply("DATA", "451 4.3.0 Temporary local problem, try again")
    with plain(smtp_server, retry=RetryPolicy(attempts=3, base=0)) as smtp:
        receipt = smtp.send(email())
    assert receipt.message_id == email().message_id
    assert len(smtp_server.received) == 1
    assert smtp_server.connections == 1  # the session survived the refusal


def test_451_without_retry_is_transient(smtp_server: SMTPServer) -> None:
    smtp_server.reply("MAIL", "451 4.7.1 Greylisted, please come back later")
    with plain(smtp_server) as smtp:
        with pytest.raises(TransientTransportError) as info:
            smtp.send(email())
        assert smtp_server.received == []
        smtp.send(email())  # after RSET, the same session takes the next message
    error = info.value
    assert (error.code, error.accepted, error.transient) == (451, False, True)
    assert error.provider_message == "4.7.1 Greylisted, please come back later"
    assert smtp_server.connections == 1
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize("command", ["MAIL", "RCPT", "DATA"])
def test_550_is_permanent_with_the_provider_text(smtp_server: SMTPServer, command: str) -> None:
    text = "5.1.1 <camille.dupont@example.fr>: Recipient address rejected: User unknown"
    smtp_server.reply(command, f"550 {text}")
    with plain(smtp_server) as smtp, pytest.raises(PermanentTransportError) as info:
        smtp.send(email())
    error = info.value
    assert (error.code, error.accepted, error.transient) == (550, False, False)
    assert error.provider_message == text
    assert text in str(error)
    assert smtp_server.received == []


def test_one_refused_message_in_a_concurrent_batch(smtp_server: SMTPServer) -> None:
    batch = emails(20)
    smtp_server.reply("RCPT", "550 5.1.1 User unknown")
    with plain(smtp_server) as smtp:
        results = smtp.send_many(batch, concurrency=4, return_exceptions=True)
    errors = [r for r in results if isinstance(r, PermanentTransportError)]
    assert len(errors) == 1
    delivered = {g.message_id for g in smtp_server.received}
    for message, result in zip(batch, results, strict=True):
        assert isinstance(result, Receipt) == (message.message_id in delivered)
    assert len(delivered) == 19


def test_a_failed_batch_reports_what_was_delivered(smtp_server: SMTPServer) -> None:
    batch = emails(5)
    smtp_server.reply("RCPT", "250 OK", "250 OK", "550 5.1.1 User unknown")
    with plain(smtp_server) as smtp, pytest.raises(PermanentTransportError) as info:
        smtp.send_many(batch, concurrency=1)
    assert [r.message_id for r in info.value.receipts] == [m.message_id for m in batch[:2]]


# -- TLS and AUTH ----------------------------------------------------------------------------
def test_starttls_then_auth(
    tls_smtp_server: SMTPServer, client_tls_context: ssl.SSLContext
) -> None:
    server = tls_smtp_server
    with SMTPTransport(
        server.host,
        server.port,
        username=USERNAME,
        password=PASSWORD,
        ssl_context=client_tls_context,
        timeout=5,
    ) as smtp:
        smtp.send_many(emails(3))
    assert len(server.received) == 3
    assert all(g.tls and g.login == USERNAME.encode() for g in server.received)


def test_wrong_password_is_permanent(
    tls_smtp_server: SMTPServer, client_tls_context: ssl.SSLContext
) -> None:
    server = tls_smtp_server
    with (
        SMTPTransport(
            server.host,
            server.port,
            username=USERNAME,
            password="nope",
            ssl_context=client_tls_context,
        ) as smtp,
        pytest.raises(PermanentTransportError, match="authentication failed") as info,
    ):
        smtp.send(email())
    assert info.value.code == 535
    assert server.received == []


def test_untrusted_certificate_is_refused(tls_smtp_server: SMTPServer) -> None:
    server = tls_smtp_server  # self-signed: the default context does not trust it
    smtp = SMTPTransport(server.host, server.port, timeout=5)
    with smtp, pytest.raises(PermanentTransportError, match="certificate") as info:
        smtp.send(email())
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
    assert server.received == []


def test_starttls_is_never_silently_skipped(smtp_server: SMTPServer) -> None:
    smtp = SMTPTransport(smtp_server.host, smtp_server.port, timeout=5)
    with smtp, pytest.raises(PermanentTransportError, match="STARTTLS") as info:
        smtp.send(email())
    assert info.value.accepted is False
    assert smtp_server.received == []


def test_credentials_over_a_connection_without_auth_are_refused(smtp_server: SMTPServer) -> None:
    smtp = plain(smtp_server, username=USERNAME, password=PASSWORD)
    with smtp, pytest.raises(PermanentTransportError, match="no AUTH"):
        smtp.send(email())
    assert smtp_server.received == []


def test_implicit_tls(
    start_smtp_server: StartServer,
    certificate: Any,
    client_tls_context: ssl.SSLContext,
) -> None:
    from .smtp_server import server_tls_context

    server = start_smtp_server(ssl_context=server_tls_context(*certificate))
    with SMTPTransport(
        server.host, server.port, security="ssl", ssl_context=client_tls_context, timeout=5
    ) as smtp:
        receipt = smtp.send(email())
    assert [g.message_id for g in server.received] == [receipt.message_id]


@pytest.mark.parametrize(
    "options",
    [
        {"security": "tls"},
        {"username": "shop"},
        {"username": "shop", "password": "mot-de-passe-élevé"},
        {"pool_size": 0},
    ],
    ids=["unknown security", "username without password", "non-ASCII password", "empty pool"],
)
def test_bad_settings_are_configuration_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        SMTPTransport("127.0.0.1", **options)


# -- asyncio ----------------------------------------------------------------------------
def test_async_twins(smtp_server: SMTPServer) -> None:
    batch = emails(30)

    async def main() -> tuple[Receipt, list[Receipt]]:
        async with plain(smtp_server) as smtp:
            one = await smtp.asend(email("de"))
            many = await smtp.asend_many(batch, concurrency=3)
        return one, many

    one, many = asyncio.run(main())
    assert one.recipient == "jonas.mueller@example.de"
    assert [r.message_id for r in many] == [m.message_id for m in batch]
    assert len(smtp_server.received) == 31
    assert smtp_server.connections <= 3


def test_cancelling_asend_many_lets_the_messages_on_the_wire_finish_and_takes_no_more(
    smtp_server: SMTPServer,
) -> None:
    smtp_server.handler.stall = 0.2  # each message is acknowledged late
    batch = emails(20)
    smtp = plain(smtp_server)

    async def main() -> int:
        task = asyncio.ensure_future(smtp.asend_many(batch, concurrency=2, return_exceptions=True))
        while not smtp_server.received:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return len(smtp_server.received)

    at_return = asyncio.run(main())
    assert at_return <= 3  # the first, and at most one more per worker already on the wire
    smtp_server.handler.stall = 0.0
    receipt = smtp.send(batch[-1])  # the transport and its pool still work
    assert receipt.message_id == batch[-1].message_id
    assert len(smtp_server.received) == at_return + 1  # nothing of the cancelled call came later
    smtp.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("relationclient-smtp")]
