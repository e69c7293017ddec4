"""Vonage's SMS API webhooks: delivery receipts and inbound STOP / START, signed with ``sig``.

The payloads are written from Vonage's delivery-receipt and inbound-SMS pages,
with our own values. The signatures are computed here, independently of the
parser, as Vonage's "Signing messages" page describes them (every parameter
but ``sig``, sorted, ``&name=value`` with ``&`` and ``=`` in values replaced by
``_``; MD5 of that and the secret, or its HMAC keyed by the secret, in upper
case as Vonage writes it), with secrets made here. The app tests send through
the real :class:`VonageSmsTransport` to a stand-in of the SMS API, then POST
Vonage's webhooks to the apps under uvicorn and wsgiref, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

import relationclient as rc
from relationclient import events, samples
from relationclient.events import Event, EventType
from relationclient.events.vonage import VonageSignature
from relationclient.outbox import Outbox
from relationclient.transports import VonageSmsTransport

from ..transports.providers.provider_server import ProviderServer
from .conftest import StartApp
from .payloads import COMPOSER, MOBILE, SHOP

SECRET = secrets.token_urlsafe(32)
SIGNATURE = VonageSignature(SECRET, "sha256")
OUR_NUMBER = "33757000111"
MESSAGE_ID = "0A0000000123ABCD1"


def receipt(status: str, *, code: str = "0", key: str | None = None, **extra: str) -> dict:
    """A delivery receipt's parameters."""
    fields = {
        "msisdn": MOBILE.removeprefix("+"),
        "to": "MaisonLum",
        "network-code": "20801",
        "messageId": MESSAGE_ID,
        "price": "0.03330000",
        "status": status,
        "scts": "2603100915",
        "err-code": code,
        "api-key": "abcd1234",
        "message-timestamp": "2026-03-10 09:15:42",
        **extra,
    }
    if key is not None:
        fields["client-ref"] = key
    return fields


def inbound(text: str, *, message_id: str = "0A0000001234567B") -> dict[str, str]:
    """An inbound message's parameters: the customer texting our number."""
    return {
        "api-key": "abcd1234",
        "msisdn": MOBILE.removeprefix("+"),
        "to": OUR_NUMBER,
        "messageId": message_id,
        "text": text,
        "type": "unicode" if not text.isascii() else "text",
        "keyword": text.split()[0].upper() if text.split() else "",
        "message-timestamp": "2026-03-10 09:30:00",
    }


def sig_of(params: dict[str, str], secret: str = SECRET, method: str = "sha256") -> str:
    """The ``sig`` of ``params`` as Vonage's signing page describes it."""
    text = "".join(
        "&" + name + "=" + params[name].replace("&", "_").replace("=", "_")
        for name in sorted(params)
    )
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), method).hexdigest().upper()


def signed(
    fields: dict[str, str], secret: str = SECRET, method: str = "sha256", at: int | None = None
) -> dict[str, str]:
    """``fields`` with the ``timestamp``, ``nonce`` and ``sig`` Vonage adds to them."""
    params = {**fields, "timestamp": str(int(time.time()) if at is None else at)}
    params["nonce"] = secrets.token_hex(8)
    return {**params, "sig": sig_of(params, secret, method)}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def parse(fields: dict[str, str], secret: Any = SIGNATURE) -> list[Event]:
    return events.parse("vonage", headers=FORM, body=urlencode(signed(fields)), secret=secret)


# -- signatures ---------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
def test_each_signature_method_of_the_dashboard(method: str) -> None:
    body = urlencode(signed(receipt("delivered"), method=method))
    secret = VonageSignature(SECRET, method)
    [event] = events.parse("vonage", headers=FORM, body=body, secret=secret)
    assert event.type is EventType.DELIVERED
    other = "sha1" if method != "sha1" else "sha256"
    with pytest.raises(rc.WebhookSignatureError, match="sig does not match"):
        events.parse("vonage", headers=FORM, body=body, secret=VonageSignature(SECRET, other))


