"""Every HTTP provider against a local server that speaks its documented API.

One table row per provider says how to build the transport, what request its
documentation asks for, what it answers on success and how its errors look.
Every test runs for every row, so each provider is held to the same contract.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from relationclient import (
    PermanentTransportError,
    TransientTransportError,
    TransportError,
    UnsupportedMessageError,
)
from relationclient.messages import Attachment, Email, Mailbox, Message, Sms
from relationclient.transports import HTTPTransport, Receipt, RetryPolicy
from relationclient.transports.providers import (
    BrevoEmailTransport,
    BrevoSmsTransport,
    MailgunTransport,
    MailjetTransport,
    PostmarkTransport,
    SendGridTransport,
    TwilioSmsTransport,
    VonageSmsTransport,
)

if TYPE_CHECKING:
    from .provider_server import ProviderServer, Received

SECRET = "s3cr3t-do-not-leak-7f3a9c"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
MAILGUN_DOMAIN = "mg.maison-lumiere.fr"


class Answer(NamedTuple):
    """What the server answers: ``server.script(*answer)``."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = {}


@dataclass(frozen=True)
class Provider:
    """One provider's documented contract, as the tests below hold it to it."""

    name: str  # the transport's name, and the test id
    kind: str  # "email" or "sms"
    make: Callable[..., HTTPTransport]  # (base_url, **options) -> transport
    check: Callable[[Received, Any], None]  # asserts the documented request
    ok: Answer  # the documented success answer
    provider_id: str  # the message id in that answer
    error: Callable[[int, Any, str], Answer]  # (status, code, text) -> documented error body
    codes: Mapping[int, Any]  # the provider's own code for 400, 401, 422 (None: it has none)


# -- what each provider documents ---------------------------------------------------


def _named(mailbox: Mailbox) -> str:
    return f"{mailbox.name} <{mailbox.address}>"


def _b64(attachment: Attachment) -> str:
    return base64.b64encode(attachment.content).decode()


def _contact(mailbox: Mailbox, email: str = "email", name: str = "name") -> dict[str, str]:
    return {email: mailbox.address, name: mailbox.name or ""}


def _headers(email: Email) -> dict[str, str]:
    return {"Message-ID": email.message_id, **email.headers}


def check_brevo_email(request: Received, email: Email) -> None:
    assert (request.method, request.path) == ("POST", "/v3/smtp/email")
    assert request.headers["api-key"] == SECRET
    body = request.json()
    headers = body.pop("headers")
    brevo_key = headers.pop("idempotencyKey")
    assert str(uuid.UUID(brevo_key)) == brevo_key  # Brevo wants a UUID there
    assert headers == {**_headers(email), "X-Mailin-custom": email.idempotency_key}
    expected: dict[str, Any] = {
        "sender": _contact(email.sender),
        "to": [_contact(email.to)],
        "subject": email.subject,
        "htmlContent": email.html,
        "textContent": email.text,
    }
    if email.reply_to:
        expected["replyTo"] = _contact(email.reply_to)
    if email.attachments:
        expected["attachment"] = [
            {"name": a.filename, "content": _b64(a)} for a in email.attachments
        ]
    assert body == expected


def check_postmark(request: Received, email: Email) -> None:
    assert (request.method, request.path) == ("POST", "/email")
    assert request.headers["x-postmark-server-token"] == SECRET
    expected: dict[str, Any] = {
        "From": _named(email.sender),
        "To": _named(email.to),
        "Subject": email.subject,
        "HtmlBody": email.html,
        "TextBody": email.text,
        "Headers": [{"Name": n, "Value": v} for n, v in _headers(email).items()],
        "MessageStream": "outbound",
        "Metadata": {"idempotency_key": email.idempotency_key},
    }
    if email.reply_to:
        expected["ReplyTo"] = _named(email.reply_to)
    if email.attachments:
        expected["Attachments"] = [
            {"Name": a.filename, "Content": _b64(a), "ContentType": a.mimetype}
            for a in email.attachments
        ]
    assert request.json() == expected


