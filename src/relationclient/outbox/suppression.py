"""The per-shop suppression list: who must not receive what, and which events put them there.

A :class:`Suppression` says that one shop must not send, on one channel, to
one recipient: anything at all (``scope="all"``: a hard bounce, a spam
complaint, a number that cannot receive SMS) or marketing only
(``scope="marketing"``: an unsubscribe, an SMS STOP — transactional SMS
still go, as French rules allow). :func:`effect_of` is the whole rule book,
in one place: which :class:`~relationclient.events.Event` adds or lifts
which suppression. The outbox obeys the list at ``put`` and again at send
time (:mod:`.outbox`), and records the events (:mod:`.store`).

Addresses are compared in lower case, numbers as E.164; a message without a
``shop_id`` has the list of "no shop" (``shop_id=None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..events.event import Event, EventType
from ..messages import Channel, Purpose

__all__ = [
    "REASONS",
    "RecordReport",
    "Scope",
    "Suppression",
    "effect_of",
    "normal_recipient",
]

Scope = Literal["all", "marketing"]
"""What a suppression stops: every message on its channel, or marketing ones only."""

#: How each reason reads in ``last_error`` and the CLI.
REASONS: dict[str, str] = {
    "bounced": "hard bounce",
    "complained": "spam complaint",
    "unsubscribed": "unsubscribed",
    "opted_out": "texted STOP",
    "manual": "added by hand",
}


def normal_recipient(channel: str, recipient: str) -> str:
    """``recipient`` as the list stores it: addresses in lower case, numbers as they are."""
    recipient = recipient.strip()
    return recipient.lower() if channel == "email" else recipient


@dataclass(frozen=True)
class Suppression:
    """One line of a shop's suppression list.

    Attributes:
        shop_id: The shop whose messages it stops (None: messages without one).
        channel: ``"email"`` or ``"sms"``.
        recipient: The address (lower case) or E.164 number.
        scope: ``"all"`` or ``"marketing"`` (see :data:`Scope`).
        reason: ``bounced``, ``complained``, ``unsubscribed``, ``opted_out``,
            ``manual``, or a word of the shop's own.
        description: The provider's words, or the shop's note.
        provider: The provider whose event added it; None when added by hand.
        created_at: Since when (UTC).
    """

    shop_id: str | None
    channel: Channel
    recipient: str
    scope: Scope
    reason: str
    description: str
    provider: str | None
    created_at: datetime

    def applies_to(self, purpose: Purpose) -> bool:
        """Whether it stops a message of this purpose."""
        return self.scope == "all" or purpose == "marketing"

    def explain(self) -> str:
        """One line for ``last_error``: what, whose, since when, and the provider's words."""
        what = REASONS.get(self.reason, self.reason)
        stops = "all messages" if self.scope == "all" else "marketing"
        source = f" reported by {self.provider}" if self.provider else ""
        text = (
            f"suppressed: {self.recipient} is on the suppression list for {self.channel} "
            f"({stops}): {what}{source} on {self.created_at.date().isoformat()}"
        )
        return f"{text} — {self.description}" if self.description else text


def effect_of(event: Event) -> tuple[Literal["add", "lift"], Scope, str] | None:
    """What ``event`` does to the list: add (with a scope and a reason), lift, or nothing.

    * a hard bounce — an address or number that cannot receive — stops everything
      on that channel (``all``, ``bounced``); a soft one does nothing;
    * a spam complaint stops everything on that channel (``all``, ``complained``);
    * an unsubscribe stops marketing on that channel (``marketing``, ``unsubscribed``);
    * a STOP stops marketing SMS (``marketing``, ``opted_out``): transactional SMS
      (a shipment notice) still go;
    * a START lifts what a STOP (or an unsubscribe) put on that channel — the
      marketing line; never a bounce or a complaint.
    """
    if event.type is EventType.BOUNCED and event.hard:
        return "add", "all", "bounced"
    if event.type is EventType.COMPLAINED:
        return "add", "all", "complained"
    if event.type is EventType.UNSUBSCRIBED:
        return "add", "marketing", "unsubscribed"
    if event.type is EventType.OPTED_OUT:
        return "add", "marketing", "opted_out"
    if event.type is EventType.OPTED_IN:
        return "lift", "marketing", "opted_in"
    return None


@dataclass(frozen=True)
class RecordReport:
    """What one :meth:`~relationclient.outbox.Outbox.record_events` call did, in one transaction.

    Attributes:
        recorded: Events stored for the first time.
        duplicates: Events stored before (a provider's retry): left alone,
            their effects not applied twice.
        attached: Recorded events that found their outbox entry (by
            idempotency key or provider message id).
        suppressed: Lines added to suppression lists.
        lifted: Lines taken off (by a START).
    """

    recorded: int = 0
    duplicates: int = 0
    attached: int = 0
    suppressed: int = 0
    lifted: int = 0
