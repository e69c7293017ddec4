"""DjangoTransport: relationclient's messages through a Django email backend.

An Anymail ESP's backend (Anymail's own test backend, which runs Anymail's
whole payload pipeline and keeps what it would have posted) receives the
Composer's order confirmation with its headers, parts and attachment; Django's
SMTP backend delivers to a real SMTP server on loopback; errors come back in
relationclient's tree.
"""

from __future__ import annotations

import base64
import email.policy
from collections.abc import Iterator
from email.parser import BytesParser
from typing import Any

import pytest
from anymail.exceptions import AnymailAPIError
from anymail.message import AnymailRecipientStatus
from django.core import mail
from shopsite.mail import ScriptedESP  # the project's, as Django imports it (see conftest)

from relationclient.contrib.django import DjangoTransport
from relationclient.errors import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
    TransportError,
    UnsupportedMessageError,
)
from relationclient.messages import Attachment

from ...transports.sample_messages import (
    assert_arrived_intact,
    composed_email,
    marketing_email,
    sms,
)
from ...transports.smtp_server import SMTPServer

ANYMAIL_TEST = "anymail.backends.test.EmailBackend"
SCRIPTED = "shopsite.mail.ScriptedESP"


class FakeResponse:
    """What Anymail keeps of a requests answer: a status and headers."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}
        self.reason = "reason"
        self.text = "{}"
        self.content = b"{}"

    def json(self) -> Any:
        return {}


@pytest.fixture(autouse=True)
def _empty_django_outbox() -> None:
    mail.outbox = []


def test_an_anymail_esp_receives_the_order_confirmation_whole(shop_settings: Any) -> None:
    built = composed_email().model_copy(
        update={
            "attachments": (
                Attachment(
                    filename="facture.pdf",
                    content=base64.b64encode(b"%PDF-1.7 sample"),
                    mimetype="application/pdf",
                ),
            )
        }
    )
    with DjangoTransport(ANYMAIL_TEST) as transport:
        receipt = transport.send(built)
    [sent] = mail.outbox
    params = sent.anymail_test_params
    assert params["subject"] == built.subject
    assert (params["from"].display_name, params["from"].addr_spec) == (
        built.sender.name,
        built.sender.address,
    )
    assert [a.addr_spec for a in params["to"]] == [built.to.address]
    assert params["text_body"] == built.text
    assert params["html_body"] == built.html
    assert params["extra_headers"]["Message-ID"] == built.message_id
    [attachment] = params["attachments"]
    assert (attachment.name, attachment.content, attachment.mimetype) == (
        "facture.pdf",
        b"%PDF-1.7 sample",
        "application/pdf",
    )
    # The receipt carries the ESP's id (what its webhooks name), Anymail's status in raw.
    assert receipt.message_id == str(sent.anymail_status.message_id)
    assert receipt.raw["status"] == {built.recipient: "sent"}
    assert (receipt.transport, receipt.idempotency_key) == ("django", built.idempotency_key)


def test_list_unsubscribe_and_reply_to_reach_the_esp(shop_settings: Any) -> None:
    built = marketing_email().model_copy(
        update={"reply_to": composed_email().sender.model_copy(update={"name": "Service client"})}
    )
    with DjangoTransport(ANYMAIL_TEST) as transport:
        transport.send(built)
    [sent] = mail.outbox
    params = sent.anymail_test_params
    for name, value in built.headers.items():
        assert params["extra_headers"][name] == value
    assert built.reply_to is not None
    assert [(a.display_name, a.addr_spec) for a in params["reply_to"]] == [
        (built.reply_to.name, built.reply_to.address)
    ]


def test_django_smtp_backend_delivers_intact_over_one_connection(
    shop_settings: Any, start_smtp_server: Any
) -> None:
    server: SMTPServer = start_smtp_server()
    messages = [composed_email("fr"), composed_email("en"), composed_email("de")]
    transport = DjangoTransport(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=server.port
    )
    with transport:
        receipts = transport.send_many(messages)
    assert [r.message_id for r in receipts] == [m.message_id for m in messages]
    assert server.connections == 1
    for received, built in zip(server.received, messages, strict=True):
        assert received.rcpt_tos == [built.recipient]
        parsed = BytesParser(policy=email.policy.default).parsebytes(received.data)
        assert_arrived_intact(parsed, built)  # type: ignore[arg-type]


def test_an_smtp_refusal_is_permanent_and_a_busy_server_transient(
    shop_settings: Any, start_smtp_server: Any
) -> None:
    server: SMTPServer = start_smtp_server()
    transport = DjangoTransport(
        "django.core.mail.backends.smtp.EmailBackend", host="127.0.0.1", port=server.port
    )
    server.reply("RCPT", "550 5.1.1 no such user")
    with pytest.raises(PermanentTransportError) as refused:
        transport.send(composed_email())
    assert refused.value.code == 550
    server.reply("DATA", "451 4.3.0 try later")
    with pytest.raises(TransientTransportError) as busy:
        transport.send(composed_email())
    assert busy.value.code == 451
    transport.close()


@pytest.fixture
def scripted() -> Iterator[list[Any]]:
    """The answers the scripted ESP gives, in order (Anymail's test backend underneath)."""
    ScriptedESP.answers = []
    yield ScriptedESP.answers
    ScriptedESP.answers = []


@pytest.mark.parametrize(
    ("status", "error", "accepted"),
    [
        (429, TransientTransportError, False),
        (503, TransientTransportError, False),
        (502, TransientTransportError, None),
        (422, PermanentTransportError, False),
    ],
)
def test_anymail_api_errors_map_by_http_status(
    shop_settings: Any,
    scripted: list[Any],
    status: int,
    error: type[TransportError],
    accepted: bool | None,
) -> None:
    response = FakeResponse(status, {"Retry-After": "7"})
    scripted.append(AnymailAPIError("the ESP said no", status_code=status, response=response))
    with pytest.raises(error) as raised:
        DjangoTransport(SCRIPTED).send(composed_email())
    assert type(raised.value) is error
    assert (raised.value.code, raised.value.accepted) == (status, accepted)
    assert raised.value.retry_after == 7
    assert raised.value.provider_message is not None
    assert "the ESP said no" in raised.value.provider_message


def test_refused_recipients_are_permanent(shop_settings: Any, scripted: list[Any]) -> None:
    built = composed_email()
    rejected = AnymailRecipientStatus(message_id=None, status="rejected")
    scripted.append({"recipient_status": {built.recipient: rejected}})
    with pytest.raises(PermanentTransportError) as raised:
        DjangoTransport(SCRIPTED).send(built)
    assert raised.value.code == "recipients_refused"


def test_a_failed_connection_is_opened_afresh(shop_settings: Any, scripted: list[Any]) -> None:
    scripted.append(AnymailAPIError("down", status_code=503, response=FakeResponse(503)))
    transport = DjangoTransport(SCRIPTED)
    with pytest.raises(TransientTransportError):
        transport.send(composed_email())
    receipt = transport.send(composed_email())
    assert receipt.raw["status"] == {composed_email().recipient: "sent"}


def test_sms_is_refused_before_any_traffic(shop_settings: Any) -> None:
    with pytest.raises(UnsupportedMessageError, match="email"):
        DjangoTransport(ANYMAIL_TEST).send(sms())
    assert mail.outbox == []


@pytest.mark.parametrize(
    "backend",
    [
        "relationclient.contrib.django.EmailBackend",
        "relationclient.contrib.django.backend.EmailBackend",
    ],
)
def test_our_own_backend_is_refused_no_loop(shop_settings: Any, backend: str) -> None:
    with pytest.raises(ConfigurationError, match=r'RELATIONCLIENT\["EMAIL_BACKEND"\]'):
        DjangoTransport(backend)


def test_a_subclass_of_our_backend_is_refused_at_connection(shop_settings: Any) -> None:
    transport = DjangoTransport("shopsite.mail.LoopingBackend")
    with pytest.raises(ConfigurationError, match="relationclient's own EmailBackend"):
        transport.send(composed_email())


def test_a_backend_that_cannot_be_imported_names_the_setting(shop_settings: Any) -> None:
    with pytest.raises(ConfigurationError, match=r'RELATIONCLIENT\["EMAIL_BACKEND"\]'):
        DjangoTransport("anymail.backends.nowhere.EmailBackend").send(composed_email())


def test_the_backend_comes_from_the_settings(shop_settings: Any) -> None:
    assert DjangoTransport().backend == ANYMAIL_TEST
