"""Mailjet's Event API: sends, bounces, blocks, spam complaints, unsubscribes, opens, clicks.

What Mailjet documents (https://dev.mailjet.com/email/guides/webhooks/, "Event
API: real-time notifications", and the Event Tracking API article of its help
centre):

* One JSON object per POST; with the endpoint's ``Version`` set to 2
  ("grouping events") a JSON array of the events of the last second, of mixed
  types. Any answer but ``200`` makes Mailjet try again later.
* **Security**: Mailjet does not sign its events. It recommends an HTTPS URL
  with basic authentication, the credentials in the URL
  (``https://username:password@www.example.com/…``). ``secret`` is those
  credentials.
* Every event carries ``event`` (``sent``, ``open``, ``click``, ``bounce``,
  ``spam``, ``blocked``, ``unsub``), ``time`` (Unix seconds), ``email`` (the
  recipient), ``mj_campaign_id``, ``mj_contact_id``, ``customcampaign``,
  ``MessageID`` (the number the Send API answered with: our
  :class:`~relationclient.transports.Receipt`'s ``message_id``),
  ``Message_GUID`` (its ``MessageUUID``), ``CustomID`` (the send's
  ``CustomID``: our :class:`~relationclient.transports.MailjetTransport` puts
  the idempotency key there) and ``Payload`` (the send's ``EventPayload``).
* ``sent`` — the receiving server accepted the message: ``smtp_reply``, and
  ``mj_message_id``, the deprecated text form of ``MessageID`` (the grouped
  sample carries only that one).
* ``bounce``: ``hard_bounce`` (true: a permanent error), ``blocked`` (true:
  Mailjet now blocks the recipient), ``error_related_to``, ``error``,
  ``comment``. ``blocked`` — Mailjet did not send it at all:
  ``error_related_to`` and ``error``. ``spam``: ``source`` (the feedback loop
  that reported it). ``unsub``: ``mj_list_id``, ``ip``, ``geo``, ``agent``.
  ``open``: ``ip``, ``geo``, ``agent``. ``click``: ``url`` too.

Mailjet's table of errors says which blocks are about the address: ``user
unknown`` (it does not exist), ``mailbox inactive``, ``invalid domain``, and
``preblocked`` (the address recently or repeatedly bounced, so Mailjet did not
try). Those are hard bounces; any other block (content or sender refused as
spam, a duplicate in a campaign, Mailjet's own trouble) is a failure that says
nothing about the address. Mailjet gives no id of its own to an event: a retry
is known by its provider, message, type and time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from .base import BasicAuth, EventParser, Payload
from .event import Event, EventType

__all__ = ["MailjetParser"]

#: ``error`` values of a ``blocked`` event that say the address cannot receive.
HARD_BLOCKS = frozenset({"user unknown", "mailbox inactive", "invalid domain", "preblocked"})
#: Events that map one to one.
SIMPLE = {
    "sent": EventType.DELIVERED,
    "open": EventType.OPENED,
    "click": EventType.CLICKED,
    "spam": EventType.COMPLAINED,
    "unsub": EventType.UNSUBSCRIBED,
}


class MailjetParser(EventParser):
    """Mailjet's Event API, checked by the basic-auth credentials of the endpoint URL."""

    name: ClassVar[str] = "mailjet"
    secret_help: ClassVar[str] = (
        "the basic-auth credentials in the endpoint URL: BasicAuth(username, password)"
    )

    def check_secret(self, secret: Any) -> BasicAuth:
        """Credentials, as :meth:`BasicAuth.of` takes them."""
        return BasicAuth.of(secret, self.name)

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """The ``Authorization: Basic …`` header must carry the credentials."""
        self.check_basic_auth(headers, self.secret)

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """One Mailjet event to ours, by ``event``."""
        kind = self.text(item, "event").lower()
        if kind in SIMPLE:
            return [self._event(item, SIMPLE[kind])]
        if kind == "bounce":
            hard = item.get("hard_bounce")
            if not isinstance(hard, bool):
                self.unreadable("expected true or false", "hard_bounce")
            return [self._event(item, EventType.BOUNCED, hard=hard)]
        if kind == "blocked":
            error = (self.optional_text(item, "error") or "").lower()
            if error in HARD_BLOCKS:
                return [self._event(item, EventType.BOUNCED, hard=True)]
            return [self._event(item, EventType.FAILED)]
        return []  # an event type Mailjet adds later: not one we track

    def _event(self, item: Payload, kind: EventType, *, hard: bool = False) -> Event:
        related = self.optional_text(item, "error_related_to")
        error = self.optional_text(item, "error")
        parts = [
            f"{related}: {error}" if related and error else error,
            self.optional_text(item, "comment"),
            self.optional_text(item, "smtp_reply"),
            self.optional_text(item, "source"),
            self.optional_text(item, "url"),
        ]
        return Event(
            type=kind,
            hard=hard,
            channel="email",
            recipient=self.text(item, "email"),
            provider=self.name,
            provider_message_id=self._message_id(item),
            idempotency_key=self._key(item),
            occurred_at=self.instant(item, "time"),
            description=" — ".join(p for p in parts if p),
            raw=item,
        )

    def _message_id(self, item: Payload) -> str | None:
        """``MessageID``, else the deprecated ``mj_message_id``, else ``Message_GUID``."""
        for field in ("MessageID", "mj_message_id", "Message_GUID"):
            value = self.optional_text(item, field)
            if value is not None and value != "0":
                return value
        return None

    def _key(self, item: Payload) -> str | None:
        """Our idempotency key: the ``CustomID`` we sent, or an ``EventPayload`` naming it."""
        custom = self.optional_text(item, "CustomID")
        if custom is not None:
            return custom if len(custom) <= 128 else None
        payload = item.get("Payload")
        if isinstance(payload, str) and payload.startswith("{"):
            try:
                decoded = json.loads(payload)
            except json.JSONDecodeError:
                return None
            key = decoded.get("idempotency_key") if isinstance(decoded, dict) else None
            if isinstance(key, str) and 0 < len(key) <= 128:
                return key
        return None
