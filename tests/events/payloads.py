"""Webhook bodies as Postmark and Twilio document them, and the headers that sign them.

Written from the providers' documented formats (Postmark's webhook pages, one
JSON object per POST with its ``RecordType``; Twilio's status callback and
incoming-message parameters, form-encoded), with our own values. The
signatures are computed here as each provider documents them, with keys made
for the test; :mod:`test_parse` also checks Twilio's own published example.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from relationclient import samples
from relationclient.composer import Composer
from relationclient.events import BasicAuth

#: The sample shop's id, its French customer and her mobile, as the tests meet them.
SHOP = "maison-lumiere.fr"
CUSTOMER = "camille.dupont@example.fr"
MOBILE = "+33612345678"
#: The sample shop's composer, able to send marketing (its unsubscribe link configured).
COMPOSER = Composer(
    samples.shop(),
    unsubscribe_url=samples.UNSUBSCRIBE_URL,
    unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
)

POSTMARK_AUTH = BasicAuth("postmark-hooks", "Zq7-postmark-webhook-password")
TWILIO_TOKEN = "f3a9c1d27b8e4d6a9c0b1e2f3a4b5c6d"
TWILIO_ACCOUNT = "AC0123456789abcdef0123456789abcdef"
SHOP_NUMBER = "+33757000111"


# -- Postmark -----------------------------------------------------------------------------
def postmark_bounce(
    email: str,
    *,
    message_id: str = "883953f4-6105-42a2-a16a-77a8eac79483",
    key: str | None = None,
    kind: str = "HardBounce",
    type_code: int = 1,
    bounce_id: int = 4323372036854775807,
    inactive: bool = True,
    at: str = "2026-03-10T10:15:42.2735393+01:00",
) -> dict[str, Any]:
    """A Bounce webhook (``RecordType: Bounce``)."""
    return {
        "RecordType": "Bounce",
        "ID": bounce_id,
        "Type": kind,
        "TypeCode": type_code,
        "Name": "Hard bounce" if kind == "HardBounce" else kind,
        "Tag": "order_confirmation",
        "MessageID": message_id,
        "Metadata": {"idempotency_key": key} if key else {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "commandes@maison-lumiere.fr",
        "BouncedAt": at,
        "DumpAvailable": True,
        "Inactive": inactive,
        "CanActivate": True,
        "Subject": "Commande n° ML-2026-10482 confirmée",
        "Content": "",
    }


def postmark_delivery(
    email: str, *, message_id: str, key: str | None = None, at: str = "2026-03-10T09:01:13Z"
) -> dict[str, Any]:
    """A Delivery webhook."""
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": email,
        "Tag": "order_confirmation",
        "DeliveredAt": at,
        "Details": "Test delivery webhook details",
        "Metadata": {"idempotency_key": key} if key else {},
    }


def postmark_spam_complaint(
    email: str, *, message_id: str, key: str | None = None
) -> dict[str, Any]:
    """A SpamComplaint webhook (a bounce record of type SpamComplaint)."""
    body = postmark_bounce(email, message_id=message_id, key=key, kind="SpamComplaint")
    body.update(RecordType="SpamComplaint", TypeCode=100001, Name="Spam complaint", ID=42)
    body["Description"] = "The subscriber explicitly marked this message as spam."
    return body


def postmark_open(email: str, *, message_id: str, key: str | None = None) -> dict[str, Any]:
    """An Open webhook (first open)."""
    return {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "Metadata": {"idempotency_key": key} if key else {},
        "FirstOpen": True,
        "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5)",
        "Geo": {"CountryISOCode": "FR", "Country": "France", "City": "Lyon"},
        "MessageID": message_id,
        "ReceivedAt": "2026-03-10T09:20:00.123Z",
        "Tag": "order_confirmation",
        "Recipient": email,
    }


def postmark_click(email: str, *, message_id: str, key: str | None = None) -> dict[str, Any]:
    """A Click webhook."""
    return {
        "RecordType": "Click",
        "MessageStream": "outbound",
        "Metadata": {"idempotency_key": key} if key else {},
        "ClickLocation": "HTML",
        "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
        "Platform": "Desktop",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5)",
        "OriginalLink": "https://maison-lumiere.fr/suivi/ML-2026-10482",
        "Geo": {"CountryISOCode": "FR", "Country": "France", "City": "Lyon"},
        "MessageID": message_id,
        "ReceivedAt": "2026-03-10T09:21:00Z",
        "Tag": "order_confirmation",
        "Recipient": email,
    }


def postmark_subscription_change(
    email: str,
    *,
    message_id: str | None,
    suppress: bool = True,
    reason: str | None = "ManualSuppression",
    origin: str = "Recipient",
) -> dict[str, Any]:
    """A SubscriptionChange webhook (an unsubscribe through Postmark's link, by default)."""
    return {
        "RecordType": "SubscriptionChange",
        "MessageID": message_id,
        "ServerID": 23,
        "MessageStream": "broadcast",
        "ChangedAt": "2026-03-10T11:00:00Z",
        "Recipient": email,
        "Origin": origin,
        "SuppressSending": suppress,
        "SuppressionReason": reason,
        "Tag": "delivery_check",
        "Metadata": {},
    }


def postmark_body(payload: dict[str, Any] | list[dict[str, Any]]) -> bytes:
    return json.dumps(payload).encode()


def postmark_headers(auth: BasicAuth = POSTMARK_AUTH) -> dict[str, str]:
    """What Postmark sends for a webhook URL with credentials in it."""
    token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    return {
        "Content-Type": "application/json",
        "User-Agent": "Postmark",
        "Authorization": f"Basic {token}",
    }


# -- Twilio -------------------------------------------------------------------------------
def twilio_status(
    sid: str, to: str, status: str, *, error: str | None = None, sender: str = SHOP_NUMBER
) -> dict[str, str]:
    """A status callback's parameters."""
    fields = {
        "AccountSid": TWILIO_ACCOUNT,
        "ApiVersion": "2010-04-01",
        "From": sender,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": to,
    }
    if error is not None:
        fields["ErrorCode"] = error
    return fields


def twilio_inbound(
    sid: str, sender: str, body: str, *, to: str = SHOP_NUMBER, opt_out_type: str | None = None
) -> dict[str, str]:
    """An incoming message's parameters (the customer texting our number)."""
    fields = {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FR",
        "To": to,
        "MessagingServiceSid": "MG0123456789abcdef0123456789abcdef",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    if opt_out_type is not None:
        fields["OptOutType"] = opt_out_type
    return fields


def twilio_signature(url: str, fields: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    """``X-Twilio-Signature`` as Twilio documents it: HMAC-SHA1 of the URL and sorted fields."""
    signed = url + "".join(name + fields[name] for name in sorted(fields))
    return base64.b64encode(
        hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    ).decode()


def twilio_request(
    url: str, fields: dict[str, str], token: str = TWILIO_TOKEN
) -> tuple[dict[str, str], bytes]:
    """The headers and form body Twilio POSTs to ``url``."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": hashlib.sha256(json.dumps(fields).encode()).hexdigest(),
        "X-Twilio-Signature": twilio_signature(url, fields, token),
    }
    return headers, urlencode(fields).encode()
