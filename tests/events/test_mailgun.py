"""Mailgun's webhooks: documented payloads, signed with a webhook signing key made here.

The payloads follow Mailgun's webhook payload pages (one JSON object with
``signature`` and ``event-data``; ``message.headers.message-id`` without
angle brackets; the send's ``v:`` variables in ``user-variables``); the
signature is made as "Securing Webhooks" documents it: the hex HMAC-SHA256 of
the timestamp followed by the token, keyed by the signing key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import relationclient as rc
from relationclient import events, samples
from relationclient.events import EventType
from relationclient.outbox import Outbox
from relationclient.transports import MailgunTransport

from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import COMPOSER, CUSTOMER, SHOP

SIGNING_KEY = secrets.token_hex(16)  # Mailgun's keys are 32 hex digits (after "key-", once)
PARENT_KEY = secrets.token_hex(16)
DOMAIN = "mg.maison-lumiere.fr"
MESSAGE_ID = f"20260310091542.1.3F9A0C6D2B7E1A45@{DOMAIN}"
AT = 1773134142.375624  # 2026-03-10T09:15:42.375624Z


def event_data(
    event: str,
    recipient: str = CUSTOMER,
    *,
    key: str | None = None,
    message_id: str = MESSAGE_ID,
    **fields: Any,
) -> dict[str, Any]:
    """``event-data`` as Mailgun's webhook payload pages show it."""
    data: dict[str, Any] = {
        "id": secrets.token_urlsafe(16)[:22],
        "timestamp": AT,
        "log-level": "info",
        "event": event,
        "recipient": recipient,
        "recipient-domain": recipient.rpartition("@")[2],
        "envelope": {"sender": f"bonjour@{DOMAIN}", "targets": recipient, "transport": "smtp"},
        "message": {
            "headers": {
                "to": f"Camille Dupont <{recipient}>",
                "message-id": message_id,
                "from": "Maison Lumière <bonjour@maison-lumiere.fr>",
                "subject": "Commande n° ML-2026-10482 confirmée",
            },
            "attachments": [],
            "size": 18413,
        },
        "tags": ["order_confirmation"],
        "flags": {"is-authenticated": True, "is-test-mode": False},
        "user-variables": {"idempotency_key": key} if key else {},
    }
    data.update(fields)
    return data


def failed(severity: str, reason: str, code: int, message: str, **fields: Any) -> dict[str, Any]:
    """A ``failed`` event: ``severity``, ``reason`` and the ``delivery-status``."""
    status = {
        "attempt-no": 1,
        "code": code,
        "message": message,
        "description": "",
        "mx-host": "mx.example.fr",
        "session-seconds": 0.41,
        "tls": True,
        "certificate-verified": True,
    }
    fields["delivery-status"] = status
    return event_data("failed", severity=severity, reason=reason, **fields)


def signature(
    key: str = SIGNING_KEY, *, at: int | None = None, token: str | None = None
) -> dict[str, str]:
    """The ``signature`` object: HMAC-SHA256 of timestamp + token with the signing key."""
    timestamp = str(int(time.time()) if at is None else at)
    token = token or secrets.token_hex(25)  # 50 characters, as documented
    digest = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": digest}


def request(data: dict[str, Any], signed: dict[str, str] | None = None) -> bytes:
    return json.dumps({"signature": signed or signature(), "event-data": data}).encode()


HEADERS = {"Content-Type": "application/json", "User-Agent": "mailgun/treq-16.12.0"}


def parse(body: bytes, secret: Any = SIGNING_KEY, **options: Any) -> list[events.Event]:
    return events.parse("mailgun", headers=HEADERS, body=body, secret=secret, **options)


# -- parsing ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected", "hard"),
    [
        (event_data("delivered", **{"delivery-status": {"code": 250, "message": "OK"}}),
         EventType.DELIVERED, False),
        (failed("permanent", "bounce", 550, "5.1.1 The email account does not exist"),
         EventType.BOUNCED, True),
        (failed("permanent", "suppress-bounce", 605, "Not delivering to previously bounced"),
         EventType.BOUNCED, True),
        (failed("permanent", "espblock", 550, "Rejected by the receiving provider"),
         EventType.BOUNCED, True),
        (failed("permanent", "old", 421, "Too old: retried until the limit"),
         EventType.BOUNCED, False),
        (failed("permanent", "suppress-complaint", 607, "Not delivering to a complainer"),
         EventType.COMPLAINED, False),
        (failed("permanent", "suppress-unsubscribe", 606, "Not delivering to unsubscribed"),
         EventType.UNSUBSCRIBED, False),
        (failed("temporary", "generic", 452, "4.2.2 Mailbox full"), EventType.DEFERRED, False),
        (failed("temporary", "greylisted", 451, "4.7.1 Greylisted"), EventType.DEFERRED, False),
        (event_data("complained"), EventType.COMPLAINED, False),
        (event_data("unsubscribed"), EventType.UNSUBSCRIBED, False),
        (event_data("opened", ip="50.56.129.169", **{"client-info": {"client-type": "browser"}}),
         EventType.OPENED, False),
        (event_data("clicked", url="https://maison-lumiere.fr/suivi/ML-2026-10482"),
         EventType.CLICKED, False),
    ],
)  # fmt: skip
def test_documented_events(data: dict[str, Any], expected: EventType, hard: bool) -> None:
    [event] = parse(request(data))
    assert (event.type, event.hard) == (expected, hard)
    assert (event.channel, event.recipient, event.provider) == ("email", CUSTOMER, "mailgun")
    assert event.occurred_at == datetime(2026, 3, 10, 9, 15, 42, 375624, tzinfo=UTC)
    assert event.raw == data


