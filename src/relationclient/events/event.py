"""What a provider tells us about a message after it left: an :class:`Event` of a type.

Every provider names things its own way — Postmark's ``HardBounce``, Twilio's
``undelivered`` with error 30006, SendGrid's ``bounce`` of type ``blocked`` —
and the parsers (:mod:`relationclient.events.base`) translate them into this
one vocabulary, which the outbox records and its suppression list obeys.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ..messages import Channel

__all__ = ["Event", "EventType"]


class EventType(StrEnum):
    """What happened to a message, in the providers' common words.

    Only some of them change what the outbox sends (see
    :doc:`/events`): a hard bounce and a complaint stop every later email to
    that address; an unsubscribe stops marketing email; a STOP (``opted_out``)
    stops marketing SMS; a START (``opted_in``) lifts it; an SMS hard bounce (a
    number that cannot receive SMS) stops every later SMS to that number.
    """

    #: The receiving server (or the handset's network) accepted it.
    DELIVERED = "delivered"
    #: Delayed: the provider keeps trying.
    DEFERRED = "deferred"
    #: The receiving side refused it; ``hard`` says the address or number
    #: cannot receive at all (unknown mailbox, landline, number not in service).
    BOUNCED = "bounced"
    #: The recipient marked it as spam.
    COMPLAINED = "complained"
    #: The recipient unsubscribed (a provider's link or a list-unsubscribe).
    UNSUBSCRIBED = "unsubscribed"
    #: The recipient opened it (a tracking pixel, or an SMS/RCS read receipt).
    OPENED = "opened"
    #: The recipient clicked a tracked link.
    CLICKED = "clicked"
    #: The provider could not send it (dropped, refused on its side, an error
    #: of its own): not a verdict on the address.
    FAILED = "failed"
    #: The recipient texted STOP (or another opt-out keyword).
    OPTED_OUT = "opted_out"
    #: The recipient texted START (or another opt-in keyword) after a STOP.
    OPTED_IN = "opted_in"


class Event(BaseModel):
    """One delivery event, as a provider reported it, in the common vocabulary.

    Attributes:
        type: What happened (:class:`EventType`).
        hard: For a bounce: the address or number cannot receive at all.
        channel: ``"email"`` or ``"sms"``.
        recipient: The address or E.164 number the event is about (for an
            inbound STOP, the number that texted it).
        provider: The parser's name: ``"postmark"``, ``"twilio"``…
        provider_message_id: The provider's id of the message, as the
            :class:`~relationclient.transports.Receipt` of the send holds it.
        idempotency_key: The message's key, when the provider echoes it (the
            metadata our transports send), or when the outbox found the entry.
        occurred_at: When it happened, by the provider's clock; when the
            provider gives no time (Twilio), when we received it.
        description: The provider's explanation (``550 5.1.1 unknown user``,
            ``30006: landline or unreachable carrier``).
        raw: The provider's payload for this event, as received.
        event_id: The provider's own id for this event, when it gives one, or
            what names it uniquely (see :attr:`dedup_key`).
        shop_address: The shop's side of the conversation: the sender of the
            message the event is about, or the number an inbound STOP was
            texted to. It tells apart the shops of one provider account.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: EventType
    hard: bool = False
    channel: Channel
    recipient: str = Field(min_length=1, max_length=320)
    provider: str = Field(min_length=1, max_length=40)
    provider_message_id: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=128)
    occurred_at: AwareDatetime
    description: str = ""
    raw: dict[str, Any] = Field(default_factory=dict)
    event_id: str | None = Field(default=None, max_length=200)
    shop_address: str | None = Field(default=None, max_length=320)

    @property
    def dedup_key(self) -> str:
        """What makes two deliveries of this event one: recorded once, whatever the retries.

        The provider's event id when there is one; else the provider, the
        message id, the type and the time. A 32-digit hash of those, so the
        key has one length whatever the provider's ids.
        """
        if self.event_id is not None:
            parts = [self.provider, "id", self.event_id]
        else:
            instant = self.occurred_at.timestamp()
            parts = [
                self.provider,
                self.provider_message_id or self.recipient,
                self.type.value,
                f"{instant:.6f}",
            ]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
