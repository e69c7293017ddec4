"""The outbox's asyncio path: the stores :meth:`~.Outbox.aput` and :meth:`~.Outbox.adispatch` use.

Two ways to reach the database without blocking the event loop, behind one
small interface (:class:`AsyncStore`):

* PostgreSQL: :class:`~.postgres.AsyncPostgresStore`, psycopg 3's
  :class:`psycopg.AsyncConnection`, running the very plans the sync store runs
  (:data:`~.store.Plan`): one copy of the statements and of what is made of
  their rows.
* SQLite: :class:`ThreadedStore`, the outbox's sync store called from a
  worker thread (:func:`asyncio.to_thread`). :mod:`sqlite3` has no async
  interface, and a SQLite statement is a local file operation of
  milliseconds: a thread is the honest way to keep it off the loop.

Cancellation never reaches into a database operation: :func:`to_completion`
lets an operation that started finish (each is one short transaction), then
tells the caller it was cancelled, so the outbox can release what it claimed
or record what it got before raising :class:`asyncio.CancelledError`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from ..errors import ConfigurationError
from .entry import OutboxEntry
from .store import NewEntry, Outcome, Store
from .suppression import Suppression

if TYPE_CHECKING:
    import threading

__all__ = ["AsyncStore", "ThreadedStore", "pairs", "to_completion"]

T = TypeVar("T")


class AsyncStore(Protocol):
    """The operations of the asyncio path; each one committed transaction, like :class:`Store`'s."""

    async def ensure_schema(self) -> None:
        """Create or upgrade the tables if needed (once)."""
        ...

    async def insert(
        self, new: NewEntry, connection: object | None = None
    ) -> tuple[OutboxEntry, bool]:
        """:meth:`Store.insert`."""
        ...

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """:meth:`Store.claim`."""
        ...

    async def suppressions_for(self, entries: Sequence[OutboxEntry]) -> list[Suppression]:
        """:meth:`Store.suppressions_for`."""
        ...

    async def renew(self, held: Sequence[tuple[int, int]], lease_seconds: float) -> set[int]:
        """:meth:`Store.renew` (``lease_seconds=0`` releases the leases now)."""
        ...

    async def record(self, now: datetime, outcomes: Sequence[Outcome]) -> set[int]:
        """:meth:`Store.record`."""
        ...

    async def aclose(self) -> None:
        """Close the connection."""
        ...

    def clone(self) -> AsyncStore:
        """A store of its own for one more worker (its own connection where it has one)."""
        ...

    def abandon(self) -> None:
        """Drop the connection without awaiting (its event loop is gone)."""
        ...


class ThreadedStore:
    """The outbox's own sync :class:`Store`, called from a worker thread: SQLite's async path.

    Args:
        main: Returns the outbox's connection with its tables ready (called in
            the worker thread, under ``lock``), given the shop's connection
            when a ``put`` joins it.
        lock: The outbox's lock, which every use of that connection holds.
    """

    def __init__(self, main: Callable[[object | None], Store], lock: threading.RLock) -> None:
        self._main = main
        self._lock = lock

    def _locked(self, call: Callable[[Store], T], connection: object | None = None) -> T:
        with self._lock:
            try:
                return call(self._main(connection))
            except sqlite3.ProgrammingError as exc:
                if connection is None or "thread" not in str(exc):
                    raise
                raise ConfigurationError(
                    "outbox on SQLite: aput(connection=…) uses the shop's connection from "
                    "the outbox's worker thread; open it with sqlite3.connect(…, "
                    "check_same_thread=False)"
                ) from exc

    async def _run(self, call: Callable[[Store], T], connection: object | None = None) -> T:
        return await asyncio.to_thread(self._locked, call, connection)

    async def ensure_schema(self) -> None:
        """Create or upgrade the tables if needed, in the worker thread."""
        await self._run(lambda store: None)

    async def insert(
        self, new: NewEntry, connection: object | None = None
    ) -> tuple[OutboxEntry, bool]:
        """:meth:`Store.insert` in the worker thread (the shop's SQLite connection too)."""
        return await self._run(lambda store: store.insert(new, connection), connection)

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """:meth:`Store.claim` in the worker thread."""
        return await self._run(
            lambda store: store.claim(owner, now, lease_seconds, limit, max_bytes, key)
        )

    async def suppressions_for(self, entries: Sequence[OutboxEntry]) -> list[Suppression]:
        """:meth:`Store.suppressions_for` in the worker thread."""
        return await self._run(lambda store: store.suppressions_for(entries))

    async def renew(self, held: Sequence[tuple[int, int]], lease_seconds: float) -> set[int]:
        """:meth:`Store.renew` in the worker thread."""
        return await self._run(lambda store: store.renew(held, lease_seconds))

    async def record(self, now: datetime, outcomes: Sequence[Outcome]) -> set[int]:
        """:meth:`Store.record` in the worker thread."""
        return await self._run(lambda store: store.record(now, outcomes))

    async def aclose(self) -> None:
        """Nothing of its own to close: the connection is the outbox's (``Outbox.close``)."""

    def clone(self) -> ThreadedStore:
        """Itself: SQLite has one writer at a time, whichever connection writes."""
        return self

    def abandon(self) -> None:
        """Nothing of its own to drop."""


async def to_completion(work: Awaitable[T]) -> tuple[T, bool]:
    """Run ``work`` to its end even if the caller is cancelled meanwhile.

    Returns:
        ``work``'s result, and whether the caller was cancelled while it ran:
        the caller then tidies up and raises :class:`asyncio.CancelledError`
        itself. An exception of ``work`` propagates.
    """
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    cancelled = False
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():  # the work itself was cancelled (the loop is closing)
                raise
            cancelled = True
            if not task.done():
                continue
            result = task.result()
        return result, cancelled


def pairs(entries: Sequence[OutboxEntry]) -> list[tuple[int, int]]:
    """``(id, lease token)`` of each entry: what renewals and releases are fenced by."""
    return [(entry.id, entry.lease_token) for entry in entries]