def test_the_message_id_the_user_variables_and_the_event_id() -> None:
    data = failed(
        "permanent", "bounce", 550, "5.1.1 The email account does not exist", key="k" * 32
    )
    [event] = parse(request(data))
    assert event.idempotency_key == "k" * 32  # our v:idempotency_key
    # The receipt keeps the id the send answered with, in angle brackets.
    assert event.provider_message_id == f"<{MESSAGE_ID}>"
    assert event.shop_address == "bonjour@maison-lumiere.fr"
    assert "550" in event.description
    assert "5.1.1 The email account does not exist" in event.description
    # Mailgun's id is unique within a day: with the event's time, it names the event.
    assert event.event_id == f"{data['id']}@{AT:.6f}"
    [again] = parse(request(data))  # the same event, signed again
    assert again.dedup_key == event.dedup_key
    [next_day] = parse(request({**data, "timestamp": AT + 86_400}))
    assert next_day.dedup_key != event.dedup_key


def test_events_we_do_not_track_give_none() -> None:
    for name in ("accepted", "rejected", "stored", "list_member_uploaded"):
        assert parse(request(event_data(name))) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**event_data("delivered"), "recipient": ""}, "event-data.recipient"),
        ({k: v for k, v in event_data("delivered").items() if k != "event"}, "event-data.event"),
        ({k: v for k, v in event_data("delivered").items() if k != "id"}, "event-data.id"),
        ({**event_data("opened"), "timestamp": "today"}, "event-data.timestamp"),
        ({**failed("permanent", "bounce", 550, "x"), "severity": None}, "event-data.severity"),
        ({**event_data("delivered"), "message": {"headers": {"message-id": {"x": 1}}}},
         "event-data.message.headers.message-id"),
    ],
)  # fmt: skip
def test_payload_errors_name_the_provider_and_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"mailgun webhook field '{field}'") as caught:
        parse(request(data))
    assert (caught.value.provider, caught.value.field) == ("mailgun", field)


def test_a_body_that_is_not_mailgun_json_is_a_payload_error() -> None:
    body = json.dumps({"signature": signature(), "event-data": "delivered"}).encode()
    with pytest.raises(rc.WebhookPayloadError, match="mailgun webhook field 'event-data'"):
        parse(body)
    # The legacy webhooks' form: not read (Mailgun's current webhooks post JSON).
    with pytest.raises(rc.WebhookPayloadError, match="mailgun webhook: the body is not JSON"):
        parse(b"event=delivered&recipient=x")


def test_the_signature_covers_timestamp_and_token_with_the_key() -> None:
    data = event_data("complained")
    good = signature()
    assert parse(request(data, good))
    cases: list[tuple[Any, str]] = [
        (signature(secrets.token_hex(16)), "does not match"),
        ({**good, "timestamp": str(int(good["timestamp"]) + 1)}, "does not match"),
        ({**good, "token": secrets.token_hex(25)}, "does not match"),
        (signature(at=int(time.time()) - 3600), "too far from now"),
        (signature(at=int(time.time()) + 3600), "too far from now"),
        ({**good, "signature": ""}, "has no signature"),
        ({"timestamp": good["timestamp"], "signature": good["signature"]}, "timestamp"),
        (None, "no 'signature' object"),
    ]
    for signed, reason in cases:
        body = json.dumps({"signature": signed, "event-data": data}).encode()
        with pytest.raises(rc.WebhookSignatureError, match=reason) as refused:
            parse(body)
        assert (refused.value.provider, refused.value.challenge) == ("mailgun", None)


def test_a_token_replayed_with_another_event_is_refused() -> None:
    parser = events.parser_for("mailgun")(SIGNING_KEY)
    signed = signature()
    bounce = request(failed("permanent", "bounce", 550, "unknown user"), signed)
    assert parser.parse(headers=HEADERS, body=bounce)
    # The same request again (a retry): read again, and recorded once by the outbox.
    assert parser.parse(headers=HEADERS, body=bounce)
    # The captured signature on a forged event: the signature alone would check out.
    forged = request(event_data("complained", "victime@example.fr"), signed)
    with pytest.raises(rc.WebhookSignatureError, match="token was used before"):
        parser.parse(headers=HEADERS, body=forged)
    # Another parser (another process) does not know the token: the window bounds it.
    assert events.parser_for("mailgun")(SIGNING_KEY).parse(headers=HEADERS, body=forged)


