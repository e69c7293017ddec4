"""Brevo's transactional webhooks, email and SMS: documented payloads, basic auth or bearer token.

The payloads are written from Brevo's "Transactional webhooks" page (one JSON
object per event, an array when batched), with our own values; the
credentials and tokens are made here. The app tests send through the real
Brevo transports to a stand-in of Brevo's API, then POST Brevo's events to the
apps under uvicorn and wsgiref, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

import relationclient as rc
from relationclient import events, samples
from relationclient.events import BasicAuth, Event, EventType
from relationclient.events.brevo import BearerToken
from relationclient.outbox import Outbox
from relationclient.transports import BrevoEmailTransport, BrevoSmsTransport

from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import COMPOSER, CUSTOMER, MOBILE, SHOP

AUTH = BasicAuth("brevo-hooks", secrets.token_urlsafe(24))
TOKEN = BearerToken(secrets.token_urlsafe(32))
MESSAGE_ID = "<202603100901.12345678901@smtp-relay.mailin.fr>"
SMS_ID = 1511882900176220
AT = datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def email_event(event: str, *, key: str = "", at: datetime = AT, **extra: Any) -> dict[str, Any]:
    """An email event with the fields Brevo documents for most of them."""
    return {
        "event": event,
        "email": CUSTOMER,
        "id": 1234567,  # the webhook's id
        "date": at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S"),  # CET/CEST
        "ts": int(at.timestamp()),
        "message-id": MESSAGE_ID,
        "ts_event": int(at.timestamp()),
        "subject": "Commande n° ML-2026-10482 confirmée",
        "X-Mailin-custom": key,
        "sending_ip": "185.41.28.109",
        "ts_epoch": int(at.timestamp() * 1000),
        "template_id": 22,
        "tags": ["transac_messages"],
        "sender_email": "commandes@maison-lumiere.fr",
        **extra,
    }


def sms_event(status: str, *, key: str = "", message_id: int = SMS_ID, **extra: Any) -> dict:
    """An SMS event as Brevo documents it: the recipient in digits, Paris time in ``date``."""
    return {
        "id": 26570,
        "to": MOBILE.removeprefix("+"),
        "sms_count": 1,
        "credits_used": 1.5,
        "messageId": message_id,
        "remaining_credit": 11488.845,
        "msg_status": status,
        "date": "2026-03-10 10:15:42",  # CET: 09:15:42 UTC
        "type": "transactional",
        "reference": {"1": "ab1cde2fgh3i4jklmno"},
        "tag": [key] if key else [],
        **extra,
    }


def basic(auth: BasicAuth = AUTH) -> dict[str, str]:
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}


def bearer(token: BearerToken = TOKEN) -> dict[str, str]:
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token.token}"}


def email(payload: object) -> list[Event]:
    return events.parse("brevo", headers=basic(), body=json.dumps(payload), secret=AUTH)


def sms(payload: object) -> list[Event]:
    return events.parse("brevo-sms", headers=bearer(), body=json.dumps(payload), secret=TOKEN)


# -- email --------------------------------------------------------------------------------
def test_a_hard_bounce_as_brevo_documents_it() -> None:
    reason = "550 5.1.1 <camille.dupont@example.fr>: Recipient address rejected"
    [event] = email(email_event("hard_bounce", key="k" * 32, reason=reason))
    assert (event.type, event.hard, event.channel) == (EventType.BOUNCED, True, "email")
    assert (event.recipient, event.provider, event.provider_message_id) == (
        CUSTOMER,
        "brevo",
        MESSAGE_ID,
    )
    assert event.idempotency_key == "k" * 32  # the X-Mailin-custom our transport sends
    assert event.occurred_at == AT  # ts_epoch, in milliseconds
    assert reason in event.description
    assert event.shop_address == "commandes@maison-lumiere.fr"
    assert event.event_id is None  # "id" is the webhook's, not the event's


@pytest.mark.parametrize(
    ("name", "expected", "hard"),
    [
        ("delivered", EventType.DELIVERED, False),
        ("deferred", EventType.DEFERRED, False),
        ("soft_bounce", EventType.BOUNCED, False),
        ("hard_bounce", EventType.BOUNCED, True),
        ("hardBounce", EventType.BOUNCED, True),  # the name a webhook subscribes to
        ("invalid_email", EventType.BOUNCED, True),
        ("blocked", EventType.FAILED, False),
        ("error", EventType.FAILED, False),
        ("spam", EventType.COMPLAINED, False),
        ("unsubscribed", EventType.UNSUBSCRIBED, False),
        ("opened", EventType.OPENED, False),
        ("unique_opened", EventType.OPENED, False),
        ("proxy_open", EventType.OPENED, False),
        ("unique_proxy_open", EventType.OPENED, False),
        ("click", EventType.CLICKED, False),
    ],
)
def test_each_documented_email_event(name: str, expected: EventType, hard: bool) -> None:
    [event] = email(email_event(name, link="https://maison-lumiere.fr/suivi"))
    assert (event.type, event.hard) == (expected, hard)


def test_request_and_unknown_events_are_not_delivery_events() -> None:
    assert email([email_event("request"), email_event("list_addition")]) == []


def test_the_times_brevo_writes() -> None:
    """``ts_epoch`` first (milliseconds, or seconds as Brevo's own sample writes it)."""
    [in_seconds] = email(email_event("delivered", ts_epoch=int(AT.timestamp())))
    assert in_seconds.occurred_at == AT
    only_date = email_event("delivered")
    for name in ("ts_epoch", "ts_event", "ts"):
        del only_date[name]
    [by_date] = email({**only_date, "date": "2026-03-10 10:15:42"})  # Paris time
    assert by_date.occurred_at == AT


def test_a_batch_and_a_retry() -> None:
    found = email([email_event("delivered"), email_event("hard_bounce", at=AT.replace(hour=10))])
    assert [e.type for e in found] == [EventType.DELIVERED, EventType.BOUNCED]
    [again] = email(email_event("delivered"))
    assert again.dedup_key == found[0].dedup_key
    [first_open] = email(email_event("unique_opened"))
    [opened] = email(email_event("opened"))
    assert first_open.dedup_key == opened.dedup_key  # the same opening, told twice


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in email_event("delivered").items() if k != "event"}, "event"),
        ({**email_event("hard_bounce"), "email": ""}, "email"),
        ({**email_event("delivered"), "ts_epoch": "soon"}, "ts_epoch"),
        ({k: v for k, v in email_event("delivered").items() if not k.startswith("ts")}
         | {"date": "10/03/2026"}, "date"),
    ],
)  # fmt: skip
def test_email_payload_errors_name_the_provider_and_field(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"brevo webhook field '{field}'") as caught:
        email(payload)
    assert (caught.value.provider, caught.value.field) == ("brevo", field)


