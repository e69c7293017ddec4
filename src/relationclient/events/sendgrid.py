"""SendGrid's Event Webhook: batches of delivery and engagement events, signed with ECDSA.

What SendGrid documents (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
and .../getting-started-event-webhook-security-features):

* **Security** (the Signed Event Webhook): SendGrid signs each POST with a
  private key of its own; ``X-Twilio-Email-Event-Webhook-Signature`` is the
  Base64 of an ECDSA signature (P-256, SHA-256, ASN.1 DER) over the
  ``X-Twilio-Email-Event-Webhook-Timestamp`` header (Unix seconds) followed by
  the raw body. The verification key shown under *Mail Settings → Event
  Webhook* is the public key, Base64 of its DER (SubjectPublicKeyInfo): that
  is ``secret``. The check is ``cryptography``'s, from the ``webhooks`` extra.
  SendGrid gives no freshness window; a timestamp more than
  :attr:`SendGridParser.max_age` away from now is refused, as a replay.
* One POST is a JSON array of events (SendGrid batches them, up to about a
  thousand). Each has ``event``, ``email`` (the recipient), ``timestamp``
  (Unix seconds), ``sg_event_id`` (unique per event, "for deduplication")
  and ``sg_message_id``: the ``X-Message-Id`` the send answered with (our
  :class:`~relationclient.transports.Receipt`'s ``message_id``) followed by a
  suffix of SendGrid's own (``.filter…``, ``.recvd-…``), which is cut off here.
  The send's ``custom_args`` come back as top-level fields: our
  :class:`~relationclient.transports.SendGridTransport` sends
  ``idempotency_key``.
* Delivery events: ``processed`` (accepted, on its way: no event here),
  ``delivered`` and ``deferred`` (``response``, ``attempt``), ``bounce`` with
  ``type`` ``bounce`` (the receiving server refused the address for good: a
  hard bounce, which SendGrid puts on its bounce list; an event without
  ``type`` is one too) or ``blocked`` (refused for a reason of the message or
  the sender, not the address: a soft one, as is any other ``type``), with
  ``reason``, ``status`` and ``bounce_classification``; ``dropped``
  (SendGrid did not send it), whose ``reason`` names SendGrid's own lists —
  ``Bounced Address``, ``Invalid`` (an address that cannot receive),
  ``Spam Reporting Address``, ``Unsubscribed Address`` — or another cause of
  its own.
* Engagement events: ``open`` (``sg_machine_open`` for an open by a mail
  privacy proxy), ``click`` (``url``), ``spamreport``, ``unsubscribe``,
  ``group_unsubscribe`` (``asm_group_id``); ``group_resubscribe`` gives no
  event: it lifts one group only, not what an unsubscribe put on our list.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..errors import ConfigurationError
from .base import EventParser, Payload
from .event import Event, EventType

__all__ = ["SendGridParser"]

SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature"
TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp"
_EXTRA = (
    "SendGrid's signed webhooks are checked with cryptography: "
    "pip install 'relationclient[webhooks]'"
)
#: What SendGrid appends to the ``X-Message-Id`` in ``sg_message_id``.
_SUFFIX = re.compile(r"\.(?:filter|recvd)")
#: ``dropped`` reasons naming a list SendGrid keeps, and what they mean for ours.
DROP_REASONS: dict[str, tuple[EventType, bool]] = {
    "bounced address": (EventType.BOUNCED, True),
    "invalid": (EventType.BOUNCED, True),
    "spam reporting address": (EventType.COMPLAINED, False),
    "unsubscribed address": (EventType.UNSUBSCRIBED, False),
}
#: The fields that explain an event, in the order told, with their labels.
DESCRIBED = (
    ("type", "type "),
    ("status", ""),
    ("reason", ""),
    ("response", ""),
    ("bounce_classification", "classified "),
    ("attempt", "attempt "),
    ("url", ""),
    ("asm_group_id", "unsubscribe group "),
)
#: Events read as one type each.
SIMPLE = {
    "delivered": EventType.DELIVERED,
    "deferred": EventType.DEFERRED,
    "open": EventType.OPENED,
    "click": EventType.CLICKED,
    "spamreport": EventType.COMPLAINED,
    "unsubscribe": EventType.UNSUBSCRIBED,
    "group_unsubscribe": EventType.UNSUBSCRIBED,
}


def _cryptography() -> Any:
    """The pieces of ``cryptography`` the check uses, or a :class:`ConfigurationError`."""
    try:
        from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError as exc:
        raise ConfigurationError(f"{_EXTRA} ({exc})") from exc
    return (InvalidSignature, UnsupportedAlgorithm), hashes, serialization, ec


class SendGridParser(EventParser):
    """SendGrid's Event Webhook, checked by its ECDSA signature with the account's public key."""

    name: ClassVar[str] = "sendgrid"
    secret_help: ClassVar[str] = (
        "the Signed Event Webhook's verification key: the public key, Base64 of its DER, "
        "as Mail Settings → Event Webhook shows it"
    )
    #: The most a signed timestamp may be away from now (either way, for clock skew).
    max_age: ClassVar[timedelta] = timedelta(minutes=5)

    def check_secret(self, secret: Any) -> Any:
        """The public key: Base64 DER as SendGrid shows it, a PEM, or a loaded P-256 key."""
        (_, unsupported), _, serialization, ec = _cryptography()
        key = secret
        if isinstance(secret, bytes | str):
            text = secret.decode() if isinstance(secret, bytes) else secret
            try:
                if "-----BEGIN" in text:
                    key = serialization.load_pem_public_key(text.encode())
                else:
                    der = base64.b64decode("".join(text.split()), validate=True)
                    key = serialization.load_der_public_key(der)
            except (ValueError, binascii.Error, TypeError, unsupported) as exc:
                message = f"sendgrid: not a public key ({exc}); {self._help}"
                raise ConfigurationError(message) from None
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise ConfigurationError(f"sendgrid: not a P-256 (ECDSA) public key; {self._help}")
        return key

    @property
    def _help(self) -> str:
        return f"sendgrid webhooks are checked with {self.secret_help}"

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """A recent timestamp, and the ECDSA signature of it followed by the body."""
        (invalid_signature, _), hashes, _, ec = _cryptography()
        signature = headers.get(SIGNATURE_HEADER, "").strip()
        timestamp = headers.get(TIMESTAMP_HEADER, "").strip()
        if not signature or not timestamp:
            self.refuse("no X-Twilio-Email-Event-Webhook-Signature and -Timestamp headers")
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
            self.refuse(f"the timestamp {timestamp[:20]!r} is not Unix seconds")
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
        if abs(self.clock() - signed_at) > self.max_age:
            self.refuse(f"signed at {signed_at.isoformat()}, too far from now (a replay?)")
        try:
            der = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            self.refuse("the signature is not valid base64")
        try:
            self.secret.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        except invalid_signature:
            self.refuse("the signature does not match (wrong verification key, or altered body)")

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """One SendGrid event to ours, by ``event``."""
        name = self.text(item, "event").lower()
        if name in SIMPLE:
            return [self._event(item, SIMPLE[name])]
        if name == "bounce":
            kind = (self.optional_text(item, "type") or "bounce").lower()
            return [self._event(item, EventType.BOUNCED, hard=kind == "bounce")]
        if name == "dropped":
            reason = (self.optional_text(item, "reason") or "").lower()
            kind, hard = DROP_REASONS.get(reason, (EventType.FAILED, False))
            return [self._event(item, kind, hard=hard)]
        return []  # processed, group_resubscribe, account events, what SendGrid adds later

    def _event(self, item: Payload, kind: EventType, *, hard: bool = False) -> Event:
        message_id = self.optional_text(item, "sg_message_id")
        if message_id is not None:
            suffix = _SUFFIX.search(message_id)
            message_id = message_id[: suffix.start()] if suffix else message_id.partition(".")[0]
        key = item.get("idempotency_key")
        return Event(
            type=kind,
            hard=hard,
            channel="email",
            recipient=self.text(item, "email"),
            provider=self.name,
            provider_message_id=message_id,
            idempotency_key=key if isinstance(key, str) and key else None,
            occurred_at=self.instant(item, "timestamp"),
            description=self._description(item),
            raw=item,
            event_id=self.optional_text(item, "sg_event_id"),
        )

    def _description(self, item: Payload) -> str:
        parts = [
            f"{label}{item[name]}"
            for name, label in DESCRIBED
            if item.get(name) is not None and item.get(name) != ""
        ]
        if item.get("sg_machine_open") is True:
            parts.append("opened by a mail privacy proxy")
        return " — ".join(parts)
