"""Brevo's (formerly Sendinblue) transactional webhooks: email events, and SMS events.

What Brevo documents (https://developers.brevo.com/docs/transactional-webhooks,
…/docs/secured-webhooks and …/docs/batched-webhooks):

* One JSON object per event, or with ``batched`` webhooks a JSON array of
  them. Email and SMS webhooks are separate (``channel`` ``email`` or ``sms``
  when created): two parsers, ``brevo`` and ``brevo-sms``, two paths.
* **Security**: Brevo does not sign its webhooks. It documents basic
  authentication with the credentials in the URL
  (``https://username:password@example.com/…``), or a bearer token given
  when the webhook is created (``"auth": {"type": "bearer", "token": …}``),
  sent as ``Authorization: Bearer …``; and its IP ranges. ``secret`` is the
  credentials (:class:`~relationclient.events.BasicAuth`, a pair,
  ``"user:password"``) or the token (:class:`BearerToken`, or a string
  without a colon).
* **Email** events: ``event`` — ``request`` (sent to Brevo), ``delivered``,
  ``deferred``, ``soft_bounce``, ``hard_bounce``, ``invalid_email``,
  ``blocked`` (Brevo did not send it: a blocklisted contact or sender),
  ``error``, ``spam`` (a complaint), ``unsubscribed``, ``opened``,
  ``unique_opened`` (first opening), ``proxy_open``, ``unique_proxy_open``,
  ``click`` — with ``email`` (the recipient), ``message-id`` (the id the send
  answered with), ``X-Mailin-custom`` (the header of that name: our
  :class:`~relationclient.transports.BrevoEmailTransport` puts the
  idempotency key there), ``tags``, ``reason`` (a bounce's or block's),
  ``link`` (a click's), ``sender_email``, ``subject``, and the times:
  ``ts_epoch`` (milliseconds, UTC; the one Brevo keeps in UTC whatever the
  account's time zone), ``ts_event`` and ``ts`` (seconds), ``date``
  (CET/CEST). ``id`` is the webhook's, not the event's: a retry is known by
  its provider, message, type and time.
* **SMS** events: ``msg_status`` — ``sent``, ``accepted``, ``delivered``,
  ``soft_bounce``, ``hard_bounce``, ``replied`` (with ``reply``, the text),
  ``unsubscribe`` (the recipient replied STOP: Brevo unsubscribes them),
  ``subscribe``, ``skip``, ``rejected`` — with ``to`` (the recipient, digits
  with the country code), ``messageId`` (the number the send answered with),
  ``tag`` (the send's ``tag``, one or a list: our
  :class:`~relationclient.transports.BrevoSmsTransport` sends the idempotency
  key), ``type``, ``reference``, ``description``, ``error_code``,
  ``bounce_type``, ``ts_event`` (seconds, UTC) and ``date`` (CET/CEST).

Hard bounces are ``hard_bounce`` and ``invalid_email`` (an address that cannot
exist). A reply that is exactly STOP (or another opt-out keyword, see
:mod:`.vonage`) is a STOP even when Brevo sends no ``unsubscribe`` of its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ..errors import ConfigurationError
from .base import BasicAuth, EventParser, Payload
from .event import Event, EventType
from .vonage import KEYWORD_EVENTS, e164, keyword_of

__all__ = ["BearerToken", "BrevoParser", "BrevoSmsParser"]

#: Brevo's ``date`` fields are written in Paris time (CET/CEST).
BREVO_TIME = ZoneInfo("Europe/Paris")
#: Email events by name, ``_`` dropped (Brevo writes ``hard_bounce``, subscribes ``hardBounce``).
EMAIL_EVENTS = {
    "delivered": EventType.DELIVERED,
    "deferred": EventType.DEFERRED,
    "softbounce": EventType.BOUNCED,
    "hardbounce": EventType.BOUNCED,
    "invalidemail": EventType.BOUNCED,
    "blocked": EventType.FAILED,
    "error": EventType.FAILED,
    "spam": EventType.COMPLAINED,
    "complaint": EventType.COMPLAINED,
    "unsubscribed": EventType.UNSUBSCRIBED,
    "unsubscribe": EventType.UNSUBSCRIBED,
    "opened": EventType.OPENED,
    "uniqueopened": EventType.OPENED,
    "proxyopen": EventType.OPENED,
    "uniqueproxyopen": EventType.OPENED,
    "click": EventType.CLICKED,
}
HARD_EMAIL = frozenset({"hardbounce", "invalidemail"})
#: SMS statuses by name, ``_`` dropped; ``replied`` depends on the reply.
SMS_EVENTS = {
    "delivered": EventType.DELIVERED,
    "softbounce": EventType.BOUNCED,
    "hardbounce": EventType.BOUNCED,
    "unsubscribe": EventType.OPTED_OUT,
    "unsubscribed": EventType.OPTED_OUT,
    "subscribe": EventType.OPTED_IN,
    "subscribed": EventType.OPTED_IN,
    "skip": EventType.FAILED,
    "rejected": EventType.FAILED,
}


@dataclass(frozen=True)
class BearerToken:
    """The token of a Brevo webhook created with ``"auth": {"type": "bearer", …}``."""

    token: str = field(repr=False)


class _Brevo(EventParser):
    """Brevo's credentials: basic auth in the URL, or a bearer token."""

    secret_help: ClassVar[str] = (
        "the basic-auth credentials in the webhook URL (BasicAuth(username, password)) "
        "or the webhook's bearer token (BearerToken(token))"
    )

    def check_secret(self, secret: Any) -> BasicAuth | BearerToken:
        """Credentials as :meth:`BasicAuth.of` takes them, or a token."""
        if isinstance(secret, BearerToken) and secret.token:
            return secret
        if isinstance(secret, str) and secret and ":" not in secret:
            return BearerToken(secret)
        try:
            return BasicAuth.of(secret, self.name)
        except ConfigurationError:
            raise ConfigurationError(
                f"{self.name} webhooks are checked with {self.secret_help}"
            ) from None

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """``Authorization`` must carry the credentials, or ``Bearer`` and the token."""
        if isinstance(self.secret, BasicAuth):
            self.check_basic_auth(headers, self.secret)
            return
        given = headers.get("authorization", "")
        if not given:
            self.refuse("no Authorization header", challenge='Bearer realm="webhooks"')
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer":
            self.refuse(f"Authorization is {scheme!r}, not Bearer")
        if not hmac.compare_digest(token.strip().encode(), self.secret.token.encode()):
            self.refuse("wrong bearer token")

    def _key(self, value: object) -> str | None:
        """Our idempotency key from a header or tag we sent: text, or the first of a list."""
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, str) and v), None)
        return value if isinstance(value, str) and 0 < len(value) <= 128 else None

    def _seconds(self, item: Payload, fields: tuple[str, ...]) -> datetime | None:
        """The first of ``fields`` present, in Unix seconds (or milliseconds: ``ts_epoch``)."""
        for name in fields:
            value = item.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                self.unreadable(f"expected a number, got {type(value).__name__}", name)
            # ts_epoch is documented in milliseconds; Brevo's own sample writes seconds.
            seconds = value / 1000 if value > 100_000_000_000 else value
            return self.instant({name: seconds}, name)
        return None

    def _paris(self, item: Payload, name: str) -> datetime:
        """``date``, written ``YYYY-MM-DD HH:MM:SS`` in Paris time."""
        text = self.text(item, name)
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BREVO_TIME)
        except ValueError:
            self.unreadable(f"{text!r} is not a 'YYYY-MM-DD HH:MM:SS' time", name)


