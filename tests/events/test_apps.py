"""The webhook apps over real HTTP — ASGI under uvicorn, WSGI under wsgiref — into a real outbox.

Each test runs on SQLite and PostgreSQL, against both apps. The outbox sends
through the real Postmark and Twilio transports to a stand-in of their APIs on
loopback; the provider's webhooks then come back as Postmark and Twilio
document them, signed with keys made here, and the next dispatch obeys.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from relationclient import samples
from relationclient.errors import ConfigurationError
from relationclient.events import BasicAuth, EventType, asgi_app, wsgi_app
from relationclient.outbox import Outbox
from relationclient.transports import PostmarkTransport, TwilioSmsTransport

from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import (
    COMPOSER,
    CUSTOMER,
    MOBILE,
    POSTMARK_AUTH,
    SHOP,
    TWILIO_ACCOUNT,
    TWILIO_TOKEN,
    postmark_body,
    postmark_bounce,
    postmark_headers,
    twilio_inbound,
    twilio_request,
    twilio_status,
)

SECRETS: dict[str, Any] = {"postmark": POSTMARK_AUTH, "twilio": TWILIO_TOKEN}


def email(kind: str) -> Any:
    return COMPOSER.email(kind, **samples.context(kind, "fr"))


def sms(kind: str) -> Any:
    return COMPOSER.sms(kind, **samples.context(kind, "fr"))


def post(url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(url, headers=headers, content=body, timeout=10)


def test_a_hard_bounce_posted_to_the_app_stops_the_next_email(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    base = webhook_server(outbox, SECRETS)
    postmark = PostmarkTransport("server-token", base_url=provider.url)
    confirmation = email("order_confirmation")
    outbox.put(confirmation)
    message_id = str(uuid.uuid4())
    provider.script(200, {"To": CUSTOMER, "MessageID": message_id, "ErrorCode": 0, "Message": "OK"})
    with postmark:
        assert outbox.dispatch(postmark).sent == 1
    # Postmark echoes the Metadata our transport sent with the message.
    metadata = provider.requests[0].json()["Metadata"]
    assert metadata == {"idempotency_key": confirmation.idempotency_key}
    # The shipment notice waits in the queue (a dispatcher that has not run yet).
    shipment = email("shipment_sent")
    outbox.put(shipment)

    bounce = postmark_bounce(CUSTOMER, message_id=message_id, key=metadata["idempotency_key"])
    answer = post(f"{base}/postmark", postmark_headers(), postmark_body(bounce))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    retried = post(f"{base}/postmark", postmark_headers(), postmark_body(bounce))
    assert (retried.status_code, retried.json()) == (200, {"recorded": 0, "duplicates": 1})
    [event] = outbox.events(confirmation.idempotency_key)
    assert (event.type, event.hard, event.provider_message_id) == (
        EventType.BOUNCED,
        True,
        message_id,
    )
    [line] = outbox.suppressions(SHOP)
    assert (line.recipient, line.scope, line.reason) == (CUSTOMER, "all", "bounced")

    with postmark:
        report = outbox.dispatch(postmark)
    assert (report.sent, report.suppressed) == (0, 1)
    assert len(provider.requests) == 1  # nothing more went to Postmark
    stopped = outbox.get(shipment.idempotency_key)
    assert stopped is not None
    assert stopped.state == "suppressed"
    assert "hard bounce reported by postmark" in (stopped.last_error or "")
    # Later messages are stopped as soon as they are put.
    assert outbox.put(email("delivery_check")).state == "suppressed"


def test_a_stop_stops_the_next_marketing_sms_but_not_the_next_shipment_sms(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    base = webhook_server(outbox, SECRETS)
    hook = f"{base}/twilio"
    twilio = TwilioSmsTransport(TWILIO_ACCOUNT, "api-token", base_url=provider.url)
    confirmation = sms("order_confirmation")
    outbox.put(confirmation)
    sid = "SM" + uuid.uuid4().hex
    provider.script(201, {"sid": sid, "status": "queued", "to": MOBILE})
    with twilio:
        assert outbox.dispatch(twilio).sent == 1

    # Twilio's status callback names the message by its SID only.
    answer = post(hook, *twilio_request(hook, twilio_status(sid, MOBILE, "delivered")))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    assert [e.type for e in outbox.events(confirmation.idempotency_key)] == [EventType.DELIVERED]

    # A promo and a shipment notice wait in the queue; the customer texts STOP to our number.
    promo, shipment = sms("delivery_check"), sms("shipment_sent")
    assert promo.purpose == "marketing"
    outbox.put(promo)
    outbox.put(shipment)
    stop = twilio_inbound("SM" + uuid.uuid4().hex, MOBILE, "STOP")
    assert post(hook, *twilio_request(hook, stop)).json() == {"recorded": 1, "duplicates": 0}
    [line] = outbox.suppressions(SHOP)
    assert (line.channel, line.recipient, line.scope, line.reason) == (
        "sms",
        MOBILE,
        "marketing",
        "opted_out",
    )

    provider.script(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued"})
    with twilio:
        report = outbox.dispatch(twilio)
    assert (report.sent, report.suppressed) == (1, 1)
    assert provider.requests[-1].form()["Body"] == shipment.body  # the shipment went
    assert len(provider.requests) == 2  # and the promo did not
    promo_entry = outbox.get(promo.idempotency_key)
    assert promo_entry is not None
    assert promo_entry.state == "suppressed"
    later_promo = COMPOSER.sms("delivery_check", **samples.context("delivery_check", "fr", seed=2))
    assert outbox.put(later_promo).state == "suppressed"  # stopped as soon as it is put

    # START lifts the STOP: the next promo goes.
    start = twilio_inbound("SM" + uuid.uuid4().hex, MOBILE, "START")
    assert post(hook, *twilio_request(hook, start)).status_code == 200
    assert outbox.suppressions(SHOP) == []
    next_promo = COMPOSER.sms("delivery_check", **samples.context("delivery_check", "fr", seed=1))
    assert outbox.put(next_promo).state == "queued"


def test_bad_requests_are_answered_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    base = webhook_server(outbox, SECRETS, max_body=64 * 1024)
    bounce = postmark_body(postmark_bounce(CUSTOMER))

    malformed = post(f"{base}/postmark", postmark_headers(), b"{not json")
    assert malformed.status_code == 400
    assert "postmark webhook: the body is not JSON" in malformed.json()["error"]
    missing = post(f"{base}/postmark", postmark_headers(), bounce.replace(b'"Email"', b'"Mail"'))
    assert (missing.status_code, missing.json()["field"]) == (400, "Email")

    anonymous = post(f"{base}/postmark", {"Content-Type": "application/json"}, bounce)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="webhooks"'
    wrong = postmark_headers(BasicAuth(POSTMARK_AUTH.username, "guessed"))
    assert post(f"{base}/postmark", wrong, bounce).status_code == 403

    fields = twilio_inbound("SM1", MOBILE, "STOP")
    headers, body = twilio_request(f"{base}/twilio", fields, token="0" * 32)
    forged = post(f"{base}/twilio", headers, body)
    assert forged.status_code == 403
    assert "X-Twilio-Signature does not match" in forged.json()["error"]
    headers, body = twilio_request(f"{base}/twilio", fields)
    tampered = post(f"{base}/twilio", headers, body.replace(b"STOP", b"START"))
    assert tampered.status_code == 403

    assert post(f"{base}/sendgrid", postmark_headers(), bounce).status_code == 404
    got = httpx.get(f"{base}/postmark", headers=postmark_headers(), timeout=10)
    assert (got.status_code, got.headers["Allow"]) == (405, "POST")
    huge = post(f"{base}/postmark", postmark_headers(), b" " * (64 * 1024 + 1))
    assert huge.status_code == 413

    assert outbox.suppressions() == []
    assert outbox.suppressions(SHOP) == []
    # And a good one still records.
    assert post(f"{base}/postmark", postmark_headers(), bounce).json()["recorded"] == 1


def test_a_database_failure_answers_500_so_the_provider_retries(
    outbox: Outbox, webhook_server: StartApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = webhook_server(outbox, SECRETS)
    bounce = postmark_body(postmark_bounce(CUSTOMER))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(outbox, "record_events", broken)
    answer = post(f"{base}/postmark", postmark_headers(), bounce)
    assert answer.status_code == 500
    assert "disk full" not in answer.text  # no internals in the answer
    monkeypatch.undo()
    assert post(f"{base}/postmark", postmark_headers(), bounce).json()["recorded"] == 1


def test_the_apps_refuse_a_setup_that_cannot_work(outbox: Outbox) -> None:
    for factory in (asgi_app, wsgi_app):
        with pytest.raises(ConfigurationError, match="public_url"):
            factory(outbox, {"twilio": TWILIO_TOKEN})
        with pytest.raises(ConfigurationError, match="no webhook parser for provider 'pigeon'"):
            factory(outbox, {"pigeon": "x"})
        with pytest.raises(ConfigurationError, match="always verified"):
            factory(outbox, {"postmark": None})
        with pytest.raises(ConfigurationError, match="at least one"):
            factory(outbox, {})