# -- SMS ----------------------------------------------------------------------------------
def test_sms_events_as_brevo_documents_them() -> None:
    [delivered] = sms(sms_event("delivered", key="k" * 32))
    assert (delivered.type, delivered.channel, delivered.recipient) == (
        EventType.DELIVERED,
        "sms",
        MOBILE,  # Brevo's digits, as E.164
    )
    assert (delivered.provider, delivered.provider_message_id) == ("brevo-sms", str(SMS_ID))
    assert delivered.idempotency_key == "k" * 32  # the tag our transport sends
    assert delivered.occurred_at == AT  # "date" is Paris time
    [hard] = sms(sms_event("hard_bounce", description="Invalid number", ts_event=1773134200))
    assert (hard.type, hard.hard) == (EventType.BOUNCED, True)
    assert "Invalid number" in hard.description
    assert hard.occurred_at == datetime.fromtimestamp(1773134200, UTC)
    [soft] = sms(sms_event("softBounce"))
    assert (soft.type, soft.hard) == (EventType.BOUNCED, False)
    assert sms([sms_event("sent"), sms_event("accepted")]) == []
    [rejected] = sms(sms_event("rejected"))
    assert rejected.type is EventType.FAILED


@pytest.mark.parametrize(
    ("status", "reply", "expected"),
    [
        ("unsubscribe", None, EventType.OPTED_OUT),  # Brevo unsubscribed them after a STOP
        ("replied", "STOP", EventType.OPTED_OUT),
        ("replied", " stop ", EventType.OPTED_OUT),
        ("replied", "Arrêt", EventType.OPTED_OUT),
        ("subscribe", None, EventType.OPTED_IN),
        ("replied", "START", EventType.OPTED_IN),
    ],
)
def test_sms_stop_and_start(status: str, reply: str | None, expected: EventType) -> None:
    extra = {"reply": reply} if reply is not None else {}
    [event] = sms(sms_event(status, **extra))
    assert (event.type, event.recipient) == (expected, MOBILE)