def check_sendgrid(request: Received, email: Email) -> None:
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    expected: dict[str, Any] = {
        "personalizations": [{"to": [_contact(email.to)]}],
        "from": _contact(email.sender),
        "subject": email.subject,
        "content": [
            {"type": "text/plain", "value": email.text},
            {"type": "text/html", "value": email.html},
        ],
        "headers": _headers(email),
        "custom_args": {"idempotency_key": email.idempotency_key},
    }
    if email.reply_to:
        expected["reply_to"] = _contact(email.reply_to)
    if email.attachments:
        expected["attachments"] = [
            {
                "content": _b64(a),
                "type": a.mimetype,
                "filename": a.filename,
                "disposition": "attachment",
            }
            for a in email.attachments
        ]
    assert request.json() == expected


def check_mailgun(request: Received, email: Email) -> None:
    assert (request.method, request.path) == ("POST", f"/v3/{MAILGUN_DOMAIN}/messages")
    assert request.basic_auth() == ("api", SECRET)
    parts = request.multipart()
    fields = [(p.get_param("name", header="content-disposition"), p) for p in parts]
    texts = {
        name: p.get_payload(decode=True).decode() for name, p in fields if not p.get_filename()
    }
    files = [(name, p.get_filename(), p.get_content_type(), p.get_payload(decode=True))
             for name, p in fields if p.get_filename()]  # fmt: skip
    expected = {
        "from": _named(email.sender),
        "to": _named(email.to),
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "v:idempotency_key": email.idempotency_key,
        **{f"h:{name}": value for name, value in _headers(email).items()},
    }
    if email.reply_to:
        expected["h:Reply-To"] = _named(email.reply_to)
    assert texts == expected
    assert all(p.get("content-type") is None for _, p in fields if not p.get_filename())
    assert len(texts) + len(files) == len(parts)  # no field sent twice
    assert files == [("attachment", a.filename, a.mimetype, a.content) for a in email.attachments]


def check_mailjet(request: Received, email: Email) -> None:
    assert (request.method, request.path) == ("POST", "/v3.1/send")
    assert request.basic_auth() == ("mailjet-public-key", SECRET)
    one: dict[str, Any] = {
        "From": _contact(email.sender, "Email", "Name"),
        "To": [_contact(email.to, "Email", "Name")],
        "Subject": email.subject,
        "TextPart": email.text,
        "HTMLPart": email.html,
        "Headers": _headers(email),
        "CustomID": email.idempotency_key,
    }
    if email.reply_to:
        one["ReplyTo"] = _contact(email.reply_to, "Email", "Name")
    if email.attachments:
        one["Attachments"] = [
            {"ContentType": a.mimetype, "Filename": a.filename, "Base64Content": _b64(a)}
            for a in email.attachments
        ]
    assert request.json() == {"Messages": [one]}


def check_brevo_sms(request: Received, sms: Sms) -> None:
    assert (request.method, request.path) == ("POST", "/v3/transactionalSMS/send")
    assert request.headers["api-key"] == SECRET
    assert request.json() == {
        "sender": sms.sender,
        "recipient": sms.to.removeprefix("+"),
        "content": sms.body,
        "type": sms.purpose,
        "tag": sms.idempotency_key,
        "unicodeEnabled": sms.encoding == "UCS-2",
    }


def check_twilio(request: Received, sms: Sms) -> None:
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.basic_auth() == (ACCOUNT_SID, SECRET)
    assert request.form() == {"To": sms.to, "From": sms.sender, "Body": sms.body}


def check_vonage(request: Received, sms: Sms) -> None:
    assert (request.method, request.path) == ("POST", "/sms/json")
    assert "authorization" not in request.headers
    assert request.form() == {
        "api_key": "vonage-key",
        "api_secret": SECRET,
        "from": sms.sender,
        "to": sms.to.removeprefix("+"),
        "text": sms.body,
        "type": "unicode" if sms.encoding == "UCS-2" else "text",
        "client-ref": sms.idempotency_key,
    }


def brevo_error(status: int, code: Any, text: str) -> Answer:
    return Answer(status, {"code": code, "message": text})


def postmark_error(status: int, code: Any, text: str) -> Answer:
    return Answer(status, {"ErrorCode": code, "Message": text})


def sendgrid_error(status: int, code: Any, text: str) -> Answer:
    return Answer(status, {"errors": [{"message": text, "field": None, "help": None}]})


