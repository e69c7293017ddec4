"""``events.parse``: each provider's documented payloads, signatures checked with real keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

import relationclient as rc
from relationclient import events
from relationclient.events import BasicAuth, Event, EventType

from .payloads import (
    CUSTOMER,
    MOBILE,
    POSTMARK_AUTH,
    SHOP_NUMBER,
    TWILIO_TOKEN,
    postmark_body,
    postmark_bounce,
    postmark_click,
    postmark_delivery,
    postmark_headers,
    postmark_open,
    postmark_spam_complaint,
    postmark_subscription_change,
    twilio_inbound,
    twilio_request,
    twilio_status,
)

HOOK_URL = "https://shop.example/webhooks/twilio"


def postmark(payload: object, **headers: str) -> list[Event]:
    return events.parse(
        "postmark",
        headers={**postmark_headers(), **headers},
        body=postmark_body(payload),  # type: ignore[arg-type]
        secret=POSTMARK_AUTH,
    )


def twilio(fields: dict[str, str], url: str = HOOK_URL, token: str = TWILIO_TOKEN) -> list[Event]:
    headers, body = twilio_request(url, fields)
    return events.parse("twilio", headers=headers, body=body, url=url, secret=token)


# -- Postmark -----------------------------------------------------------------------------
def test_postmark_hard_bounce() -> None:
    [event] = postmark(postmark_bounce(CUSTOMER, key="k" * 32))
    assert event.type is EventType.BOUNCED
    assert event.hard
    assert (event.channel, event.recipient, event.provider) == ("email", CUSTOMER, "postmark")
    assert event.provider_message_id == "883953f4-6105-42a2-a16a-77a8eac79483"
    assert event.idempotency_key == "k" * 32  # the Metadata our transport sent
    # Seven digits of fraction and an offset, as Postmark writes them.
    assert event.occurred_at == datetime(2026, 3, 10, 9, 15, 42, 273539, tzinfo=UTC)
    assert "550 5.1.1" in event.description
    assert "unable to deliver" in event.description
    assert event.event_id == "bounce:4323372036854775807"
    assert event.shop_address == "commandes@maison-lumiere.fr"
    assert event.raw["TypeCode"] == 1


@pytest.mark.parametrize(
    ("kind", "inactive", "expected", "hard"),
    [
        ("HardBounce", True, EventType.BOUNCED, True),
        ("BadEmailAddress", False, EventType.BOUNCED, True),
        ("SoftBounce", False, EventType.BOUNCED, False),
        ("Transient", False, EventType.BOUNCED, False),
        ("DnsError", False, EventType.BOUNCED, False),
        ("ManuallyDeactivated", True, EventType.BOUNCED, True),  # Postmark sends there no more
        ("Unsubscribe", False, EventType.UNSUBSCRIBED, False),
        ("SpamComplaint", True, EventType.COMPLAINED, False),
        ("TemplateRenderingFailed", False, EventType.FAILED, False),
    ],
)
def test_postmark_bounce_types(kind: str, inactive: bool, expected: EventType, hard: bool) -> None:
    [event] = postmark(postmark_bounce(CUSTOMER, kind=kind, inactive=inactive))
    assert (event.type, event.hard) == (expected, hard)


@pytest.mark.parametrize("kind", ["AutoResponder", "AddressChange", "ChallengeVerification"])
def test_postmark_bounces_that_say_nothing_about_delivery_give_no_event(kind: str) -> None:
    assert postmark(postmark_bounce(CUSTOMER, kind=kind, inactive=False)) == []


def test_postmark_other_records() -> None:
    message_id = "0ac29aee-e1cd-480d-b08d-4f48548ff48d"
    [delivered] = postmark(postmark_delivery(CUSTOMER, message_id=message_id, key="k" * 20))
    assert (delivered.type, delivered.provider_message_id) == (EventType.DELIVERED, message_id)
    assert delivered.event_id is None  # no id of its own: the dedup key is built
    [complained] = postmark(postmark_spam_complaint(CUSTOMER, message_id=message_id))
    assert complained.type is EventType.COMPLAINED
    assert complained.event_id == "bounce:42"
    [opened] = postmark(postmark_open(CUSTOMER, message_id=message_id))
    assert opened.type is EventType.OPENED
    [clicked] = postmark(postmark_click(CUSTOMER, message_id=message_id))
    assert clicked.type is EventType.CLICKED
    assert "maison-lumiere.fr/suivi" in clicked.description


@pytest.mark.parametrize(
    ("suppress", "reason", "expected", "hard"),
    [
        (True, "ManualSuppression", EventType.UNSUBSCRIBED, False),
        (True, "HardBounce", EventType.BOUNCED, True),
        (True, "SpamComplaint", EventType.COMPLAINED, False),
        (False, None, EventType.OPTED_IN, False),
    ],
)
def test_postmark_subscription_changes(
    suppress: bool, reason: str | None, expected: EventType, hard: bool
) -> None:
    payload = postmark_subscription_change(
        CUSTOMER, message_id=None, suppress=suppress, reason=reason
    )
    [event] = postmark(payload)
    assert (event.type, event.hard, event.provider_message_id) == (expected, hard, None)


def test_postmark_inbound_and_future_record_types_are_not_events() -> None:
    assert postmark({"RecordType": "Inbound", "From": CUSTOMER}) == []
    assert postmark({"RecordType": "SomethingNew", "Recipient": CUSTOMER}) == []


def test_an_array_of_records_is_read_in_order() -> None:
    found = postmark([postmark_bounce(CUSTOMER), postmark_open(CUSTOMER, message_id="m-2")])
    assert [e.type for e in found] == [EventType.BOUNCED, EventType.OPENED]


def test_the_same_event_has_the_same_dedup_key_and_another_not() -> None:
    [first] = postmark(postmark_delivery(CUSTOMER, message_id="m-1"))
    [again] = postmark(postmark_delivery(CUSTOMER, message_id="m-1"))
    [later] = postmark(postmark_delivery(CUSTOMER, message_id="m-1", at="2026-03-11T09:00:00Z"))
    [other] = postmark(postmark_delivery(CUSTOMER, message_id="m-2"))
    assert first.dedup_key == again.dedup_key
    assert len({first.dedup_key, later.dedup_key, other.dedup_key}) == 3
    [bounce] = postmark(postmark_bounce(CUSTOMER, at="2026-03-10T10:00:00Z"))
    [retried] = postmark(postmark_bounce(CUSTOMER, at="2026-03-10T10:00:01Z"))
    assert bounce.dedup_key == retried.dedup_key  # Postmark's bounce ID decides


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**postmark_bounce(CUSTOMER), "Email": ""}, "Email"),
        ({k: v for k, v in postmark_bounce(CUSTOMER).items() if k != "Type"}, "Type"),
        ({**postmark_bounce(CUSTOMER), "BouncedAt": "yesterday"}, "BouncedAt"),
        ({**postmark_bounce(CUSTOMER), "BouncedAt": "2026-03-10T10:00:00"}, "BouncedAt"),
        ({**postmark_delivery(CUSTOMER, message_id="m"), "Recipient": ["x"]}, "Recipient"),
        ({"MessageID": "m", "Recipient": CUSTOMER}, "RecordType"),
        ({**postmark_subscription_change(CUSTOMER, message_id="m"), "SuppressSending": "yes"},
         "SuppressSending"),
    ],
)  # fmt: skip
def test_postmark_payload_errors_name_the_field(payload: dict[str, object], field: str) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"postmark webhook field '{field}'") as caught:
        postmark(payload)
    assert (caught.value.provider, caught.value.field) == ("postmark", field)


def test_a_body_that_is_not_json_is_a_payload_error() -> None:
    for body in (b"<html>", b"\xff\xfe", b'"just a string"'):
        with pytest.raises(rc.WebhookPayloadError, match="postmark webhook") as caught:
            events.parse("postmark", headers=postmark_headers(), body=body, secret=POSTMARK_AUTH)
        assert caught.value.field is None


def test_postmark_credentials() -> None:
    body = postmark_body(postmark_bounce(CUSTOMER))
    with pytest.raises(rc.WebhookSignatureError, match="no Authorization") as missing:
        events.parse("postmark", headers={}, body=body, secret=POSTMARK_AUTH)
    assert missing.value.challenge == 'Basic realm="webhooks"'  # answered 401, not 403
    for wrong in (BasicAuth("postmark-hooks", "guess"), BasicAuth("admin", POSTMARK_AUTH.password)):
        with pytest.raises(rc.WebhookSignatureError, match="wrong basic-auth") as refused:
            events.parse(
                "postmark", headers=postmark_headers(wrong), body=body, secret=POSTMARK_AUTH
            )
        assert refused.value.challenge is None
        assert refused.value.provider == "postmark"
    for header in ("Bearer abc", "Basic %%%"):
        with pytest.raises(rc.WebhookSignatureError):
            events.parse(
                "postmark", headers={"authorization": header}, body=body, secret=POSTMARK_AUTH
            )
    # The same credentials, given as a pair or as "user:password".
    pair = (POSTMARK_AUTH.username, POSTMARK_AUTH.password)
    text = f"{POSTMARK_AUTH.username}:{POSTMARK_AUTH.password}"
    for secret in (pair, text):
        assert events.parse("postmark", headers=postmark_headers(), body=body, secret=secret)


def test_a_secret_of_the_wrong_kind_is_a_configuration_error() -> None:
    with pytest.raises(rc.ConfigurationError, match="basic-auth"):
        events.parse("postmark", headers={}, body=b"{}", secret=42)
    with pytest.raises(rc.ConfigurationError, match="Auth Token"):
        events.parse("twilio", headers={}, body=b"", url=HOOK_URL, secret=[])
    with pytest.raises(rc.ConfigurationError, match=r"known are .*postmark.*twilio"):
        events.parse("pigeon", headers={}, body=b"", secret="x")


def test_verify_false_reads_a_trusted_file_without_a_secret() -> None:
    body = postmark_body(postmark_bounce(CUSTOMER))
    [event] = events.parse("postmark", headers={}, body=body, secret=None, verify=False)
    assert event.hard
    with pytest.raises(rc.WebhookSignatureError, match="no secret"):
        events.parse("postmark", headers={}, body=body, secret=None)


# -- Twilio -------------------------------------------------------------------------------
def test_twilios_own_published_example_verifies() -> None:
    """The example of Twilio's security page: token 12345, its URL, parameters and signature."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    fields = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    headers = {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}
    parser = events.TwilioParser("12345")
    parser.verify({k.lower(): v for k, v in headers.items()}, urlencode(fields).encode(), url)
    with pytest.raises(rc.WebhookSignatureError, match="does not match"):
        events.TwilioParser("12346").verify(
            {"x-twilio-signature": headers["X-Twilio-Signature"]}, urlencode(fields).encode(), url
        )