@pytest.mark.parametrize("reply", ["Stop please", "Merci !", ""])
def test_other_sms_replies_are_not_events(reply: str) -> None:
    assert sms(sms_event("replied", reply=reply)) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in sms_event("delivered").items() if k != "msg_status"}, "msg_status"),
        ({k: v for k, v in sms_event("delivered").items() if k != "to"}, "to"),
        ({**sms_event("delivered"), "date": "yesterday"}, "date"),
        ({**sms_event("delivered"), "ts_event": "now"}, "ts_event"),
        ({**sms_event("delivered"), "messageId": [1]}, "messageId"),
    ],
)
def test_sms_payload_errors_name_the_provider_and_field(
    payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"brevo-sms webhook field '{field}'"):
        sms(payload)


# -- credentials --------------------------------------------------------------------------
def test_basic_auth_or_a_bearer_token() -> None:
    body = json.dumps(email_event("hard_bounce"))
    for name in ("brevo", "brevo-sms"):
        with pytest.raises(rc.WebhookSignatureError, match="no Authorization") as missing:
            events.parse(name, headers={}, body=body, secret=AUTH)
        assert missing.value.challenge == 'Basic realm="webhooks"'
        with pytest.raises(rc.WebhookSignatureError, match="no Authorization") as no_token:
            events.parse(name, headers={}, body=body, secret=TOKEN)
        assert no_token.value.challenge == 'Bearer realm="webhooks"'
    with pytest.raises(rc.WebhookSignatureError, match="wrong bearer token") as wrong:
        events.parse("brevo", headers=bearer(BearerToken("guessed")), body=body, secret=TOKEN)
    assert (wrong.value.provider, wrong.value.challenge) == ("brevo", None)
    with pytest.raises(rc.WebhookSignatureError, match="not Bearer"):
        events.parse("brevo", headers=basic(), body=body, secret=TOKEN)
    with pytest.raises(rc.WebhookSignatureError, match="wrong basic-auth"):
        events.parse("brevo", headers=basic(BasicAuth("brevo-hooks", "x")), body=body, secret=AUTH)
    # A token as a plain string (no colon), credentials as "user:password" or a pair.
    assert events.parse("brevo", headers=bearer(), body=body, secret=TOKEN.token)
    as_text = f"{AUTH.username}:{AUTH.password}"
    assert events.parse("brevo", headers=basic(), body=body, secret=as_text)
    assert events.parse("brevo", headers=basic(), body=body, secret=(AUTH.username, AUTH.password))
    with pytest.raises(rc.ConfigurationError, match="bearer token"):
        events.parse("brevo-sms", headers={}, body=body, secret=42)


# -- through the apps, into a real outbox -------------------------------------------------
def post(url: str, body: object, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, headers=headers, content=json.dumps(body), timeout=10)


