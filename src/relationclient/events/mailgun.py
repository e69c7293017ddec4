"""Mailgun's webhooks: one event per POST, signed with the account's webhook signing key.

What Mailgun documents (the user manual at https://documentation.mailgun.com:
*Webhooks → Securing Webhooks* and *Webhook Payloads*; *Events → Event
Structure* and *Event Types*):

* One JSON object per POST: ``signature`` and ``event-data``. (The legacy
  form-encoded webhooks are not read.)
* **Security**: ``signature`` holds ``timestamp`` (Unix seconds), ``token``
  (50 random characters) and ``signature``: the hex HMAC-SHA256, keyed by the
  account's *HTTP webhook signing key*, of the timestamp followed by the
  token. For a subaccount's domain, ``parent-signature`` is the same made with
  the primary account's key; either is accepted. ``secret`` is that key (or
  several, while rotating). Mailgun advises refusing a timestamp far from
  now and a token seen before: the signature does not cover ``event-data``,
  so a captured signature could carry another event. A timestamp more than
  :attr:`MailgunParser.max_age` away is refused, and so is a token seen
  within that time with another body (the same body again is a retry, which
  the outbox records once anyway). The tokens are remembered by each parser —
  by each process of the apps — not across processes.
* ``event-data``: ``event``, ``timestamp`` (Unix seconds, with a fraction),
  ``id`` (the event's id, "unique within a day": with the timestamp, our
  event id), ``recipient``, ``message.headers.message-id`` (the id the send
  answered with, without its angle brackets: our
  :class:`~relationclient.transports.Receipt` keeps them, so they are added
  back), ``message.headers.from``, ``user-variables`` (our
  :class:`~relationclient.transports.MailgunTransport` sends
  ``v:idempotency_key``), and for failures ``severity``, ``reason`` and
  ``delivery-status`` (``code``, ``message``, ``description``).
* Events: ``delivered``; ``failed`` with ``severity`` ``temporary`` (Mailgun
  retries: deferred) or ``permanent`` (a hard bounce — except ``reason``
  ``old``, retried until Mailgun gave up, a soft one, and ``suppress-complaint``
  and ``suppress-unsubscribe``, not sent because the address complained or
  unsubscribed before); ``complained``, ``unsubscribed``, ``opened``,
  ``clicked`` (``url``). ``accepted``, ``rejected`` (Mailgun refused the
  send itself: our transport was told so), ``stored`` and the rest give no
  event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, ClassVar

from ..errors import ConfigurationError
from .base import EventParser, Payload
from .event import Event, EventType

__all__ = ["MailgunParser"]

SIMPLE = {
    "delivered": EventType.DELIVERED,
    "complained": EventType.COMPLAINED,
    "unsubscribed": EventType.UNSUBSCRIBED,
    "opened": EventType.OPENED,
    "clicked": EventType.CLICKED,
}
#: Permanent failures that are not a hard bounce: what they are instead.
PERMANENT_REASONS: dict[str, tuple[EventType, bool]] = {
    "old": (EventType.BOUNCED, False),
    "suppress-complaint": (EventType.COMPLAINED, False),
    "suppress-unsubscribe": (EventType.UNSUBSCRIBED, False),
}
#: The most tokens remembered at once (the oldest are forgotten first).
MAX_TOKENS = 100_000


class MailgunParser(EventParser):
    """Mailgun's webhooks, checked by the HMAC signature of their timestamp and token."""

    name: ClassVar[str] = "mailgun"
    secret_help: ClassVar[str] = (
        "the HTTP webhook signing key (Sending → Webhooks), or [current, previous] while rotating"
    )
    #: The most a signed timestamp may be away from now (either way, for clock skew).
    max_age: ClassVar[timedelta] = timedelta(minutes=5)

    def __init__(self, secret: Any, **options: Any) -> None:
        super().__init__(secret, **options)
        self._tokens: OrderedDict[str, tuple[bytes, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def check_secret(self, secret: Any) -> list[bytes]:
        """One signing key, or several."""
        keys = [secret] if isinstance(secret, str) else secret
        if (
            not isinstance(keys, Sequence)
            or not keys
            or not all(isinstance(k, str) and k for k in keys)
        ):
            raise ConfigurationError(f"mailgun webhooks are checked with {self.secret_help}")
        return [k.encode() for k in keys]

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """The signature in the body, a recent timestamp, a token not replayed."""
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.unreadable(f"the body is not JSON ({exc})")
        signed = data.get("signature") if isinstance(data, dict) else None
        if not isinstance(signed, dict):
            self.refuse("no 'signature' object in the body")
        timestamp, token = str(signed.get("timestamp", "")), str(signed.get("token", ""))
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12 or not token:
            self.refuse("the signature has no timestamp (Unix seconds) and token")
        now = self.clock()
        signed_at = datetime.fromtimestamp(int(timestamp), UTC)
        if abs(now - signed_at) > self.max_age:
            self.refuse(f"signed at {signed_at.isoformat()}, too far from now (a replay?)")
        names = ("signature", "parent-signature")
        given = [str(signed[name]).encode() for name in names if signed.get(name)]
        if not given:
            self.refuse("the signature object has no signature")
        message = (timestamp + token).encode()
        # Every key against every signature given: the time taken tells nothing.
        matches = [
            hmac.compare_digest(hmac.new(key, message, hashlib.sha256).hexdigest().encode(), sig)
            for key in self.secret
            for sig in given
        ]
        if not any(matches):
            self.refuse("the signature does not match (wrong webhook signing key?)")
        self._remember(token, hashlib.sha256(body).digest(), now)

    def _remember(self, token: str, digest: bytes, now: datetime) -> None:
        """Refuse ``token`` seen recently with another body; remember it until it expires."""
        with self._lock:
            while self._tokens:
                oldest, (_, seen_at) = next(iter(self._tokens.items()))
                if now - seen_at <= self.max_age * 2 and len(self._tokens) < MAX_TOKENS:
                    break
                del self._tokens[oldest]
            seen = self._tokens.get(token)
            if seen is not None and not hmac.compare_digest(seen[0], digest):
                self.refuse("this token was used before, with another payload (a replay)")
            if seen is None:
                self._tokens[token] = (digest, now)

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """The ``event-data`` of the body to its event, by ``event``."""
        data = item.get("event-data")
        if not isinstance(data, dict):
            self.unreadable("missing, or not an object", "event-data")
        name = self._text(data, "event").lower()
        if name in SIMPLE:
            return [self._event(data, SIMPLE[name])]
        if name != "failed":
            return []  # accepted, stored, list events, what Mailgun adds later
        severity = self._text(data, "severity").lower()
        if severity == "temporary":
            return [self._event(data, EventType.DEFERRED)]
        reason = (self._optional(data, "reason") or "").lower()
        kind, hard = PERMANENT_REASONS.get(reason, (EventType.BOUNCED, True))
        return [self._event(data, kind, hard=hard)]

    def _event(self, data: Payload, kind: EventType, *, hard: bool = False) -> Event:
        message_id = self._optional(data, "message.headers.message-id")
        if message_id is not None and not message_id.startswith("<"):
            message_id = f"<{message_id}>"
        variables = data.get("user-variables")
        key = variables.get("idempotency_key") if isinstance(variables, dict) else None
        when = data.get("timestamp")
        occurred_at = self.instant({"event-data.timestamp": when}, "event-data.timestamp")
        status = data.get("delivery-status")
        status = status if isinstance(status, dict) else {}
        parts = [
            str(value)
            for value in (
                data.get("severity"),
                data.get("reason"),
                status.get("code"),
                status.get("message"),
                status.get("description"),
                data.get("url"),
            )
            if value not in (None, "")
        ]
        event_id = self._text(data, "id")
        return Event(
            type=kind,
            hard=hard,
            channel="email",
            recipient=self._text(data, "recipient"),
            provider=self.name,
            provider_message_id=message_id,
            idempotency_key=key if isinstance(key, str) and key else None,
            occurred_at=occurred_at,
            description=" — ".join(dict.fromkeys(parts)),
            raw=data,
            event_id=f"{event_id}@{occurred_at.timestamp():.6f}",
            shop_address=self._sender(data),
        )

    def _sender(self, data: Payload) -> str | None:
        """The shop's address: the message's From, else the envelope's sender."""
        sender = parseaddr(self._optional(data, "message.headers.from") or "")[1]
        return sender or self._optional(data, "envelope.sender")

    def _value(self, data: Payload, path: str) -> Any:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _text(self, data: Payload, path: str) -> str:
        """``event-data``'s field at ``path`` (dotted), errors naming ``event-data.<path>``."""
        field = f"event-data.{path}"
        return self.text({field: self._value(data, path)}, field)

    def _optional(self, data: Payload, path: str) -> str | None:
        field = f"event-data.{path}"
        return self.optional_text({field: self._value(data, path)}, field)