def test_twilio_status_callbacks() -> None:
    [delivered] = twilio(twilio_status("SM" + "1" * 32, MOBILE, "delivered"))
    assert (delivered.type, delivered.channel, delivered.recipient) == (
        EventType.DELIVERED,
        "sms",
        MOBILE,
    )
    assert delivered.provider_message_id == "SM" + "1" * 32
    assert delivered.event_id == "SM" + "1" * 32 + ":delivered"
    assert delivered.shop_address == SHOP_NUMBER
    [landline] = twilio(twilio_status("SM2", MOBILE, "undelivered", error="30006"))
    assert (landline.type, landline.hard) == (EventType.BOUNCED, True)
    assert "30006" in landline.description
    [switched_off] = twilio(twilio_status("SM3", MOBILE, "undelivered", error="30003"))
    assert (switched_off.type, switched_off.hard) == (EventType.BOUNCED, False)
    [failed] = twilio(twilio_status("SM4", MOBILE, "failed", error="30008"))
    assert (failed.type, failed.hard) == (EventType.FAILED, False)
    [invalid] = twilio(twilio_status("SM5", MOBILE, "failed", error="21211"))
    assert (invalid.type, invalid.hard) == (EventType.BOUNCED, True)
    [read] = twilio(twilio_status("SM6", MOBILE, "read"))
    assert read.type is EventType.OPENED
    for status in ("queued", "sending", "sent", "accepted", "scheduled", "canceled"):
        assert twilio(twilio_status("SM7", MOBILE, status)) == []


