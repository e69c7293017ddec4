"""Postmark's webhooks: bounces, deliveries, spam complaints, opens, clicks, subscription changes.

What Postmark documents (https://postmarkapp.com/developer/webhooks/webhooks-overview
and the page of each webhook):

* One JSON object per POST, its kind in ``RecordType``: ``Bounce``,
  ``Delivery``, ``SpamComplaint``, ``Open``, ``Click``, ``SubscriptionChange``
  (``Inbound`` is inbound mail, not ours). Times are ISO 8601, with up to
  seven digits of fraction. ``MessageID`` is the id the send answered with
  (our :class:`~relationclient.transports.Receipt`'s ``message_id``) and
  ``Metadata`` the metadata sent with the message — our
  :class:`~relationclient.transports.PostmarkTransport` sends
  ``{"idempotency_key": …}``.
* **Security**: Postmark does not sign webhooks. It documents HTTP basic
  authentication — credentials in the webhook URL,
  ``https://<username>:<password>@example.com/webhook`` — and HTTPS (and
  firewalls open to its IP ranges). ``secret`` is those credentials.
* Bounce (and SpamComplaint, a bounce record too): ``ID`` (the bounce's id,
  our event id), ``Type`` / ``TypeCode`` (``HardBounce`` 1, ``Transient`` 2,
  ``SoftBounce`` 4096, ``BadEmailAddress`` 100000, ``SpamComplaint``
  100001…), ``Email``, ``From``, ``BouncedAt``, ``Description``, ``Details``,
  ``Inactive`` (Postmark deactivated the address: it sends there no more).
* Delivery: ``Recipient``, ``DeliveredAt``, ``Details``. Open: ``Recipient``,
  ``ReceivedAt``, ``FirstOpen``. Click: ``Recipient``, ``ReceivedAt``,
  ``OriginalLink``. SubscriptionChange: ``Recipient``, ``ChangedAt``,
  ``SuppressSending`` (true: suppressed, false: reactivated),
  ``SuppressionReason`` (``HardBounce``, ``SpamComplaint``,
  ``ManualSuppression`` — which an unsubscribe through Postmark's own link
  is, with ``Origin`` ``Recipient``).

Hard bounces are ``HardBounce`` and ``BadEmailAddress``, and any bounce after
which Postmark made the address inactive. Bounce types that say nothing about
delivery (an auto-responder, an address-change notice, a subscribe request, a
challenge, an open-relay test, an inbound error) give no event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .base import BasicAuth, EventParser, Payload
from .event import Event, EventType

__all__ = ["PostmarkParser"]

#: Bounce types after which the address cannot receive.
HARD_TYPES = frozenset({"HardBounce", "BadEmailAddress"})
#: Bounce types that are not about delivery at all.
INFORMATIONAL_TYPES = frozenset(
    {
        "AutoResponder",
        "AddressChange",
        "Subscribe",
        "ChallengeVerification",
        "OpenRelayTest",
        "InboundError",
    }
)
#: Bounce types that are Postmark's own failure to send, not the receiver's answer.
FAILURE_TYPES = frozenset({"SMTPApiError", "TemplateRenderingFailed"})


class PostmarkParser(EventParser):
    """Postmark's webhooks, checked by the basic-auth credentials of the webhook URL."""

    name: ClassVar[str] = "postmark"
    secret_help: ClassVar[str] = (
        "the basic-auth credentials in the webhook URL: BasicAuth(username, password)"
    )

    def check_secret(self, secret: Any) -> BasicAuth:
        """Credentials, as :meth:`BasicAuth.of` takes them."""
        return BasicAuth.of(secret, self.name)

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """The ``Authorization: Basic …`` header must carry the credentials."""
        self.check_basic_auth(headers, self.secret)

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """One Postmark record to its event, by ``RecordType``."""
        record = item.get("RecordType") or ("Bounce" if "BouncedAt" in item else None)
        if record in ("Bounce", "SpamComplaint"):
            return self._bounce(item, record)
        if record == "Delivery":
            return [self._event(item, EventType.DELIVERED, "DeliveredAt", "Recipient")]
        if record == "Open":
            return [self._event(item, EventType.OPENED, "ReceivedAt", "Recipient")]
        if record == "Click":
            return [self._event(item, EventType.CLICKED, "ReceivedAt", "Recipient")]
        if record == "SubscriptionChange":
            return self._subscription(item)
        if record is None:
            self.unreadable("missing", "RecordType")
        return []  # Inbound mail, or a record type Postmark adds later: not a delivery event

    def _bounce(self, item: Payload, record: str) -> list[Event]:
        kind = self.text(item, "Type")
        if record == "SpamComplaint" or kind == "SpamComplaint":
            return [self._event(item, EventType.COMPLAINED, "BouncedAt", "Email")]
        if kind in INFORMATIONAL_TYPES:
            return []
        if kind == "Unsubscribe":
            return [self._event(item, EventType.UNSUBSCRIBED, "BouncedAt", "Email")]
        if kind in FAILURE_TYPES:
            return [self._event(item, EventType.FAILED, "BouncedAt", "Email")]
        hard = kind in HARD_TYPES or item.get("Inactive") is True
        return [self._event(item, EventType.BOUNCED, "BouncedAt", "Email", hard=hard)]

    def _subscription(self, item: Payload) -> list[Event]:
        suppress = item.get("SuppressSending")
        if not isinstance(suppress, bool):
            self.unreadable("expected true or false", "SuppressSending")
        if not suppress:
            return [self._event(item, EventType.OPTED_IN, "ChangedAt", "Recipient")]
        reason = self.optional_text(item, "SuppressionReason")
        if reason == "HardBounce":
            return [self._event(item, EventType.BOUNCED, "ChangedAt", "Recipient", hard=True)]
        if reason == "SpamComplaint":
            return [self._event(item, EventType.COMPLAINED, "ChangedAt", "Recipient")]
        return [self._event(item, EventType.UNSUBSCRIBED, "ChangedAt", "Recipient")]

    def _event(
        self, item: Payload, kind: EventType, when: str, recipient: str, *, hard: bool = False
    ) -> Event:
        metadata = item.get("Metadata")
        key = metadata.get("idempotency_key") if isinstance(metadata, dict) else None
        bounce_id = self.optional_text(item, "ID") if "BouncedAt" in item else None
        parts = [
            self.optional_text(item, name)
            for name in ("Description", "Details", "SuppressionReason", "OriginalLink")
        ]
        return Event(
            type=kind,
            hard=hard,
            channel="email",
            recipient=self.text(item, recipient),
            provider=self.name,
            provider_message_id=self.optional_text(item, "MessageID"),
            idempotency_key=key if isinstance(key, str) and key else None,
            occurred_at=self.instant(item, when),
            description=" — ".join(p for p in parts if p),
            raw=item,
            event_id=None if bounce_id is None else f"bounce:{bounce_id}",
            shop_address=self.optional_text(item, "From"),
        )