def test_the_signature_covers_every_parameter_and_the_secret() -> None:
    fields = signed(inbound("STOP"))
    for tampered in (
        {**fields, "msisdn": "33699999999"},
        {**fields, "text": "START"},
        {**fields, "extra": "1"},
        {k: v for k, v in fields.items() if k != "nonce"},
    ):
        with pytest.raises(rc.WebhookSignatureError, match="sig does not match"):
            events.parse("vonage", headers=FORM, body=urlencode(tampered), secret=SIGNATURE)
    wrong = VonageSignature(secrets.token_urlsafe(32), "sha256")
    with pytest.raises(rc.WebhookSignatureError, match="sig does not match") as refused:
        events.parse("vonage", headers=FORM, body=urlencode(fields), secret=wrong)
    assert (refused.value.provider, refused.value.challenge) == ("vonage", None)
    unsigned = {k: v for k, v in fields.items() if k != "sig"}
    with pytest.raises(rc.WebhookSignatureError, match="no sig parameter"):
        events.parse("vonage", headers=FORM, body=urlencode(unsigned), secret=SIGNATURE)
    with pytest.raises(rc.WebhookSignatureError, match="not a form or a JSON object"):
        events.parse("vonage", headers=FORM, body=b"\xff\xfe", secret=SIGNATURE)


def test_values_with_ampersands_and_equals_signs() -> None:
    """Vonage replaces ``&`` and ``=`` in values by ``_`` before signing."""
    [event] = parse(inbound("STOP", message_id="a&b=c"))
    assert event.provider_message_id == "a&b=c"


def test_an_old_or_future_timestamp_is_refused() -> None:
    for offset in (-2 * 86400, 3600):
        old = signed(receipt("delivered"), at=int(time.time()) + offset)
        with pytest.raises(rc.WebhookSignatureError, match="too old"):
            events.parse("vonage", headers=FORM, body=urlencode(old), secret=SIGNATURE)
    for at in ("", "soon"):
        params = {**receipt("delivered"), "timestamp": at, "nonce": secrets.token_hex(8)}
        params["sig"] = sig_of(params)
        with pytest.raises(rc.WebhookSignatureError, match="no valid timestamp"):
            events.parse("vonage", headers=FORM, body=urlencode(params), secret=SIGNATURE)


def test_a_post_json_body_is_signed_the_same_way() -> None:
    body = json.dumps(signed(receipt("delivered")))
    headers = {"Content-Type": "application/json"}
    [event] = events.parse("vonage", headers=headers, body=body, secret=SIGNATURE)
    assert event.type is EventType.DELIVERED


def test_the_secret_and_its_method() -> None:
    fields = receipt("delivered")
    md5 = events.parse(
        "vonage", headers=FORM, body=urlencode(signed(fields, method="md5hash")), secret=SECRET
    )  # a bare secret: the dashboard's default, MD5 hash
    assert md5
    pair = (SECRET, "SHA-512 HMAC")
    body = urlencode(signed(fields, method="sha512"))
    assert events.parse("vonage", headers=FORM, body=body, secret=pair)
    with pytest.raises(rc.ConfigurationError, match="signature method 'sha3'"):
        VonageSignature(SECRET, "sha3")
    with pytest.raises(rc.ConfigurationError, match="signature secret"):
        VonageSignature("", "sha256")
    with pytest.raises(rc.ConfigurationError, match="VonageSignature"):
        events.parse("vonage", headers=FORM, body=body, secret=42)
    assert SECRET not in repr(SIGNATURE)


# -- delivery receipts --------------------------------------------------------------------
def test_a_delivery_receipt_as_vonage_documents_it() -> None:
    [event] = parse(receipt("delivered", key="k" * 32))
    assert (event.type, event.channel, event.recipient) == (EventType.DELIVERED, "sms", MOBILE)
    assert (event.provider, event.provider_message_id) == ("vonage", MESSAGE_ID)
    assert event.idempotency_key == "k" * 32  # the client-ref our transport sends
    assert event.occurred_at == datetime(2026, 3, 10, 9, 15, 42, tzinfo=UTC)
    assert event.event_id == f"{MESSAGE_ID}:delivered"
    assert event.shop_address == "MaisonLum"