@pytest.mark.parametrize(
    ("body", "opt_out_type", "expected"),
    [
        ("STOP", None, EventType.OPTED_OUT),
        (" stop ", None, EventType.OPTED_OUT),
        ("Arret", None, EventType.OPTED_OUT),
        ("UNSUBSCRIBE", None, EventType.OPTED_OUT),
        ("START", None, EventType.OPTED_IN),
        ("unstop", None, EventType.OPTED_IN),
        ("Arrêtez svp", "STOP", EventType.OPTED_OUT),  # Advanced Opt-Out's own keyword
        ("Reprendre", "START", EventType.OPTED_IN),
    ],
)
def test_twilio_inbound_stop_and_start(
    body: str, opt_out_type: str | None, expected: EventType
) -> None:
    [event] = twilio(twilio_inbound("SM" + "9" * 32, MOBILE, body, opt_out_type=opt_out_type))
    assert (event.type, event.recipient, event.shop_address) == (expected, MOBILE, SHOP_NUMBER)
    assert event.event_id == "SM" + "9" * 32


@pytest.mark.parametrize(
    ("body", "opt_out_type"), [("HELP", "HELP"), ("Stop please", None), ("Merci !", None)]
)
def test_other_inbound_messages_are_not_events(body: str, opt_out_type: str | None) -> None:
    assert twilio(twilio_inbound("SM8", MOBILE, body, opt_out_type=opt_out_type)) == []


