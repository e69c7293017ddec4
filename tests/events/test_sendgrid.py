"""SendGrid's Event Webhook: documented batches, signed with an ECDSA key pair made here.

The payloads follow SendGrid's Event Webhook reference (a JSON array of events,
``sg_event_id``, ``sg_message_id`` with SendGrid's suffix, the send's
``custom_args`` as top-level fields); the signature is made as the Signed
Event Webhook documents it — ECDSA P-256 / SHA-256 over the timestamp header
followed by the body — with a P-256 key pair generated for the test, whose
public key the parser gets as SendGrid shows it (Base64 of its DER).
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import relationclient as rc
from relationclient import events, samples
from relationclient.events import EventType
from relationclient.outbox import Outbox
from relationclient.transports import SendGridTransport

from ..services import require_module
from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import COMPOSER, CUSTOMER, SHOP

require_module("cryptography", "webhooks")

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

PRIVATE_KEY = ec.generate_private_key(ec.SECP256R1())
#: The verification key as SendGrid's Mail Settings show it: Base64 of the DER public key.
PUBLIC_KEY = base64.b64encode(
    PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
X_MESSAGE_ID = "W6A8Lf3eS9uVzXq0n0rQ_w"
SG_MESSAGE_ID = f"{X_MESSAGE_ID}.filterdrecv-p3iad2-5dc87598f5-bvh7w-20-5FB44F45-3E.0"
AT = 1773134142  # 2026-03-10T09:15:42Z


def sg_event(
    event: str, email: str = CUSTOMER, *, key: str | None = None, **fields: Any
) -> dict[str, Any]:
    """One event of the batch, as the Event Webhook reference shows it."""
    body: dict[str, Any] = {
        "email": email,
        "timestamp": AT,
        "smtp-id": f"<{X_MESSAGE_ID}@ismtpd0001p1lon1.sendgrid.net>",
        "event": event,
        "category": ["order_confirmation"],
        "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
        "sg_message_id": SG_MESSAGE_ID,
    }
    if key is not None:
        body["idempotency_key"] = key  # the custom_args our transport sends
    body.update(fields)
    return body


def signed(
    batch: list[dict[str, Any]] | bytes,
    *,
    private_key: ec.EllipticCurvePrivateKey = PRIVATE_KEY,
    at: int | None = None,
) -> tuple[dict[str, str], bytes]:
    """The headers and body SendGrid POSTs: the signature of the timestamp then the body."""
    body = batch if isinstance(batch, bytes) else json.dumps(batch).encode()
    timestamp = str(int(time.time()) if at is None else at)
    signature = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "User-Agent": "SendGrid Event API",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }, body


def parse(batch: list[dict[str, Any]] | bytes, secret: Any = PUBLIC_KEY) -> list[events.Event]:
    headers, body = signed(batch)
    return events.parse("sendgrid", headers=headers, body=body, secret=secret)


def post(url: str, request: tuple[dict[str, str], bytes]) -> httpx.Response:
    headers, body = request
    return httpx.post(url, headers=headers, content=body, timeout=10)


# -- parsing ------------------------------------------------------------------------------
def test_a_documented_batch_is_read_in_order() -> None:
    batch = [
        sg_event("processed"),
        sg_event("delivered", response="250 OK", ip="168.1.1.1", tls=1),
        sg_event("deferred", response="400 try again later", attempt="5"),
        sg_event("bounce", type="bounce", status="5.1.1", reason="550 5.1.1 unknown user",
                 bounce_classification="Invalid Address"),
        sg_event("bounce", type="blocked", status="5.7.1", reason="550 5.7.1 blocked by policy",
                 bounce_classification="Reputation"),
        sg_event("dropped", reason="Bounced Address", status="5.0.0"),
        sg_event("dropped", reason="Spam Reporting Address", status="5.0.0"),
        sg_event("dropped", reason="Unsubscribed Address", status="5.0.0"),
        sg_event("dropped", reason="Recipient List over Package Quota", status="5.0.0"),
        sg_event("spamreport"),
        sg_event("unsubscribe"),
        sg_event("group_unsubscribe", asm_group_id=10, url="https://sendgrid.com/unsub"),
        sg_event("group_resubscribe", asm_group_id=10),
        sg_event("open", useragent="Mozilla/5.0", ip="255.255.255.255", sg_machine_open=True),
        sg_event("click", url="https://maison-lumiere.fr/suivi/ML-2026-10482", url_offset={}),
        sg_event("account_status_change", type="compliance_suspend"),
    ]  # fmt: skip
    found = parse(batch)
    assert [(e.type, e.hard) for e in found] == [
        (EventType.DELIVERED, False),
        (EventType.DEFERRED, False),
        (EventType.BOUNCED, True),
        (EventType.BOUNCED, False),  # blocked: the message or sender, not the address
        (EventType.BOUNCED, True),  # dropped: the address is on SendGrid's bounce list
        (EventType.COMPLAINED, False),
        (EventType.UNSUBSCRIBED, False),
        (EventType.FAILED, False),  # SendGrid's own reason: no verdict on the address
        (EventType.COMPLAINED, False),
        (EventType.UNSUBSCRIBED, False),
        (EventType.UNSUBSCRIBED, False),
        (EventType.OPENED, False),
        (EventType.CLICKED, False),
    ]
    bounce = found[2]
    assert (bounce.channel, bounce.recipient, bounce.provider) == ("email", CUSTOMER, "sendgrid")
    assert bounce.occurred_at == datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
    assert bounce.event_id == batch[3]["sg_event_id"]
    assert "550 5.1.1 unknown user" in bounce.description
    assert "Invalid Address" in bounce.description
    assert "attempt 5" in found[1].description
    assert "privacy proxy" in found[11].description
    assert "maison-lumiere.fr/suivi" in found[12].description
    assert found[12].raw["url"] == batch[14]["url"]


def test_the_custom_arg_and_the_message_id_join_the_send() -> None:
    [event] = parse([sg_event("delivered", key="k" * 32)])
    assert event.idempotency_key == "k" * 32
    # SendGrid's suffix is cut: what is left is the X-Message-Id the send answered with.
    assert event.provider_message_id == X_MESSAGE_ID
    for sg_message_id, expected in (
        ("56WoYBdESN6RyEn_7bJRKA.recvd-5b6594c664-csn64-1-65A9F4D1-A.0", "56WoYBdESN6RyEn_7bJRKA"),
        ("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", "14c5d75ce93.dfd.64b469"),
        ("cJzCzytgTeiyRns9uybNaQ.something-new.0", "cJzCzytgTeiyRns9uybNaQ"),
    ):
        [event] = parse([sg_event("open", sg_message_id=sg_message_id)])
        assert event.provider_message_id == expected
    # An old-style drop without ids: the dedup key is built from the rest.
    [drop] = parse([{"email": CUSTOMER, "timestamp": AT, "event": "dropped", "reason": "Invalid"}])
    assert (drop.type, drop.hard, drop.provider_message_id, drop.event_id) == (
        EventType.BOUNCED,
        True,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**sg_event("bounce"), "email": ""}, "email"),
        ({k: v for k, v in sg_event("delivered").items() if k != "event"}, "event"),
        ({**sg_event("delivered"), "timestamp": "yesterday"}, "timestamp"),
        ({**sg_event("delivered"), "timestamp": None}, "timestamp"),
        ({**sg_event("open"), "sg_message_id": ["x"]}, "sg_message_id"),
    ],
)
def test_payload_errors_name_the_provider_and_the_field(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"sendgrid webhook field '{field}'") as caught:
        parse([sg_event("delivered"), payload])
    assert (caught.value.provider, caught.value.field) == ("sendgrid", field)


def test_a_body_that_is_not_a_batch_of_events_is_a_payload_error() -> None:
    for body in (b"<html>", b"[1, 2]", b'[{"event": "open"}, "x"]'):
        with pytest.raises(rc.WebhookPayloadError, match="sendgrid webhook") as caught:
            parse(body)
        assert caught.value.field is None


def test_the_signature_covers_timestamp_body_and_key() -> None:
    headers, body = signed([sg_event("bounce", type="bounce")])
    assert events.parse("sendgrid", headers=headers, body=body, secret=PUBLIC_KEY)
    other_key = ec.generate_private_key(ec.SECP256R1())
    forged, _ = signed(body, private_key=other_key)
    stale, _ = signed(body, at=int(time.time()) - 3600)
    future, _ = signed(body, at=int(time.time()) + 3600)
    later = {**headers, "X-Twilio-Email-Event-Webhook-Timestamp": str(int(time.time()) + 1)}
    garbled = {**headers, "X-Twilio-Email-Event-Webhook-Signature": "%%%"}
    cases = [
        (forged, body, "does not match"),
        (headers, body.replace(b"bounce", b"open"), "does not match"),  # the body changed
        (later, body, "does not match"),  # the timestamp changed: it is signed too
        (stale, body, "too far from now"),  # a replay, an hour later
        (future, body, "too far from now"),
        (garbled, body, "not valid base64"),
        ({"Content-Type": "application/json"}, body, "no X-Twilio-Email-Event-Webhook"),
        ({**headers, "X-Twilio-Email-Event-Webhook-Timestamp": "now"}, body, "Unix seconds"),
    ]
    for request_headers, request_body, reason in cases:
        with pytest.raises(rc.WebhookSignatureError, match=reason) as refused:
            events.parse("sendgrid", headers=request_headers, body=request_body, secret=PUBLIC_KEY)
        assert refused.value.provider == "sendgrid"
        assert refused.value.challenge is None  # answered 403


def test_a_slow_clock_within_the_window_is_accepted() -> None:
    headers, body = signed([sg_event("delivered")], at=int(time.time()) - 120)
    parser = events.parser_for("sendgrid")(PUBLIC_KEY)
    assert parser.parse(headers=headers, body=body)
    late = events.parser_for("sendgrid")(
        PUBLIC_KEY, clock=lambda: datetime.now(UTC) + timedelta(minutes=10)
    )
    with pytest.raises(rc.WebhookSignatureError, match="too far from now"):
        late.parse(headers=headers, body=body)


def test_the_public_key_as_sendgrid_shows_it_as_pem_or_loaded() -> None:
    pem = PRIVATE_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    wrapped = "\n".join(PUBLIC_KEY[i : i + 64] for i in range(0, len(PUBLIC_KEY), 64))
    for secret in (PUBLIC_KEY, wrapped, pem, pem.decode(), PRIVATE_KEY.public_key()):
        assert parse([sg_event("delivered")], secret=secret)


def test_a_secret_that_is_not_a_p256_public_key_is_a_configuration_error() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    p384_der = p384.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in ("not base64 !", base64.b64encode(b"not a key").decode(), p384,
                   base64.b64encode(p384_der).decode(), 42, PRIVATE_KEY):  # fmt: skip
        with pytest.raises(rc.ConfigurationError, match="sendgrid"):
            events.parse("sendgrid", headers={}, body=b"[]", secret=secret)


def test_without_cryptography_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric", None)
    with pytest.raises(rc.ConfigurationError, match=r"pip install 'relationclient\[webhooks\]'"):
        events.parse("sendgrid", headers={}, body=b"[]", secret=PUBLIC_KEY)
    # Reading a trusted file needs no key, and so no cryptography.
    body = json.dumps([sg_event("delivered")]).encode()
    assert events.parse("sendgrid", headers={}, body=body, secret=None, verify=False)


# -- over HTTP, into the outbox -----------------------------------------------------------
def test_a_hard_bounce_posted_to_the_app_stops_the_next_email(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'sendgrid': PUBLIC_KEY})}/sendgrid"
    sendgrid = SendGridTransport("SG.api-key", base_url=provider.url)
    confirmation = COMPOSER.email("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    provider.script(202, None, {"X-Message-Id": X_MESSAGE_ID})
    with sendgrid:
        assert outbox.dispatch(sendgrid).sent == 1
    # SendGrid repeats the custom_args our transport sent in every event.
    custom_args = provider.requests[0].json()["custom_args"]
    assert custom_args == {"idempotency_key": confirmation.idempotency_key}
    shipment = COMPOSER.email("shipment_sent", **samples.context("shipment_sent"))
    outbox.put(shipment)  # waiting for the next dispatch

    # An event without the custom arg finds its entry by the message id of the receipt.
    processed = sg_event("delivered", response="250 OK")
    answer = post(hook, signed([processed]))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    bounce = sg_event(
        "bounce",
        key=custom_args["idempotency_key"],
        type="bounce",
        status="5.1.1",
        reason="550 5.1.1 The email account does not exist",
        timestamp=AT + 60,
    )
    answer = post(hook, signed([bounce]))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    history = outbox.events(confirmation.idempotency_key)
    assert [(e.type, e.hard, e.provider_message_id) for e in history] == [
        (EventType.DELIVERED, False, X_MESSAGE_ID),
        (EventType.BOUNCED, True, X_MESSAGE_ID),
    ]
    [line] = outbox.suppressions(SHOP)
    assert (line.recipient, line.scope, line.reason, line.provider) == (
        CUSTOMER,
        "all",
        "bounced",
        "sendgrid",
    )

    with sendgrid:
        report = outbox.dispatch(sendgrid)
    assert (report.sent, report.suppressed) == (0, 1)
    assert len(provider.requests) == 1  # nothing more went to SendGrid
    stopped = outbox.get(shipment.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert "hard bounce reported by sendgrid" in (stopped.last_error or "")


def test_a_batch_of_100_is_recorded_once_however_often_sendgrid_retries_it(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'sendgrid': PUBLIC_KEY})}/sendgrid"
    kinds = ["delivered", "open", "click", "deferred"]
    batch = [
        sg_event(kinds[n % 4], f"client-{n:03d}@example.fr", sg_message_id=f"m{n:03d}.filter0.0")
        for n in range(100)
    ]
    batch[7:10] = [
        sg_event("bounce", "inconnu@example.fr", type="bounce", sg_message_id="b1.filter0.0"),
        sg_event("spamreport", "agace@example.fr", sg_message_id="b2.filter0.0"),
        sg_event("bounce", "plein@example.fr", type="blocked", sg_message_id="b3.filter0.0"),
    ]
    first = post(hook, signed(batch))
    assert (first.status_code, first.json()) == (200, {"recorded": 100, "duplicates": 0})
    # SendGrid's retry, signed again later; and the very same request replayed.
    for retry in (signed(batch), signed(batch)):
        answer = post(hook, retry)
        assert (answer.status_code, answer.json()) == (200, {"recorded": 0, "duplicates": 100})
    lines = outbox.suppressions()
    assert sorted((line.recipient, line.reason) for line in lines) == [
        ("agace@example.fr", "complained"),
        ("inconnu@example.fr", "bounced"),
    ]


def test_bad_signatures_are_refused_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'sendgrid': PUBLIC_KEY})}/sendgrid"
    batch = [sg_event("bounce", type="bounce"), sg_event("spamreport", "autre@example.fr")]
    headers, body = signed(batch)
    other_key = ec.generate_private_key(ec.SECP256R1())
    for request in (
        signed(batch, private_key=other_key),
        (headers, body.replace(b"spamreport", b"open")),
        signed(batch, at=int(time.time()) - 3600),
        ({"Content-Type": "application/json"}, body),
    ):
        answer = post(hook, request)
        assert answer.status_code == 403
        assert answer.json()["error"].startswith("sendgrid webhook refused")
    malformed = post(hook, signed([{**batch[0], "email": None}]))
    assert (malformed.status_code, malformed.json()["field"]) == (400, "email")
    assert outbox.suppressions() == []
    assert post(hook, (headers, body)).json() == {"recorded": 2, "duplicates": 0}
