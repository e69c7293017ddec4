"""Mailjet's Event API: documented events parsed, basic auth checked, recorded through the apps.

The payloads are written from Mailjet's Event API guide (one JSON object per
POST, or a JSON array with grouped events), with our own values; the
credentials are made here. The app tests send through the real
:class:`MailjetTransport` to a stand-in of the Send API, then POST Mailjet's
events to the apps under uvicorn and wsgiref, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import relationclient as rc
from relationclient import events, samples
from relationclient.events import BasicAuth, Event, EventType
from relationclient.outbox import Outbox
from relationclient.transports import MailjetTransport

from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import COMPOSER, CUSTOMER, SHOP

AUTH = BasicAuth("mailjet-hooks", secrets.token_urlsafe(24))
MESSAGE_ID = 288230384652312345
BOUNCED_AT = int(datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC).timestamp())


def mailjet_event(
    event: str,
    email: str = CUSTOMER,
    *,
    message_id: int = MESSAGE_ID,
    custom_id: str = "",
    time: int = BOUNCED_AT,
    **extra: Any,
) -> dict[str, Any]:
    """One event with the properties every Mailjet event carries, then its own."""
    return {
        "event": event,
        "time": time,
        "MessageID": message_id,
        "Message_GUID": "1ab23cd4-e567-8901-2345-6789f0gh1i2j",
        "email": email,
        "mj_campaign_id": 0,
        "mj_contact_id": 0,
        "customcampaign": "",
        "CustomID": custom_id,
        "Payload": "",
        **extra,
    }


def bounce(hard: bool = True, **fields: Any) -> dict[str, Any]:
    return mailjet_event(
        "bounce",
        blocked=hard,
        hard_bounce=hard,
        error_related_to="recipient",
        error="user unknown" if hard else "quota exceeded",
        comment="Host or domain name not found.",
        **fields,
    )


def headers(auth: BasicAuth = AUTH) -> dict[str, str]:
    """What Mailjet sends for an endpoint URL with credentials in it."""
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}


def parse(payload: object) -> list[Event]:
    return events.parse("mailjet", headers=headers(), body=json.dumps(payload), secret=AUTH)


# -- parsing ------------------------------------------------------------------------------
def test_a_hard_bounce_as_mailjet_documents_it() -> None:
    [event] = parse(bounce(custom_id="k" * 32))
    assert (event.type, event.hard, event.channel) == (EventType.BOUNCED, True, "email")
    assert (event.recipient, event.provider) == (CUSTOMER, "mailjet")
    assert event.provider_message_id == str(MESSAGE_ID)  # the Send API's MessageID
    assert event.idempotency_key == "k" * 32  # the CustomID our transport sends
    assert event.occurred_at == datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
    assert event.description.startswith("recipient: user unknown — Host or domain")
    assert event.event_id is None  # Mailjet gives none: the dedup key is built
    assert event.raw["hard_bounce"] is True


@pytest.mark.parametrize(
    ("payload", "expected", "hard"),
    [
        (mailjet_event("sent", smtp_reply="sent (250 2.0.0 OK)"), EventType.DELIVERED, False),
        (bounce(hard=False), EventType.BOUNCED, False),
        (mailjet_event("spam", source="JMRPP"), EventType.COMPLAINED, False),
        (mailjet_event("unsub", mj_list_id=1, ip="127.0.0.1", geo="FR"), EventType.UNSUBSCRIBED,
         False),
        (mailjet_event("open", ip="127.0.0.1", geo="FR", agent="Mozilla/5.0"), EventType.OPENED,
         False),
        (mailjet_event("click", url="https://maison-lumiere.fr/suivi"), EventType.CLICKED, False),
        # Blocks about the address are hard bounces; the others say nothing about it.
        (mailjet_event("blocked", error_related_to="mailjet", error="preblocked"),
         EventType.BOUNCED, True),
        (mailjet_event("blocked", error_related_to="recipient", error="user unknown"),
         EventType.BOUNCED, True),
        (mailjet_event("blocked", error_related_to="spam", error="content blocked"),
         EventType.FAILED, False),
        (mailjet_event("blocked", error_related_to="mailjet", error="duplicate in campaign"),
         EventType.FAILED, False),
    ],
)  # fmt: skip
def test_each_documented_event(payload: dict[str, Any], expected: EventType, hard: bool) -> None:
    [event] = parse(payload)
    assert (event.type, event.hard) == (expected, hard)


def test_grouped_events_arrive_as_an_array_of_mixed_types() -> None:
    """Version 2 of the Event API: the grouped sample carries ``mj_message_id`` only."""
    sent = mailjet_event("sent", smtp_reply="sent (250 2.0.0 OK)")
    del sent["MessageID"], sent["Message_GUID"]
    sent["mj_message_id"] = "18858825588804172"
    found = parse([sent, bounce(), mailjet_event("future_event")])
    assert [(e.type, e.provider_message_id) for e in found] == [
        (EventType.DELIVERED, "18858825588804172"),
        (EventType.BOUNCED, str(MESSAGE_ID)),
    ]


def test_our_key_from_the_custom_id_or_an_event_payload_naming_it() -> None:
    [by_custom_id] = parse(bounce(custom_id="order-42"))
    assert by_custom_id.idempotency_key == "order-42"
    [by_payload] = parse(bounce(Payload=json.dumps({"idempotency_key": "order-43"})))
    assert by_payload.idempotency_key == "order-43"
    [neither] = parse(bounce(Payload="free text"))
    assert neither.idempotency_key is None


def test_a_retried_event_has_the_same_dedup_key_and_another_event_not() -> None:
    [first] = parse(bounce())
    [again] = parse(bounce())
    [later] = parse(bounce(time=BOUNCED_AT + 60))
    [other] = parse(bounce(message_id=MESSAGE_ID + 1))
    [opened] = parse(mailjet_event("open"))
    assert first.dedup_key == again.dedup_key
    assert len({first.dedup_key, later.dedup_key, other.dedup_key, opened.dedup_key}) == 4


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({k: v for k, v in bounce().items() if k != "event"}, "event"),
        ({**bounce(), "email": ""}, "email"),
        ({**bounce(), "time": "yesterday"}, "time"),
        ({**bounce(), "hard_bounce": "true"}, "hard_bounce"),
        ({k: v for k, v in bounce().items() if k != "hard_bounce"}, "hard_bounce"),
        ({**bounce(), "CustomID": {"key": 1}}, "CustomID"),
    ],
)
def test_payload_errors_name_the_provider_and_field(payload: dict[str, Any], field: str) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"mailjet webhook field '{field}'") as caught:
        parse(payload)
    assert (caught.value.provider, caught.value.field) == ("mailjet", field)


def test_the_credentials_of_the_endpoint_url() -> None:
    body = json.dumps(bounce())
    with pytest.raises(rc.WebhookSignatureError, match="no Authorization") as missing:
        events.parse("mailjet", headers={}, body=body, secret=AUTH)
    assert missing.value.challenge == 'Basic realm="webhooks"'
    wrong = BasicAuth(AUTH.username, secrets.token_urlsafe(24))
    with pytest.raises(rc.WebhookSignatureError, match="wrong basic-auth") as refused:
        events.parse("mailjet", headers=headers(wrong), body=body, secret=AUTH)
    assert (refused.value.provider, refused.value.challenge) == ("mailjet", None)
    as_text = f"{AUTH.username}:{AUTH.password}"
    assert events.parse("mailjet", headers=headers(), body=body, secret=as_text)
    with pytest.raises(rc.ConfigurationError, match="basic-auth"):
        events.parse("mailjet", headers=headers(), body=body, secret=42)


# -- through the apps, into a real outbox -------------------------------------------------
def post(url: str, body: object, auth: BasicAuth | None = AUTH) -> httpx.Response:
    sent = headers(auth) if auth else {"Content-Type": "application/json"}
    return httpx.post(url, headers=sent, content=json.dumps(body), timeout=10)


def test_a_hard_bounce_posted_to_the_app_stops_the_next_email(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'mailjet': AUTH})}/mailjet"
    mailjet = MailjetTransport("api-key", "secret-key", base_url=provider.url)
    confirmation = COMPOSER.email("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    answer = {
        "Status": "success",
        "CustomID": confirmation.idempotency_key,
        "To": [
            {
                "Email": CUSTOMER,
                "MessageUUID": str(uuid.uuid4()),
                "MessageID": MESSAGE_ID,
                "MessageHref": f"https://api.mailjet.com/v3/REST/message/{MESSAGE_ID}",
            }
        ],
        "Cc": [],
        "Bcc": [],
    }
    provider.script(200, {"Messages": [answer]})
    with mailjet:
        assert outbox.dispatch(mailjet).sent == 1
    key = provider.requests[0].json()["Messages"][0]["CustomID"]
    assert key == confirmation.idempotency_key
    shipment = COMPOSER.email("shipment_sent", **samples.context("shipment_sent"))
    outbox.put(shipment)  # waits for the next dispatch

    # Mailjet groups the delivery and the later bounce into one request.
    grouped = [mailjet_event("sent", custom_id=key, time=BOUNCED_AT - 60), bounce(custom_id=key)]
    assert post(hook, grouped).json() == {"recorded": 2, "duplicates": 0}
    retried = post(hook, grouped)
    assert (retried.status_code, retried.json()) == (200, {"recorded": 0, "duplicates": 2})
    history = outbox.events(confirmation.idempotency_key)
    assert [(e.type, e.hard) for e in history] == [
        (EventType.DELIVERED, False),
        (EventType.BOUNCED, True),
    ]
    [line] = outbox.suppressions(SHOP)
    assert (line.recipient, line.scope, line.reason) == (CUSTOMER, "all", "bounced")

    with mailjet:
        report = outbox.dispatch(mailjet)
    assert (report.sent, report.suppressed) == (0, 1)
    assert len(provider.requests) == 1  # nothing more went to Mailjet
    stopped = outbox.get(shipment.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert "hard bounce reported by mailjet" in (stopped.last_error or "")


def test_bad_requests_are_answered_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'mailjet': AUTH})}/mailjet"
    anonymous = post(hook, bounce(), auth=None)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="webhooks"'
    wrong = post(hook, bounce(), auth=BasicAuth(AUTH.username, "guessed"))
    assert (wrong.status_code, wrong.json()["error"]) == (
        403,
        "mailjet webhook refused: wrong basic-auth credentials",
    )
    garbled = post(hook, {**bounce(), "time": "yesterday"})
    assert (garbled.status_code, garbled.json()["field"]) == (400, "time")
    assert "mailjet webhook field 'time'" in garbled.json()["error"]
    assert outbox.suppressions(None) == []
    assert post(hook, bounce()).json() == {"recorded": 1, "duplicates": 0}
