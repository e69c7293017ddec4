"""What the outbox hands back: :class:`OutboxEntry` (one stored message), :class:`DispatchReport`.

Both are plain frozen dataclasses: snapshots of the database at the moment they
were read, safe to pass around, never live views.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from ..messages import Channel, Email, MailMessage, Message, Sms
from ..transports.base import Receipt

__all__ = ["STATES", "DispatchReport", "OutboxEntry", "State"]

State = Literal["queued", "sending", "sent", "dead", "suppressed"]
"""Where an entry stands.

``queued``
    Waiting for its ``not_before``, or due and waiting for a dispatcher.
``sending``
    Claimed by a dispatcher, which renews its lease while it sends; if
    ``lease_until`` passes without a result or a renewal (the dispatcher
    crashed or froze), the entry goes back to ``queued``.
``sent``
    A provider accepted it; ``receipt`` says which and when.
``dead``
    Refused for good, or out of attempts; ``last_error`` says why. Only
    :meth:`~relationclient.outbox.Outbox.requeue` brings it back.
``suppressed``
    Never sent: its recipient is on the shop's suppression list (a hard
    bounce, a complaint, an unsubscribe, a STOP…), found at ``put`` or at
    send time; ``last_error`` says which entry of the list and since when.
    :meth:`~relationclient.outbox.Outbox.requeue` of the entry sends it once
    the suppression is lifted.
"""

STATES: tuple[State, ...] = ("queued", "sending", "sent", "dead", "suppressed")


@dataclass(frozen=True)
class OutboxEntry:
    """One message the outbox holds, as the database had it when read.

    Attributes:
        id: The row's number, increasing in the order of ``put``.
        idempotency_key: The message's key; unique in the outbox.
        channel: ``"email"`` or ``"sms"``.
        kind: The message kind (``"order_confirmation"``…).
        recipient: The email address or E.164 number.
        state: ``queued``, ``sending``, ``sent``, ``dead`` or ``suppressed``
            (see :data:`State`).
        attempts: Sends tried since the entry was stored or last requeued,
            including one in flight.
        not_before: The entry is not sent before this instant (UTC): a delay
            asked at ``put``, quiet hours, or the backoff after a failure.
        lease_until: While ``sending``, when the dispatcher's claim lapses unless
            renewed — an instant of the database's clock, not of any process's.
        last_error: Why the last attempt failed: the provider's code and text;
            for a ``suppressed`` entry, the suppression that stopped it.
        receipt: The provider's receipt, once ``sent``.
        created_at: When the entry was stored (UTC).
        updated_at: When the entry last changed (UTC).
        message_json: The message as stored (JSON); see :attr:`message`.
        lease_token: The fencing token: raised by one at every claim. A
            dispatcher records a result only while the entry still bears the
            token its claim returned, so one that lost its lease (frozen, cut
            off from the database) writes nothing over the next owner's work.
        size: The bytes of ``message_json``; a claim takes entries up to a
            total size (``dispatch(batch_bytes=…)``).
        pinned_to: The transport (``error.transport``) that may hold the
            message after an attempt whose outcome nobody knows (a timeout once
            the data left, an HTTP 502 or 504): later attempts go through that
            transport only, never failed over. None otherwise.
        shop_id: The message's ``shop_id``: whose suppression list applies.
        provider_message_id: The provider's id of the message once sent (the
            receipt's ``message_id``): how delivery events that do not echo
            the idempotency key find the entry.
    """

    id: int
    idempotency_key: str
    channel: Channel
    kind: str
    recipient: str
    state: State
    attempts: int
    not_before: datetime
    lease_until: datetime | None
    last_error: str | None
    receipt: Receipt | None
    created_at: datetime
    updated_at: datetime
    message_json: str = field(repr=False)
    lease_token: int = 0
    size: int = 0
    pinned_to: str | None = None
    shop_id: str | None = None
    provider_message_id: str | None = None

    @cached_property
    def message(self) -> Message:
        """The stored :class:`~relationclient.Email`, :class:`~relationclient.Sms` or mail, parsed.

        A ``django_mail`` entry holds a :class:`~relationclient.messages.MailMessage`.

        It is the very message given to ``put``: same fields, same
        ``idempotency_key``, hence the same ``Message-ID`` on every attempt.
        """
        if self.channel == "sms":
            return Sms.model_validate_json(self.message_json)
        if self.kind == "django_mail":
            return MailMessage.model_validate_json(self.message_json)
        return Email.model_validate_json(self.message_json)


def receipt_to_json(receipt: Receipt) -> str:
    """The stored form of a receipt (its key and recipient are the entry's own)."""
    return json.dumps(
        {
            "message_id": receipt.message_id,
            "transport": receipt.transport,
            "accepted_at": receipt.accepted_at.isoformat(),
            "raw": receipt.raw,
        },
        default=str,
        ensure_ascii=False,
    )


def receipt_from_json(text: str | None, idempotency_key: str, recipient: str) -> Receipt | None:
    """The :class:`Receipt` stored by :func:`receipt_to_json`, or None."""
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    return Receipt(
        message_id=data["message_id"],
        transport=data["transport"],
        idempotency_key=idempotency_key,
        recipient=recipient,
        accepted_at=datetime.fromisoformat(data["accepted_at"]),
        raw=data.get("raw"),
    )


@dataclass(frozen=True)
class DispatchReport:
    """What one :meth:`~relationclient.outbox.Outbox.dispatch` call did.

    Attributes:
        claimed: Entries claimed (each counts once per claim).
        sent: Entries a provider accepted, recorded as sent.
        retried: Entries that failed transiently and wait for their backoff.
        dead: Entries refused for good or out of attempts.
        deferred: Entries held back by quiet hours at send time, not counted
            as an attempt.
        elapsed: Seconds the call took.
        lost: Entries whose lease passed to another dispatcher before their
            result was recorded (this one froze or lost the database for
            longer than the lease): their result was not recorded, the new
            owner's stands. Zero while dispatchers stay alive and connected.
        suppressed: Entries not sent because their recipient is on the shop's
            suppression list (not counted as an attempt).
    """

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    elapsed: float = 0.0
    lost: int = 0
    suppressed: int = 0

    @property
    def per_second(self) -> float:
        """Entries sent per second of :attr:`elapsed`."""
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0