def mailgun_error(status: int, code: Any, text: str) -> Answer:
    return Answer(status, text if status == 401 else {"message": text})  # 401 is bare text


def mailjet_error(status: int, code: Any, text: str) -> Answer:
    if status == 401:  # refused request: one top-level error
        return Answer(
            status, {"ErrorIdentifier": "9f1c", "StatusCode": status, "ErrorMessage": text}
        )
    refused = {"ErrorIdentifier": "9f1c", "ErrorCode": code, "StatusCode": status,
               "ErrorMessage": text, "ErrorRelatedTo": ["To[0].Email"]}  # fmt: skip
    return Answer(status, {"Messages": [{"Status": "error", "Errors": [refused]}]})


def twilio_error(status: int, code: Any, text: str) -> Answer:
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return Answer(status, {"code": code, "message": text, "more_info": more_info, "status": status})


def vonage_error(status: int, code: Any, text: str) -> Answer:
    return Answer(status, text)  # no documented HTTP error body: the transport keeps the text


PROVIDERS = (
    Provider(
        name="brevo-email",
        kind="email",
        make=lambda url, **kw: BrevoEmailTransport(SECRET, base_url=url, **kw),
        check=check_brevo_email,
        ok=Answer(201, {"messageId": "<202611221605.73641829304@smtp-relay.mailin.fr>"}),
        provider_id="<202611221605.73641829304@smtp-relay.mailin.fr>",
        error=brevo_error,
        codes={400: "invalid_parameter", 401: "unauthorized", 422: "invalid_parameter"},
    ),
    Provider(
        name="postmark",
        kind="email",
        make=lambda url, **kw: PostmarkTransport(SECRET, base_url=url, **kw),
        check=check_postmark,
        ok=Answer(
            200,
            {
                "To": "camille.dupont@example.fr",
                "SubmittedAt": "2026-11-22T16:05:01.1794748+01:00",
                "MessageID": "b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
                "ErrorCode": 0,
                "Message": "OK",
            },
        ),
        provider_id="b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        error=postmark_error,
        codes={400: 402, 401: 10, 422: 300},
    ),
    Provider(
        name="sendgrid",
        kind="email",
        make=lambda url, **kw: SendGridTransport(SECRET, base_url=url, **kw),
        check=check_sendgrid,
        ok=Answer(202, None, {"X-Message-Id": "W6A8Lf3eS9uVzXq0n0rQ_w"}),
        provider_id="W6A8Lf3eS9uVzXq0n0rQ_w",
        error=sendgrid_error,
        codes={400: None, 401: None, 422: None},
    ),
    Provider(
        name="mailgun",
        kind="email",
        make=lambda url, **kw: MailgunTransport(SECRET, MAILGUN_DOMAIN, base_url=url, **kw),
        check=check_mailgun,
        ok=Answer(
            200,
            {
                "id": "<20261122160501.1.3F9A@mg.maison-lumiere.fr>",
                "message": "Queued. Thank you.",
            },
        ),
        provider_id="<20261122160501.1.3F9A@mg.maison-lumiere.fr>",
        error=mailgun_error,
        codes={400: None, 401: None, 422: None},
    ),
    Provider(
        name="mailjet",
        kind="email",
        make=lambda url, **kw: MailjetTransport("mailjet-public-key", SECRET, base_url=url, **kw),
        check=check_mailjet,
        ok=Answer(
            200,
            {
                "Messages": [
                    {
                        "Status": "success",
                        "CustomID": "",
                        "To": [
                            {
                                "Email": "camille.dupont@example.fr",
                                "MessageUUID": "1ab23cd4-e567-8901-2345-6789f0a1b2c3",
                                "MessageID": 288230387345678901,
                                "MessageHref": "https://api.mailjet.com/v3/REST/message/288230387345678901",
                            }
                        ],
                        "Cc": [],
                        "Bcc": [],
                    }
                ]
            },
        ),
        provider_id="288230387345678901",
        error=mailjet_error,
        codes={400: "mj-0013", 401: None, 422: "send-0003"},
    ),
    Provider(
        name="brevo-sms",
        kind="sms",
        make=lambda url, **kw: BrevoSmsTransport(SECRET, base_url=url, **kw),
        check=check_brevo_sms,
        ok=Answer(201, {"messageId": 1511882900176220}),
        provider_id="1511882900176220",
        error=brevo_error,
        codes={400: "invalid_parameter", 401: "unauthorized", 422: "not_enough_credits"},
    ),
    Provider(
        name="twilio",
        kind="sms",
        make=lambda url, **kw: TwilioSmsTransport(ACCOUNT_SID, SECRET, base_url=url, **kw),
        check=check_twilio,
        ok=Answer(
            201,
            {
                "sid": "SM3f1c0a2b4d5e6f708192a3b4c5d6e7f8",
                "status": "queued",
                "to": "+33612345678",
                "from": "MaisonLum",
                "error_code": None,
            },
        ),
        provider_id="SM3f1c0a2b4d5e6f708192a3b4c5d6e7f8",
        error=twilio_error,
        codes={400: 21211, 401: 20003, 422: 21610},
    ),
    Provider(
        name="vonage",
        kind="sms",
        make=lambda url, **kw: VonageSmsTransport("vonage-key", SECRET, base_url=url, **kw),
        check=check_vonage,
        ok=Answer(
            200,
            {
                "message-count": "1",
                "messages": [
                    {
                        "to": "33612345678",
                        "message-id": "0A0000000123ABCD1",
                        "status": "0",
                        "remaining-balance": "3.14159265",
                        "message-price": "0.03330000",
                        "network": "20801",
                    }
                ],
            },
        ),
        provider_id="0A0000000123ABCD1",
        error=vonage_error,
        codes={400: None, 401: None, 422: None},
    ),
)


# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(params=PROVIDERS, ids=lambda provider: provider.name)
def provider(request: pytest.FixtureRequest) -> Provider:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def message(provider: Provider, email: Email, sms: Sms) -> Message:
    """The plain message of the provider's channel."""
    return email if provider.kind == "email" else sms


@pytest.fixture
def full_message(provider: Provider, full_email: Email, unicode_sms: Sms) -> Message:
    """The message of the provider's channel that uses every optional field."""
    return full_email if provider.kind == "email" else unicode_sms


def send(provider: Provider, url: str, message: Message, **options: Any) -> Receipt:
    with provider.make(url, **options) as transport:
        return transport.send(message)


def refusal(provider: Provider, server: ProviderServer, message: Message) -> TransportError:
    with pytest.raises(TransportError) as caught:
        send(provider, server.url, message)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.__cause__)
    return caught.value


# -- the contract ----------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["plain", "full"])
def test_sends_the_documented_request_and_reads_the_documented_answer(
    provider: Provider,
    server: ProviderServer,
    message: Message,
    full_message: Message,
    variant: str,
) -> None:
    chosen = full_message if variant == "full" else message
    server.script(*provider.ok)
    receipt = send(provider, server.url, chosen)
    [request] = server.requests
    provider.check(request, chosen)
    assert request.headers["user-agent"].startswith("relationclient/")
    assert receipt.message_id == provider.provider_id
    assert receipt.transport == provider.name
    assert (receipt.idempotency_key, receipt.recipient) == (
        chosen.idempotency_key,
        chosen.recipient,
    )
    assert receipt.raw == (provider.ok.body if provider.ok.body is not None else "")


@pytest.mark.parametrize("status", [400, 401, 422])
def test_a_refusal_is_permanent_with_the_providers_code_and_text(
    provider: Provider, server: ProviderServer, message: Message, status: int
) -> None:
    code = provider.codes[status]
    text = f"Refused with {status}: check the 'to' address"
    server.script(*provider.error(status, code, text))
    error = refusal(provider, server, message)
    assert isinstance(error, PermanentTransportError)
    assert (error.transient, error.accepted, error.retry_after) == (False, False, None)
    assert error.code == (code if code is not None else status)
    assert error.provider_message is not None
    assert text in error.provider_message
    assert f"HTTP {status}" in str(error)
    provider.check(server.requests[0], message)