@pytest.mark.parametrize(
    ("status", "code", "expected", "hard"),
    [
        ("failed", "3", EventType.BOUNCED, True),  # absent subscriber, permanent
        ("failed", "4", EventType.BOUNCED, True),  # call barred by the user
        ("rejected", "9", EventType.BOUNCED, True),  # illegal number
        ("failed", "12", EventType.BOUNCED, True),  # destination unreachable
        ("failed", "14", EventType.BOUNCED, True),  # blocked by the carrier
        ("failed", "2", EventType.BOUNCED, False),  # absent subscriber, temporary
        ("failed", "7", EventType.BOUNCED, False),  # handset busy
        ("expired", "1", EventType.BOUNCED, False),
        ("failed", "6", EventType.FAILED, False),  # anti-spam rejection
        ("rejected", "99", EventType.FAILED, False),  # general error
    ],
)
def test_failed_receipts_by_err_code(
    status: str, code: str, expected: EventType, hard: bool
) -> None:
    [event] = parse(receipt(status, code=code))
    assert (event.type, event.hard) == (expected, hard)
    assert f"err-code {code}" in event.description


def test_receipts_on_the_way_are_not_events() -> None:
    for status in ("accepted", "buffered", "unknown"):
        assert parse(receipt(status)) == []


# -- inbound ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("STOP", EventType.OPTED_OUT),
        (" stop ", EventType.OPTED_OUT),
        ("Arrêt", EventType.OPTED_OUT),
        ("UNSUBSCRIBE", EventType.OPTED_OUT),
        ("START", EventType.OPTED_IN),
        ("unstop", EventType.OPTED_IN),
    ],
)
def test_inbound_stop_and_start(text: str, expected: EventType) -> None:
    [event] = parse(inbound(text))
    assert (event.type, event.recipient, event.shop_address) == (
        expected,
        MOBILE,
        "+" + OUR_NUMBER,
    )
    assert event.event_id == "0A0000001234567B"


@pytest.mark.parametrize("text", ["Stop please", "Merci !", "HELP"])
def test_other_inbound_messages_are_not_events(text: str) -> None:
    assert parse(inbound(text)) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({k: v for k, v in receipt("failed").items() if k != "msisdn"}, "msisdn"),
        ({k: v for k, v in receipt("failed").items() if k != "messageId"}, "messageId"),
        ({**receipt("delivered"), "message-timestamp": "10/03/2026"}, "message-timestamp"),
        ({**receipt("delivered"), "status": ""}, "status"),
        ({k: v for k, v in inbound("STOP").items() if k not in ("text", "keyword")}, "status"),
    ],
)
def test_payload_errors_name_the_provider_and_field(fields: dict[str, str], field: str) -> None:
    with pytest.raises(rc.WebhookPayloadError, match=f"vonage webhook field '{field}'") as caught:
        parse(fields)
    assert (caught.value.provider, caught.value.field) == ("vonage", field)


# -- through the apps, into a real outbox -------------------------------------------------
def post(url: str, fields: dict[str, str]) -> httpx.Response:
    return httpx.post(url, headers=FORM, content=urlencode(signed(fields)), timeout=10)


