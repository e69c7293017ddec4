"""Renewing leases while a dispatch sends: a :class:`Heartbeat` thread per dispatch.

A claim gives the dispatcher its entries for one lease (``lease_seconds`` by
the database's clock). A send may take longer — a provider that stalls, an
SMTP server slow to say 250, a large batch over a distant link — and an entry
whose lease lapsed mid-send would be claimed and sent again by another
dispatcher. So while a dispatch holds entries, a heartbeat pushes their leases
on every third of a lease, each renewal conditioned on the entry still bearing
the claim's token. Two renewals can fail in a row and the lease still holds.

A dispatcher that dies stops beating with it, and its entries come back once
the last renewal's lease runs out. One frozen or cut off from the database for
longer than a lease loses its entries to the next claim; the renewal then
finds the token changed and stops, and the dispatcher's late results are not
recorded (see :meth:`~relationclient.outbox.store.Store.record`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence

from .entry import OutboxEntry

__all__ = ["Heartbeat"]

logger = logging.getLogger("relationclient.outbox")

#: Renews ``(entry id, lease token)`` pairs; returns the ids still held.
Renew = Callable[[Sequence[tuple[int, int]]], set[int]]


class Heartbeat:
    """Keeps the leases of the entries a dispatch holds alive, from a background thread.

    Args:
        renew: Renews the leases of ``(id, token)`` pairs, in one transaction on
            a connection of its own; returns the ids it renewed.
        interval: Seconds between two renewals (a third of the lease).

    The thread starts with the first :meth:`hold` and ends at :meth:`stop`;
    renewal errors (the database briefly unreachable) are logged and the next
    beat tries again.
    """

    def __init__(self, renew: Renew, interval: float) -> None:
        self._renew = renew
        self.interval = interval
        self._held: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        #: Ids of the entries whose lease went to another dispatcher while held.
        self.lost: set[int] = set()
        #: How many renewals ran (for tests and logs).
        self.beats = 0

    def hold(self, entries: Iterable[OutboxEntry]) -> None:
        """Keep the leases of ``entries`` (just claimed) alive until :meth:`release`."""
        with self._lock:
            for entry in entries:
                self._held[entry.id] = entry.lease_token
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="outbox-lease-heartbeat", daemon=True
                )
                self._thread.start()

    def release(self, entries: Iterable[OutboxEntry]) -> None:
        """Stop renewing ``entries`` (their results are recorded, or given up)."""
        with self._lock:
            for entry in entries:
                self._held.pop(entry.id, None)

    def stop(self) -> None:
        """End the thread, after the renewal in progress if any."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            with self._lock:
                held = list(self._held.items())
            if not held:
                continue
            try:
                renewed = self._renew(held)
            except Exception:
                logger.warning(
                    "outbox: renewing the leases of %d entries failed; next try in %.1f s",
                    len(held),
                    self.interval,
                    exc_info=True,
                )
                continue
            self.beats += 1
            with self._lock:
                # Released meanwhile (recorded) is not lost: only what is still held.
                lost = {i for i, token in held if i not in renewed and self._held.get(i) == token}
                for entry_id in lost:
                    del self._held[entry_id]
                self.lost |= lost
            if lost:
                logger.warning(
                    "outbox: %d entries were claimed by another dispatcher while this one "
                    "was sending them (it lost the database or froze for longer than the "
                    "lease); their results will not be recorded",
                    len(lost),
                )