class BrevoParser(_Brevo):
    """Brevo's transactional email webhooks."""

    name: ClassVar[str] = "brevo"

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """One Brevo email event to ours, by ``event``."""
        word = self.text(item, "event").lower().replace("_", "")
        kind = EMAIL_EVENTS.get(word)
        if kind is None:
            return []  # request (sent to Brevo), or an event about no delivery
        when = self._seconds(item, ("ts_epoch", "ts_event", "ts"))
        parts = [
            self.optional_text(item, "event"),
            self.optional_text(item, "reason"),
            self.optional_text(item, "link"),
        ]
        return [
            Event(
                type=kind,
                hard=word in HARD_EMAIL,
                channel="email",
                recipient=self.text(item, "email"),
                provider=self.name,
                provider_message_id=self.optional_text(item, "message-id"),
                idempotency_key=self._key(item.get("X-Mailin-custom")),
                occurred_at=when if when is not None else self._paris(item, "date"),
                description=" — ".join(p for p in parts if p),
                raw=item,
                shop_address=self.optional_text(item, "sender_email"),
            )
        ]


class BrevoSmsParser(_Brevo):
    """Brevo's transactional SMS webhooks, replies and unsubscriptions included."""

    name: ClassVar[str] = "brevo-sms"

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """One Brevo SMS event to ours, by ``msg_status``."""
        status = self.text(item, "msg_status").lower().replace("_", "")
        kind = SMS_EVENTS.get(status)
        reply = self.optional_text(item, "reply")
        if status in ("replied", "reply"):
            kind = KEYWORD_EVENTS.get(keyword_of(reply or ""))
        if kind is None:
            return []  # sent, accepted: on the way; an ordinary reply: not a delivery event
        when = self._seconds(item, ("ts_event",))
        message_id = self.optional_text(item, "messageId") or self.optional_text(item, "message_id")
        parts = [
            self.text(item, "msg_status"),
            self.optional_text(item, "description"),
            self.optional_text(item, "bounce_type"),
            f"error {item['error_code']}" if item.get("error_code") else None,
            f"replied {reply!r}" if reply else None,
        ]
        return [
            Event(
                type=kind,
                hard=status == "hardbounce",
                channel="sms",
                recipient=e164(self.text(item, "to")),
                provider=self.name,
                provider_message_id=message_id,
                idempotency_key=self._key(item.get("tag")),
                occurred_at=when if when is not None else self._paris(item, "date"),
                description=" — ".join(p for p in parts if p),
                raw=item,
            )
        ]