def test_a_stop_stops_the_next_marketing_sms_but_not_the_next_shipment_sms(
    outbox: Outbox, webhook_server: StartApp, provider: ProviderServer
) -> None:
    hook = f"{webhook_server(outbox, {'vonage': SIGNATURE})}/vonage"
    vonage = VonageSmsTransport("abcd1234", "api-secret", base_url=provider.url)
    confirmation = COMPOSER.sms("order_confirmation", **samples.context("order_confirmation"))
    outbox.put(confirmation)
    part = {"to": MOBILE[1:], "message-id": MESSAGE_ID, "status": "0", "network": "20801"}
    provider.script(200, {"message-count": "1", "messages": [part]})
    with vonage:
        assert outbox.dispatch(vonage).sent == 1
    key = provider.requests[0].form()["client-ref"]
    assert key == confirmation.idempotency_key

    answer = post(hook, receipt("delivered", key=key))
    assert (answer.status_code, answer.json()) == (200, {"recorded": 1, "duplicates": 0})
    again = post(hook, receipt("delivered", key=key))  # a retry, signed anew
    assert again.json() == {"recorded": 0, "duplicates": 1}
    assert [e.type for e in outbox.events(key)] == [EventType.DELIVERED]

    promo = COMPOSER.sms("delivery_check", **samples.context("delivery_check"))
    shipment = COMPOSER.sms("shipment_sent", **samples.context("shipment_sent"))
    assert (promo.purpose, shipment.purpose) == ("marketing", "transactional")
    outbox.put(promo)
    outbox.put(shipment)
    assert post(hook, inbound("STOP")).json() == {"recorded": 1, "duplicates": 0}
    [line] = outbox.suppressions(SHOP)
    assert (line.channel, line.recipient, line.scope, line.reason) == (
        "sms",
        MOBILE,
        "marketing",
        "opted_out",
    )

    provider.script(200, {"message-count": "1", "messages": [{**part, "message-id": "0A2"}]})
    with vonage:
        report = outbox.dispatch(vonage)
    assert (report.sent, report.suppressed) == (1, 1)
    assert provider.requests[-1].form()["text"] == shipment.body  # the shipment went
    assert len(provider.requests) == 2  # and the promo did not
    promo_entry = outbox.get(promo.idempotency_key)
    assert promo_entry is not None
    assert promo_entry.state == "suppressed"
    later = COMPOSER.sms("delivery_check", **samples.context("delivery_check", seed=2))
    assert outbox.put(later).state == "suppressed"

    assert post(hook, inbound("START", message_id="0A0000001234567C")).status_code == 200
    assert outbox.suppressions(SHOP) == []
    next_promo = COMPOSER.sms("delivery_check", **samples.context("delivery_check", seed=1))
    assert outbox.put(next_promo).state == "queued"


def test_a_hard_failure_stops_every_sms_to_the_number(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'vonage': SIGNATURE})}/vonage"
    shipment = COMPOSER.sms("shipment_sent", **samples.context("shipment_sent"))
    outbox.put(shipment)
    dead = receipt("failed", code="3", key=shipment.idempotency_key)
    assert post(hook, dead).json() == {"recorded": 1, "duplicates": 0}
    [line] = outbox.suppressions(SHOP)
    assert (line.scope, line.reason, line.provider) == ("all", "bounced", "vonage")
    again = COMPOSER.sms("shipment_sent", **samples.context("shipment_sent", seed=1))
    assert outbox.put(again).state == "suppressed"


def test_bad_signatures_are_refused_and_record_nothing(
    outbox: Outbox, webhook_server: StartApp
) -> None:
    hook = f"{webhook_server(outbox, {'vonage': SIGNATURE})}/vonage"
    stop = signed(inbound("STOP"))
    forged_stop = signed(inbound("STOP"), secret=secrets.token_urlsafe(32))
    forged = httpx.post(hook, headers=FORM, content=urlencode(forged_stop))
    assert forged.status_code == 403
    assert "sig does not match" in forged.json()["error"]
    tampered = {**stop, "msisdn": "33699999999"}
    assert httpx.post(hook, headers=FORM, content=urlencode(tampered)).status_code == 403
    unsigned = {k: v for k, v in stop.items() if k != "sig"}
    assert httpx.post(hook, headers=FORM, content=urlencode(unsigned)).status_code == 403
    stale = signed(inbound("STOP"), at=int(time.time()) - 3 * 86400)
    assert httpx.post(hook, headers=FORM, content=urlencode(stale)).status_code == 403
    garbled = post(hook, {**receipt("delivered"), "message-timestamp": "x"})
    assert (garbled.status_code, garbled.json()["field"]) == (400, "message-timestamp")
    assert outbox.suppressions(None) == []
    assert httpx.post(hook, headers=FORM, content=urlencode(stop)).json()["recorded"] == 1