def test_twilio_signature_covers_url_fields_and_token() -> None:
    fields = twilio_status("SM1", MOBILE, "delivered")
    headers, body = twilio_request(HOOK_URL, fields)
    parse = events.parse
    # Another URL (a proxy's), a changed field, another token: refused.
    for url, data, token in (
        ("https://shop.example/webhooks/twilio?x=1", body, TWILIO_TOKEN),
        (HOOK_URL, body.replace(b"delivered", b"undelivered"), TWILIO_TOKEN),
        (HOOK_URL, body, "0" * 32),
    ):
        with pytest.raises(rc.WebhookSignatureError, match="does not match"):
            parse("twilio", headers=headers, body=data, url=url, secret=token)
    with pytest.raises(rc.WebhookSignatureError, match="no X-Twilio-Signature"):
        parse("twilio", headers={}, body=body, url=HOOK_URL, secret=TWILIO_TOKEN)
    with pytest.raises(rc.WebhookSignatureError, match="url="):
        parse("twilio", headers=headers, body=body, secret=TWILIO_TOKEN)
    # While rotating, the secondary token is accepted beside the primary.
    assert parse(
        "twilio", headers=headers, body=body, url=HOOK_URL, secret=["0" * 32, TWILIO_TOKEN]
    )


def test_twilio_signs_the_url_with_or_without_the_default_port() -> None:
    fields = twilio_status("SM1", MOBILE, "delivered")
    signed_with_port, body = twilio_request("https://shop.example:443/webhooks/twilio", fields)
    assert events.parse(
        "twilio", headers=signed_with_port, body=body, url=HOOK_URL, secret=TWILIO_TOKEN
    )
    signed_without, body = twilio_request(HOOK_URL, fields)
    url = "https://shop.example:443/webhooks/twilio"
    assert events.parse("twilio", headers=signed_without, body=body, url=url, secret=TWILIO_TOKEN)
    on_8443, body = twilio_request("https://shop.example:8443/webhooks/twilio", fields)
    with pytest.raises(rc.WebhookSignatureError):
        events.parse("twilio", headers=on_8443, body=body, url=HOOK_URL, secret=TWILIO_TOKEN)


def test_twilio_json_body_is_checked_by_its_sha256() -> None:
    body = json.dumps(twilio_status("SM1", MOBILE, "delivered")).encode()
    url = f"{HOOK_URL}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    digest = hmac.new(TWILIO_TOKEN.encode(), url.encode(), hashlib.sha1).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Twilio-Signature": base64.b64encode(digest).decode(),
    }
    [event] = events.parse("twilio", headers=headers, body=body, url=url, secret=TWILIO_TOKEN)
    assert event.type is EventType.DELIVERED
    with pytest.raises(rc.WebhookSignatureError, match="bodySHA256"):
        events.parse("twilio", headers=headers, body=body + b" ", url=url, secret=TWILIO_TOKEN)


def test_twilio_payload_errors_name_the_field() -> None:
    fields = twilio_status("SM1", MOBILE, "delivered")
    del fields["MessageSid"], fields["SmsSid"]
    with pytest.raises(rc.WebhookPayloadError, match="'MessageSid'"):
        twilio(fields)
    fields = twilio_status("SM1", MOBILE, "delivered")
    del fields["To"]
    with pytest.raises(rc.WebhookPayloadError, match="'To'"):
        twilio(fields)
    fields = twilio_status("SM1", MOBILE, "delivered")
    del fields["MessageStatus"], fields["SmsStatus"]
    with pytest.raises(rc.WebhookPayloadError, match="'MessageStatus'"):
        twilio(fields)
