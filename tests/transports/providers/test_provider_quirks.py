"""What only one provider does: Vonage's status codes in a 200, Mailjet's per-message status,
Mailgun's regions, Postmark's broadcast stream, and every provider's documented base URL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from relationclient import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
    TransportError,
)
from relationclient.messages import Email, Sms
from relationclient.transports import HTTPTransport, RetryPolicy
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
    from .provider_server import ProviderServer

SECRET = "s3cr3t-do-not-leak-7f3a9c"


def vonage_answer(*statuses: str) -> dict[str, Any]:
    """Vonage's documented answer: one entry per message part, each with its status."""
    parts = [
        {"to": "33612345678", "message-id": f"0A000000012{i}", "status": status}
        if status == "0"
        else {"status": status, "error-text": f"Refused with status {status}"}
        for i, status in enumerate(statuses)
    ]
    return {"message-count": str(len(parts)), "messages": parts}


def vonage(server: ProviderServer, **options: Any) -> VonageSmsTransport:
    return VonageSmsTransport("vonage-key", SECRET, base_url=server.url, **options)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("1", TransientTransportError),  # throttled
        ("5", TransientTransportError),  # internal error
        ("10", TransientTransportError),  # too many existing binds
        ("13", TransientTransportError),  # communication failed
        ("2", PermanentTransportError),  # missing parameters
        ("3", PermanentTransportError),  # invalid parameters
        ("4", PermanentTransportError),  # invalid credentials
        ("6", PermanentTransportError),  # invalid message
        ("9", PermanentTransportError),  # partner quota: no credit left
        ("15", PermanentTransportError),  # invalid sender address
        ("29", PermanentTransportError),  # non-whitelisted destination
    ],
)
def test_vonage_reads_the_status_of_a_200_answer(
    server: ProviderServer, sms: Sms, status: str, kind: type[TransportError]
) -> None:
    server.script(200, vonage_answer(status))
    with vonage(server) as transport, pytest.raises(TransportError) as caught:
        transport.send(sms)
    error = caught.value
    assert type(error) is kind
    assert (error.code, error.provider_message) == (status, f"Refused with status {status}")
    assert error.accepted is False
    assert SECRET not in str(error)


def test_vonage_retries_a_throttled_message_under_a_policy(
    server: ProviderServer, sms: Sms
) -> None:
    server.script(200, vonage_answer("1"))
    server.script(200, vonage_answer("0"))
    with vonage(server, retry=RetryPolicy(attempts=3, base=0)) as transport:
        receipt = transport.send(sms)
    assert receipt.message_id == "0A0000000120"
    assert len(server.requests) == 2


def test_vonage_cannot_tell_whether_a_half_refused_long_message_went(
    server: ProviderServer, unicode_sms: Sms
) -> None:
    server.script(200, vonage_answer("0", "5"))
    with vonage(server) as transport, pytest.raises(TransientTransportError) as caught:
        transport.send(unicode_sms)
    assert (caught.value.code, caught.value.accepted) == ("5", None)


def test_mailjet_reads_the_status_of_each_message(server: ProviderServer, email: Email) -> None:
    refused = {"ErrorCode": "mj-0013", "StatusCode": 400, "ErrorMessage": "Invalid address."}
    server.script(200, {"Messages": [{"Status": "error", "Errors": [refused]}]})
    with (
        MailjetTransport("mailjet-public-key", SECRET, base_url=server.url) as transport,
        pytest.raises(PermanentTransportError) as caught,
    ):
        transport.send(email)
    assert (caught.value.code, caught.value.provider_message) == ("mj-0013", "Invalid address.")


def test_postmark_sends_marketing_to_the_broadcast_stream_when_given(
    server: ProviderServer, email: Email, full_email: Email
) -> None:
    server.script(200, {"MessageID": "a1", "ErrorCode": 0, "Message": "OK"})
    server.script(200, {"MessageID": "a2", "ErrorCode": 0, "Message": "OK"})
    with PostmarkTransport(SECRET, broadcast_stream="broadcast", base_url=server.url) as postmark:
        postmark.send(email)
        postmark.send(full_email)
    streams = [request.json()["MessageStream"] for request in server.requests]
    assert streams == ["outbound", "broadcast"]


def test_mailgun_sends_eu_domains_to_the_eu_endpoint() -> None:
    assert MailgunTransport(SECRET, "mg.example.fr").base_url == "https://api.mailgun.net"
    eu = MailgunTransport(SECRET, "mg.example.fr", region="eu")
    assert eu.base_url == "https://api.eu.mailgun.net"


@pytest.mark.parametrize(("region", "domain"), [("asia", "mg.example.fr"), ("us", "")])
def test_mailgun_refuses_a_bad_setup(region: Any, domain: str) -> None:
    with pytest.raises(ConfigurationError):
        MailgunTransport(SECRET, domain, region=region)


@pytest.mark.parametrize(
    ("transport", "base_url"),
    [
        (BrevoEmailTransport(SECRET), "https://api.brevo.com"),
        (BrevoSmsTransport(SECRET), "https://api.brevo.com"),
        (PostmarkTransport(SECRET), "https://api.postmarkapp.com"),
        (SendGridTransport(SECRET), "https://api.sendgrid.com"),
        (MailjetTransport("public", SECRET), "https://api.mailjet.com"),
        (TwilioSmsTransport("AC00", SECRET), "https://api.twilio.com"),
        (VonageSmsTransport("key", SECRET), "https://rest.nexmo.com"),
    ],
    ids=lambda value: value.name if isinstance(value, HTTPTransport) else "",
)
def test_every_provider_defaults_to_its_documented_endpoint(
    transport: HTTPTransport, base_url: str
) -> None:
    assert transport.base_url == base_url
    assert SECRET not in repr(transport)


# -- Twilio: the status callback ---------------------------------------------------------


def test_twilio_asks_for_status_callbacks_at_the_shops_webhook(
    server: ProviderServer, sms: Sms
) -> None:
    hook = "https://shop.example/webhooks/twilio"
    server.script(201, {"sid": "SM00000000000000000000000000000001", "status": "queued"})
    with TwilioSmsTransport("AC00", SECRET, base_url=server.url, status_callback=hook) as twilio:
        twilio.send(sms)
    [request] = server.requests
    assert request.form()["StatusCallback"] == hook


def test_twilio_without_a_status_callback_sends_none(server: ProviderServer, sms: Sms) -> None:
    server.script(201, {"sid": "SM00000000000000000000000000000002", "status": "queued"})
    with TwilioSmsTransport("AC00", SECRET, base_url=server.url) as twilio:
        twilio.send(sms)
    [request] = server.requests
    assert "StatusCallback" not in request.form()


@pytest.mark.parametrize(
    "url", ["http://shop.example/webhooks/twilio", "/webhooks/twilio", "javascript:alert(1)"]
)
def test_twilio_refuses_a_status_callback_that_is_not_https(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"twilio: status_callback: .*https://"):
        TwilioSmsTransport("AC00", SECRET, status_callback=url)