def test_a_hard_bounce_posted_to_the_app_stops_the_next_email(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'brevo': AUTH, 'brevo-sms': TOKEN})}/brevo"
    brevo = BrevoEmailTransport("xkeysib-test", base_url=provider.url)
    confirmation = COMPOSER.email("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    provider.script(201, {"messageId": MESSAGE_ID})
    with brevo:
        assert outbox.dispatch(brevo).sent == 1
    key = provider.requests[0].json()["headers"]["X-Mailin-custom"]
    assert key == confirmation.idempotency_key
    shipment = COMPOSER.email("shipment_sent", **samples.context("shipment_sent"))
    outbox.put(shipment)

    bounce = email_event("hard_bounce", key=key, reason="550 5.1.1 user unknown")
    assert post(hook, bounce, basic()).json() == {"recorded": 1, "duplicates": 0}
    retried = post(hook, bounce, basic())
    assert (retried.status_code, retried.json()) == (200, {"recorded": 0, "duplicates": 1})
    [event] = outbox.events(confirmation.idempotency_key)
    assert (event.type, event.hard, event.provider_message_id) == (
        EventType.BOUNCED,
        True,
        MESSAGE_ID,
    )
    [line] = outbox.suppressions(SHOP)
    assert (line.channel, line.recipient, line.scope) == ("email", CUSTOMER, "all")

    with brevo:
        report = outbox.dispatch(brevo)
    assert (report.sent, report.suppressed) == (0, 1)
    assert len(provider.requests) == 1
    stopped = outbox.get(shipment.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert "hard bounce reported by brevo" in (stopped.last_error or "")


def test_a_stop_stops_the_next_marketing_sms_but_not_the_next_shipment_sms(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'brevo': AUTH, 'brevo-sms': TOKEN})}/brevo-sms"
    brevo = BrevoSmsTransport("xkeysib-test", base_url=provider.url)
    confirmation = COMPOSER.sms("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    provider.script(201, {"messageId": SMS_ID, "reference": "ab1cde2fgh3i4jklmno"})
    with brevo:
        assert outbox.dispatch(brevo).sent == 1
    key = provider.requests[0].json()["tag"]
    assert key == confirmation.idempotency_key
    delivered = sms_event("delivered", key=key)
    assert post(hook, delivered, bearer()).json() == {"recorded": 1, "duplicates": 0}
    assert [e.type for e in outbox.events(key)] == [EventType.DELIVERED]

    promo = COMPOSER.sms("delivery_check", **samples.context("delivery_check"))
    shipment = COMPOSER.sms("shipment_sent", **samples.context("shipment_sent"))
    assert (promo.purpose, shipment.purpose) == ("marketing", "transactional")
    outbox.put(promo)
    outbox.put(shipment)
    # The customer answers the confirmation with STOP.
    stop = sms_event("replied", key=key, reply="STOP", date="2026-03-10 10:30:00")
    assert post(hook, stop, bearer()).json() == {"recorded": 1, "duplicates": 0}
    assert post(hook, stop, bearer()).json() == {"recorded": 0, "duplicates": 1}
    [line] = outbox.suppressions(SHOP)
    assert (line.channel, line.recipient, line.scope, line.reason) == (
        "sms",
        MOBILE,
        "marketing",
        "opted_out",
    )

    provider.script(201, {"messageId": SMS_ID + 1})
    with brevo:
        report = outbox.dispatch(brevo)
    assert (report.sent, report.suppressed) == (1, 1)
    assert provider.requests[-1].json()["content"] == shipment.body  # the shipment went
    assert len(provider.requests) == 2  # and the promo did not
    promo_entry = outbox.get(promo.idempotency_key)
    assert promo_entry is not None
    assert promo_entry.state == "suppressed"

    # Brevo's "subscribe" lifts it: the next promo goes.
    start = sms_event("subscribe", key=key, date="2026-03-10 11:00:00")
    assert post(hook, start, bearer()).status_code == 200
    assert outbox.suppressions(SHOP) == []
    later = COMPOSER.sms("delivery_check", **samples.context("delivery_check", seed=1))
    assert outbox.put(later).state == "queued"


def test_bad_requests_are_answered_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    base = webhook_server(outbox, {"brevo": AUTH, "brevo-sms": TOKEN})
    bounce = email_event("hard_bounce")
    anonymous = post(f"{base}/brevo", bounce, {"Content-Type": "application/json"})
    assert (anonymous.status_code, anonymous.headers["WWW-Authenticate"]) == (
        401,
        'Basic realm="webhooks"',
    )
    assert post(f"{base}/brevo", bounce, basic(BasicAuth("brevo-hooks", "x"))).status_code == 403
    no_token = post(f"{base}/brevo-sms", sms_event("unsubscribe"), {})
    assert (no_token.status_code, no_token.headers["WWW-Authenticate"]) == (
        401,
        'Bearer realm="webhooks"',
    )
    forged = post(f"{base}/brevo-sms", sms_event("unsubscribe"), bearer(BearerToken("guess")))
    assert (forged.status_code, forged.json()["error"]) == (
        403,
        "brevo-sms webhook refused: wrong bearer token",
    )
    garbled = post(f"{base}/brevo-sms", {**sms_event("delivered"), "date": "x"}, bearer())
    assert (garbled.status_code, garbled.json()["field"]) == (400, "date")
    assert outbox.suppressions(None) == []
    assert post(f"{base}/brevo", bounce, basic()).json()["recorded"] == 1