def test_a_subaccount_is_checked_by_the_parent_signature_and_keys_rotate() -> None:
    own = signature(secrets.token_hex(16))
    parent = signature(PARENT_KEY, at=int(own["timestamp"]), token=own["token"])
    signed = {**own, "parent-signature": parent["signature"]}
    body = request(event_data("delivered"), signed)
    assert parse(body, secret=PARENT_KEY)
    with pytest.raises(rc.WebhookSignatureError):
        parse(body, secret=SIGNING_KEY)
    # While rotating, the previous key is accepted beside the new one.
    assert parse(request(event_data("delivered")), secret=[PARENT_KEY, SIGNING_KEY])


def test_a_secret_of_the_wrong_kind_is_a_configuration_error() -> None:
    for secret in (42, [], [""], b"key"):
        with pytest.raises(rc.ConfigurationError, match="HTTP webhook signing key"):
            events.parse("mailgun", headers={}, body=b"{}", secret=secret)


# -- over HTTP, into the outbox -----------------------------------------------------------
def test_a_hard_bounce_posted_to_the_app_stops_the_next_email(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'mailgun': SIGNING_KEY})}/mailgun"
    mailgun = MailgunTransport("api-key", DOMAIN, base_url=provider.url)
    confirmation = COMPOSER.email("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    provider.script(200, {"id": f"<{MESSAGE_ID}>", "message": "Queued. Thank you."})
    with mailgun:
        assert outbox.dispatch(mailgun).sent == 1
    # Mailgun repeats the v: variables our transport sent as the event's user-variables.
    [variable] = [
        part.get_payload(decode=True).decode()
        for part in provider.requests[0].multipart()
        if part.get_param("name", header="content-disposition") == "v:idempotency_key"
    ]
    assert variable == confirmation.idempotency_key
    shipment = COMPOSER.email("shipment_sent", **samples.context("shipment_sent"))
    outbox.put(shipment)  # waiting for the next dispatch

    # An event without the variable finds its entry by the receipt's message id.
    delivered = post(hook, request(event_data("delivered")))
    assert (delivered.status_code, delivered.json()) == (200, {"recorded": 1, "duplicates": 0})
    unknown = "5.1.1 The email account that you tried to reach does not exist"
    bounce = failed("permanent", "bounce", 550, unknown, key=variable, timestamp=AT + 60)
    answer = post(hook, request(bounce))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    retried = post(hook, request(bounce))  # Mailgun's retry, signed again
    assert (retried.status_code, retried.json()) == (200, {"recorded": 0, "duplicates": 1})
    history = outbox.events(confirmation.idempotency_key)
    assert [(e.type, e.hard, e.provider_message_id) for e in history] == [
        (EventType.DELIVERED, False, f"<{MESSAGE_ID}>"),
        (EventType.BOUNCED, True, f"<{MESSAGE_ID}>"),
    ]
    [line] = outbox.suppressions(SHOP)
    assert (line.recipient, line.scope, line.reason, line.provider) == (
        CUSTOMER,
        "all",
        "bounced",
        "mailgun",
    )

    with mailgun:
        report = outbox.dispatch(mailgun)
    assert (report.sent, report.suppressed) == (0, 1)
    assert len(provider.requests) == 1  # nothing more went to Mailgun
    stopped = outbox.get(shipment.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert "hard bounce reported by mailgun" in (stopped.last_error or "")


def test_bad_signatures_are_refused_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'mailgun': SIGNING_KEY})}/mailgun"
    bounce = failed("permanent", "bounce", 550, "unknown user")
    signed = signature()
    for body in (
        request(bounce, signature(secrets.token_hex(16))),
        request(bounce, signature(at=int(time.time()) - 3600)),
        json.dumps({"event-data": bounce}).encode(),
    ):
        answer = post(hook, body)
        assert answer.status_code == 403
        assert answer.json()["error"].startswith("mailgun webhook refused")
    assert post(hook, request(bounce, signed)).json() == {"recorded": 1, "duplicates": 0}
    # The same signature on another event is a replay: refused by the app that saw it.
    forged = post(hook, request(event_data("complained", "victime@example.fr"), signed))
    assert forged.status_code == 403
    malformed = post(hook, request({**bounce, "recipient": None}))
    assert (malformed.status_code, malformed.json()["field"]) == (400, "event-data.recipient")
    assert [line.recipient for line in outbox.suppressions()] == [CUSTOMER]


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url, headers=HEADERS, content=body, timeout=10)