def test_429_is_transient_and_honours_retry_after(
    provider: Provider, server: ProviderServer, message: Message
) -> None:
    answer = provider.error(429, None, "Too many requests")
    server.script(429, answer.body, {"Retry-After": "7"})
    error = refusal(provider, server, message)
    assert isinstance(error, TransientTransportError)
    assert (error.transient, error.accepted, error.retry_after) == (True, False, 7)
    assert len(server.requests) == 1  # no retry without a policy


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient_and_not_accepted(
    provider: Provider, server: ProviderServer, message: Message, status: int
) -> None:
    server.script(*provider.error(status, None, "Service unavailable, try again later"))
    error = refusal(provider, server, message)
    assert isinstance(error, TransientTransportError)
    assert (error.transient, error.accepted) == (True, False)
    assert error.code == status


#: What nginx, a cloud load balancer or the provider's own edge answers when the
#: application behind it did not answer in time (504) or answered garbage (502).
GATEWAY_PAGES = {
    502: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
    504: "<html><head><title>504 Gateway Time-out</title></head><body>nginx</body></html>",
}


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_leaves_it_unknown_whether_the_provider_took_it(
    provider: Provider, server: ProviderServer, message: Message, status: int
) -> None:
    server.script(status, GATEWAY_PAGES[status])
    error = refusal(provider, server, message)
    assert isinstance(error, TransientTransportError)  # tried again, later…
    assert (error.transient, error.accepted) == (True, None)  # …but never elsewhere
    assert error.code == status
    assert "may have taken the message" in str(error)
    assert len(server.requests) == 1


def test_a_timeout_after_the_request_left_leaves_it_unknown(
    provider: Provider, server: ProviderServer, message: Message
) -> None:
    server.script(*provider.ok, delay=1.0)  # the provider takes it, the answer comes late
    with pytest.raises(TransientTransportError) as caught:
        send(provider, server.url, message, timeout=0.2)
    assert caught.value.accepted is None
    assert "may have taken the message" in str(caught.value)
    assert len(server.requests) == 1


def test_a_retry_after_an_unknown_outcome_sends_the_very_same_request(
    provider: Provider, server: ProviderServer, message: Message
) -> None:
    server.script(504, GATEWAY_PAGES[504])
    server.script(*provider.ok)
    receipt = send(provider, server.url, message, retry=RetryPolicy(attempts=2, base=0))
    assert receipt.message_id == provider.provider_id
    first, second = server.requests
    assert first.fields() == second.fields()  # same Message-ID, same key: receivers can dedupe


def test_the_other_channel_is_refused_before_any_traffic(
    provider: Provider, server: ProviderServer, email: Email, sms: Sms
) -> None:
    wrong = sms if provider.kind == "email" else email
    with pytest.raises(UnsupportedMessageError):
        send(provider, server.url, wrong)
    assert server.requests == []


def test_a_refused_connection_is_transient_and_not_accepted(
    provider: Provider, closed_port_url: str, message: Message
) -> None:
    with pytest.raises(TransientTransportError) as caught:
        send(provider, closed_port_url, message)
    assert caught.value.accepted is False
    assert SECRET not in str(caught.value)


def test_a_retry_policy_turns_503_then_success_into_a_receipt_with_the_same_request(
    provider: Provider, server: ProviderServer, message: Message
) -> None:
    server.script(*provider.error(503, None, "Service unavailable"))
    server.script(*provider.ok)
    receipt = send(provider, server.url, message, retry=RetryPolicy(attempts=3, base=0))
    assert receipt.message_id == provider.provider_id
    first, second = server.requests
    for request in (first, second):
        provider.check(request, message)
    assert first.fields() == second.fields()  # same Message-ID and keys on every attempt


def test_an_unreadable_success_answer_may_have_been_accepted(
    provider: Provider, server: ProviderServer, message: Message
) -> None:
    server.script(provider.ok.status, "<html>maintenance</html>")
    error = refusal(provider, server, message)
    assert type(error) is TransportError
    assert (error.transient, error.accepted) == (False, None)


def test_asend_speaks_the_same_api(
    provider: Provider, server: ProviderServer, full_message: Message
) -> None:
    async def go() -> Receipt:
        async with provider.make(server.url) as transport:
            return await transport.asend(full_message)

    server.script(*provider.ok)
    receipt = asyncio.run(go())
    assert receipt.message_id == provider.provider_id
    provider.check(server.requests[0], full_message)
