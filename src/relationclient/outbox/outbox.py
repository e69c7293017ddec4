"""The :class:`Outbox`: store a message first, send it later, record what happened, durably.

The life of an entry::

    put ──▶ queued ──claim──▶ sending ──accepted──▶ sent
     │        ▲                  │
     │        │  transient       ├──refused for good, or out of attempts──▶ dead
     │        └──(backoff)───────┤                                           │
     │        └──lease expired───┘  (the dispatcher died)                    │
     │        └──────────────────────────── requeue ◀────────────────────────┘
     │                           │
     └──recipient on the list────┴──────────────────────────▶ suppressed

Every arrow is one committed transaction. A message goes out between the
claim and the record. While it does, a :class:`~.heartbeat.Heartbeat` renews
the lease (by the database's clock), however long the provider takes, so no
other live dispatcher claims the entry; and the record is fenced by the
claim's lease token, so a dispatcher that lost its lease anyway (frozen, cut
off from the database) writes nothing over the next owner's work.

A dispatcher killed after the provider accepted but before the record commits
leaves the entry ``sending``; when its lease lapses another dispatcher sends
it again — the one duplicate the design allows, carrying the same
``Message-ID`` so receivers can drop it. The same holds for a transient
failure after which nobody knows whether the provider took the message (a
timeout once the data left, an HTTP 502 or 504: ``accepted=None``): it is
retried through the same transport — never failed over to another — since a
copy with the same ``Message-ID`` is better than a loss.

Delivery events (:mod:`relationclient.events`) come back through
:meth:`Outbox.record_events`, which feeds the per-shop suppression list
(:mod:`.suppression`); ``put`` and ``dispatch`` obey it, recording a stopped
entry as ``suppressed`` with the reason rather than sending it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeAlias, cast

from pydantic import ValidationError

from ..errors import ConfigurationError, TransportError
from ..events.event import Event
from ..messages import Channel, Email, MailMessage, Message, Sms
from ..transports.base import (
    AsyncTransport,
    BaseTransport,
    Receipt,
    Transport,
    each_result,
    refused_whole,
)
from ..transports.failover import FailoverTransport
from ..transports.retry import RetryPolicy
from .aio import AsyncStore, ThreadedStore, pairs, to_completion
from .entry import STATES, DispatchReport, OutboxEntry, State, receipt_to_json
from .heartbeat import Heartbeat
from .quiet_hours import DEFAULT_QUIET_HOURS, QuietHours
from .store import NewEntry, Outcome, Store, lapsed, store_opener
from .suppression import RecordReport, Scope, Suppression, normal_recipient

if TYPE_CHECKING:
    import sqlite3

    import psycopg

    ShopConnection: TypeAlias = sqlite3.Connection | psycopg.Connection[Any]

__all__ = ["DEFAULT_BATCH_BYTES", "DEFAULT_RETRY", "DEFAULT_URL", "Outbox"]

logger = logging.getLogger("relationclient.outbox")

DEFAULT_URL = "sqlite:///relationclient-outbox.sqlite3"
"""The embedded default: a SQLite file in the current directory."""

DEFAULT_RETRY = RetryPolicy(attempts=10, base=30.0, cap=3600.0)
"""Ten tries over several hours: waits drawn up to 30 s, 1 min, 2 min… capped at 1 h.

An outbox outlives a provider's bad hour, where a transport's own retries
(seconds) do not.
"""

DEFAULT_BATCH_BYTES = 8 * 1024 * 1024
"""8 MiB of stored message per claim: a full batch of ordinary emails (20–60 KB
each), or one message with large attachments at a time.

A message costs many times its stored size while it is sent — the stored JSON,
the parsed message, its MIME bytes, the SMTP library's copies of them. Fifteen
emails with a 12 MB attachment each, claimed together, peaked at 1.3 GB; one
at a time, at 330 MB.
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _reason(error: TransportError) -> str:
    """The provider's code and text, as the error says them."""
    text = str(error)
    if error.code is not None and str(error.code) not in text:
        text = f"{text} (code {error.code})"
    return text


#: What an attempt asks its driver to send: through which transport, which messages.
_Sending: TypeAlias = tuple[Transport, list[Message]]


def _mask(url: str) -> str:
    """``url`` without its password, for ``repr`` and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


class _Budget:
    """How many more entries a dispatch may claim, shared by its worker threads."""

    def __init__(self, limit: int | None) -> None:
        self._left = limit
        self._lock = threading.Lock()

    def take(self, wanted: int) -> int:
        with self._lock:
            if self._left is None:
                return wanted
            granted = min(wanted, self._left)
            self._left -= granted
            return granted

    def give_back(self, unused: int) -> None:
        with self._lock:
            if self._left is not None:
                self._left += unused


@dataclass(frozen=True)
class _Claim:
    """What one claim may take: entries, bytes of stored message, or the one key."""

    size: int
    bytes: int
    key: str | None


@dataclass
class _Tally:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    deferred: int = 0
    lost: int = 0
    suppressed: int = 0

    @classmethod
    def total(cls, parts: Iterable[_Tally]) -> _Tally:
        """The sum of the tallies of several workers."""
        tally = cls()
        for part in parts:
            for name in ("claimed", "sent", "retried", "dead", "deferred", "lost", "suppressed"):
                setattr(tally, name, getattr(tally, name) + getattr(part, name))
        return tally

    def report(self, elapsed: float) -> DispatchReport:
        """The :class:`DispatchReport` of a dispatch that took ``elapsed`` seconds."""
        return DispatchReport(
            claimed=self.claimed,
            sent=self.sent,
            retried=self.retried,
            dead=self.dead,
            deferred=self.deferred,
            lost=self.lost,
            elapsed=elapsed,
            suppressed=self.suppressed,
        )

    def add(self, outcomes: Iterable[Outcome], recorded: set[int]) -> None:
        for outcome in outcomes:
            if outcome.entry_id not in recorded:
                self.lost += 1
            elif outcome.state == "sent":
                self.sent += 1
            elif outcome.state == "dead":
                self.dead += 1
            elif outcome.state == "suppressed":
                self.suppressed += 1
            elif outcome.refund:
                self.deferred += 1
            else:
                self.retried += 1


def _plan_dispatch(
    limit: int | None, workers: int, batch_size: int, batch_bytes: int, key: str | None
) -> tuple[_Budget, _Claim]:
    """The budget and claim size of a dispatch, its arguments checked."""
    if workers < 1 or batch_size < 1 or (limit is not None and limit < 0):
        raise ValueError("workers and batch_size must be at least 1, limit not negative")
    if batch_bytes < 1:
        raise ValueError("batch_bytes must be at least 1")
    return _Budget(1 if key is not None else limit), _Claim(batch_size, batch_bytes, key)


def _owner() -> str:
    """Who claims: host, process and a token of this dispatch worker."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


class Outbox:
    """Durable sending: messages are stored before they are sent, and never lost after.

    Args:
        url: Where the entries live: ``sqlite:///path/to/file.sqlite3`` (the
            embedded default, relative to the working directory;
            ``sqlite:////abs/path`` for an absolute one) or a libpq URL
            ``postgresql://user:password@host:5432/dbname`` (needs the
            ``relationclient[postgres]`` extra). The tables
            (``relationclient_outbox`` and ``relationclient_outbox_schema``)
            are created on first use; they may live in the shop's own database,
            which is what lets :meth:`put` join the shop's transaction.
        retry: When to try a transiently failed entry again, and how many tries
            in all before it is parked as dead.
        lease_seconds: How long a dispatcher owns the entries it claimed, by the
            database's clock, from the claim or the last renewal. A dispatch
            renews its leases every third of this while it sends, so a slow
            provider never loses them; an entry whose dispatcher died goes back
            to the queue at most this long after its last renewal.
        quiet_hours: The policy holding marketing messages out of hours; they are
            deferred (``not_before``), never dropped.
        clock: Returns the current aware datetime; every instant the outbox
            stores comes from it (tests pass a clock they move) — except leases,
            which the database's own clock measures, so that a process whose
            clock is wrong cannot take entries another still holds.
        lock_timeout: Seconds to wait for a database lock another connection
            holds (SQLite's write lock, a PostgreSQL row or table lock) before
            raising :class:`~relationclient.outbox.LockTimeoutError`, which
            says what holds it as far as the database can tell.

    The outbox may be shared by threads. asyncio code uses :meth:`aput`,
    :meth:`adispatch` and :meth:`aclose` (or ``async with``), which never
    block the event loop, beside the sync calls. Other database errors are the
    driver's own (:class:`sqlite3.Error`, :class:`psycopg.Error`), raised as
    they come.

    Raises:
        ConfigurationError: For an unusable URL, or PostgreSQL without psycopg.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        lease_seconds: float = 60.0,
        quiet_hours: QuietHours = DEFAULT_QUIET_HOURS,
        clock: Callable[[], datetime] = _utc_now,
        lock_timeout: float = 10.0,
    ) -> None:
        if lease_seconds <= 0:
            raise ConfigurationError("lease_seconds must be positive")
        if lock_timeout <= 0:
            raise ConfigurationError("lock_timeout must be positive")
        self.url = url
        self.retry = retry
        self.lease_seconds = float(lease_seconds)
        self.lease = timedelta(seconds=lease_seconds)
        self.quiet_hours = quiet_hours
        self.clock = clock
        self.lock_timeout = float(lock_timeout)
        self._open = store_opener(url, self.lock_timeout)
        self._store: Store | None = None
        self._pid = os.getpid()
        self._inherited: list[Store] = []
        self._lock = threading.RLock()
        # The heartbeats' own connection, opened when a send first outlasts a third of
        # a lease; used under its own lock, never while holding self._lock.
        self._renewer: Store | None = None
        self._renewer_pid = os.getpid()
        self._renewer_lock = threading.Lock()
        # SQLite connections a put() wrote through, per thread (see _check_no_open_put).
        self._shop_connections = threading.local()
        # The asyncio path's store, and the event loop it belongs to (see _astore).
        self._async: tuple[asyncio.AbstractEventLoop, AsyncStore] | None = None

    def __repr__(self) -> str:
        return f"Outbox({_mask(self.url)!r})"

    # -- plumbing -------------------------------------------------------------------------
    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ConfigurationError("the outbox clock must return aware datetimes")
        return now.astimezone(UTC)

    def _connected(self) -> Store:
        """The outbox's own connection (call with ``self._lock`` held), made on first use.

        After a fork (a Celery or gunicorn worker) the child opens its own: the
        parent's connection must be neither used nor closed by the child, so it
        is kept aside, untouched.
        """
        if self._store is None or self._pid != os.getpid():
            if self._store is not None:
                self._inherited.append(self._store)
            self._store = self._open()
            self._pid = os.getpid()
        return self._store

    def _main(self, connection: ShopConnection | None = None) -> Store:
        """The connection, with the tables created if missing (``self._lock`` held)."""
        store = self._connected()
        store.ensure_schema(connection)
        return store

    def _reader(self) -> Store | None:
        """The connection if the tables exist (``self._lock`` held); reads never create them."""
        store = self._connected()
        return store if store.ensure_schema(create=False) else None

    def _renew(self, held: Sequence[tuple[int, int]]) -> set[int]:
        """Push on the leases of ``held`` (id, token), for a heartbeat; the ids still ours."""
        with self._renewer_lock:
            if self._renewer is None or self._renewer_pid != os.getpid():
                if self._renewer is not None:
                    self._inherited.append(self._renewer)  # the parent's, after a fork
                with self._lock:
                    main = self._connected()
                self._renewer, self._renewer_pid = main.clone(), os.getpid()
            return self._renewer.renew(held, self.lease_seconds)

    def close(self) -> None:
        """Close the outbox's connections; the next call opens new ones."""
        with self._lock:
            if self._store is not None and self._pid == os.getpid():
                self._store.close()
            self._store = None
        with self._renewer_lock:
            if self._renewer is not None and self._renewer_pid == os.getpid():
                self._renewer.close()
            self._renewer = None
        if self._async is not None:
            self._async[1].abandon()
            self._async = None

    async def aclose(self) -> None:
        """Close the outbox's connections, the asyncio path's too, without blocking the loop."""
        if self._async is not None:
            loop, store = self._async
            self._async = None
            if loop is asyncio.get_running_loop():
                await store.aclose()
            else:
                store.abandon()
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- storing ----------------------------------------------------------------------------
    def put(
        self,
        message: Message,
        *,
        not_before: datetime | None = None,
        connection: ShopConnection | None = None,
    ) -> OutboxEntry:
        """Store ``message`` for sending; nothing is sent here.

        A second ``put`` of a message with the same ``idempotency_key`` stores
        nothing and returns the entry already stored — whatever its state, and
        even if the new message differs: the key says it is the same event.
        Concurrent ``put`` calls of one key store it once (a unique constraint
        decides).

        Marketing messages the quiet-hours policy holds get the instant it gives
        as ``not_before`` (or the later of the two, when one is given).

        A message whose recipient is on its shop's suppression list (for its
        channel, and its purpose: an unsubscribe or a STOP stops marketing
        only) is stored ``suppressed``, with the reason in ``last_error``, and
        never sent.

        Args:
            message: The :class:`~relationclient.Email` or :class:`~relationclient.Sms`.
            not_before: Do not send before this aware datetime.
            connection: The shop's own open connection to the outbox's database
                (a :class:`sqlite3.Connection` or a :class:`psycopg.Connection`).
                The entry is then written in the shop's current transaction, so
                it commits — or rolls back — with the order it belongs to. The
                outbox neither commits nor rolls back that connection.

        Returns:
            The stored entry (``queued``, or ``suppressed``), or the one stored
            earlier under the key.

        Raises:
            TypeError: When ``message`` is not an Email, an Sms or a MailMessage.
            ValueError: When ``not_before`` is naive.
            ConfigurationError: When ``connection`` is not a connection to the
                outbox's database.
        """
        new = self._new_entry(message, not_before)
        with self._lock:
            main = self._main(connection)
            entry, _ = main.insert(new, connection)
        if connection is not None and main.single_writer:
            # Kept while its transaction is open (a sqlite3 connection takes no
            # weak reference): the list is pruned at every put and dispatch.
            held = self._open_shop_transactions()
            if not any(c is connection for c in held):
                held.append(connection)
        return entry

    def _new_entry(self, message: Message, not_before: datetime | None) -> NewEntry:
        """What ``put`` and ``aput`` store for ``message``: checked, due after quiet hours."""
        if not isinstance(message, Email | Sms | MailMessage):
            raise TypeError(
                f"the outbox stores Email and Sms (and MailMessage), not {type(message).__name__}"
            )
        if not_before is not None and (not_before.tzinfo is None or not_before.utcoffset() is None):
            raise ValueError("not_before must be an aware datetime")
        now = self._now()
        hold = self.quiet_hours.hold_until(message, now)
        due = max(d.astimezone(UTC) for d in (now, not_before, hold) if d is not None)
        new = NewEntry(
            idempotency_key=message.idempotency_key,
            channel=message.channel,
            kind=message.kind,
            recipient=message.recipient,
            not_before=due,
            message_json=message.model_dump_json(),
            created_at=now,
            shop_id=message.shop_id,
            sender=message.sender if isinstance(message, Sms) else message.sender.address,
            purpose=message.purpose,
        )
        return new

    def _open_shop_transactions(self) -> list[Any]:
        """This thread's shop connections that joined a ``put`` and have not committed."""
        held: list[Any] = getattr(self._shop_connections, "held", [])
        still = []
        for connection in held:
            try:
                if connection.in_transaction:
                    still.append(connection)
            except Exception:  # closed since (sqlite3.ProgrammingError): nothing held
                continue
        self._shop_connections.held = still
        return still

    def _check_no_open_put(self) -> None:
        """Refuse to dispatch behind this thread's own uncommitted ``put``.

        SQLite has one writer at a time: a shop transaction that ``put`` a
        message holds the write lock until it commits, so a ``dispatch`` from
        the same thread would wait for a commit that cannot come, then fail
        after the busy timeout. Say so at once instead.
        """
        if self._open_shop_transactions():
            raise ConfigurationError(
                "outbox: dispatch() called while this thread's shop transaction that put() "
                "a message is still open; SQLite lets one connection write at a time, so "
                "the dispatch would wait for that commit. Commit first (or dispatch from "
                "a worker)"
            )

    # -- sending ----------------------------------------------------------------------------
    def dispatch(
        self,
        transport: Transport,
        *,
        limit: int | None = None,
        workers: int = 1,
        batch_size: int = 100,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        key: str | None = None,
    ) -> DispatchReport:
        """Send what is due through ``transport``, until nothing due is left (or ``limit``).

        Each round claims due entries under a lease — up to ``batch_size`` of
        them and ``batch_bytes`` of stored message — sends them with one
        ``send_many`` (one connection reused, or a transport's own pool), and
        records every result in one transaction: the receipt of an accepted
        message; for a transient failure, a new ``not_before`` after the retry
        policy's backoff (at least the provider's ``Retry-After``); for a
        permanent failure or the last allowed attempt, ``dead`` with the
        provider's code and text. A marketing message that quiet hours now hold
        (it waited in the queue into the evening) is deferred, its attempt not
        counted.

        While the batch is out, a heartbeat thread renews its leases every
        third of ``lease_seconds``, however long the provider takes; results
        are recorded only while the entries still bear this claim's lease
        token. A failure whose outcome nobody knows (``accepted=None``) is
        retried through the transport that may have the message: with a
        :class:`~relationclient.transports.FailoverTransport`, through that
        child only.

        It is safe to run in several threads, processes and machines at once,
        and to kill at any moment: an entry is claimed by one dispatcher at a
        time, and one whose dispatcher died is sent again once its lease lapses
        — alone, not in a batch, so that a message which itself breaks the
        dispatcher (an unexpected exception rather than a
        :class:`~relationclient.TransportError`) is parked as dead with that
        exception the second time instead of failing its neighbours again.
        Unexpected exceptions propagate; the entries in flight then wait for
        their lease.

        Args:
            transport: Any :class:`~relationclient.transports.Transport`.
            limit: Claim at most this many entries in all (None: no limit).
            workers: Threads sending at once, each with its own database
                connection, all sharing ``transport`` (the built-in transports
                are thread-safe).
            batch_size: Entries claimed, sent and recorded together.
            batch_bytes: At most this many bytes of stored message per claim
                (:data:`DEFAULT_BATCH_BYTES`), so that large attachments cannot
                exhaust memory; an entry larger than that alone is still
                claimed, alone.
            key: Send only the entry stored under this idempotency key, if it
                is due (queued and past its ``not_before``, or held by a
                dispatcher whose lease lapsed) — what a task queue's per-message
                job does. Nothing else is claimed.

        Returns:
            What was done, and how long it took.

        Raises:
            LockTimeoutError: When a database lock stayed held by another
                connection for ``lock_timeout`` seconds.
        """
        budget, claim = _plan_dispatch(limit, workers, batch_size, batch_bytes, key)
        self._check_no_open_put()
        started = time.monotonic()
        with self._lock:
            main = self._main()
        heartbeat = Heartbeat(self._renew, interval=self.lease_seconds / 3)
        try:
            if workers == 1 or key is not None:
                tally = self._work(main, self._lock, transport, budget, claim, heartbeat)
            else:
                with ThreadPoolExecutor(workers, thread_name_prefix="outbox-dispatch") as pool:
                    futures = [
                        pool.submit(self._work_alone, main, transport, budget, claim, heartbeat)
                        for _ in range(workers)
                    ]
                    tally = _Tally.total(future.result() for future in futures)
        finally:
            heartbeat.stop()
        return tally.report(time.monotonic() - started)

    def _work_alone(
        self,
        main: Store,
        transport: Transport,
        budget: _Budget,
        claim: _Claim,
        heartbeat: Heartbeat,
    ) -> _Tally:
        with self._lock:
            store = main.clone()
        try:
            return self._work(store, nullcontext(), transport, budget, claim, heartbeat)
        finally:
            store.close()

    def _work(
        self,
        store: Store,
        lock: AbstractContextManager[Any],
        transport: Transport,
        budget: _Budget,
        claim: _Claim,
        heartbeat: Heartbeat,
    ) -> _Tally:
        """Claim, send, record, until nothing is due or the budget is spent."""
        owner = _owner()
        tally = _Tally()
        while wanted := budget.take(claim.size):
            now = self._now()
            with lock:
                entries = store.claim(
                    owner, now, self.lease_seconds, wanted, claim.bytes, claim.key
                )
                stops = store.suppressions_for(entries)
            budget.give_back(wanted - len(entries))
            if not entries:
                break
            tally.claimed += len(entries)
            heartbeat.hold(entries)
            try:
                outcomes = self._attempt(entries, transport, now, stops)
                with lock:
                    recorded = store.record(self._now(), outcomes)
            finally:
                heartbeat.release(entries)
            tally.add(outcomes, recorded)
        return tally

    def _attempt(
        self,
        entries: Sequence[OutboxEntry],
        transport: Transport,
        now: datetime,
        stops: Sequence[Suppression] = (),
    ) -> list[Outcome]:
        """Send the claimed ``entries``, none that a line of ``stops`` stops; how each ended."""
        plan = self._attempt_plan(entries, transport, now, stops)
        try:
            sending = next(plan)
            while True:
                try:
                    results = each_result(*sending)
                except Exception as exc:
                    sending = plan.throw(exc)
                else:
                    sending = plan.send(results)
        except StopIteration as done:
            outcomes: list[Outcome] = done.value
            return outcomes
        finally:
            plan.close()

    def _attempt_plan(
        self,
        entries: Sequence[OutboxEntry],
        transport: Transport,
        now: datetime,
        stops: Sequence[Suppression],
    ) -> Generator[_Sending, list[Receipt | TransportError], list[Outcome]]:
        """What ``dispatch`` and ``adispatch`` do with claimed entries, sans I/O.

        It yields each group of messages to send and the transport to send them
        through; the driver sends them (blocking, or awaiting) and sends back one
        result per message, or throws in the exception the sending raised. It
        returns how each entry ended.
        """
        lines: dict[tuple[str | None, str, str], list[Suppression]] = {}
        for line in stops:
            lines.setdefault((line.shop_id, line.channel, line.recipient), []).append(line)
        outcomes: list[Outcome] = []
        ready: list[tuple[OutboxEntry, Message]] = []
        for entry in entries:
            if entry.attempts > self.retry.attempts:
                # Only a lapsed lease gets here: a failure on the last attempt is parked.
                outcomes.append(
                    Outcome(
                        entry.id,
                        entry.lease_token,
                        "dead",
                        last_error=f"gave up after {entry.attempts - 1} attempts; the last "
                        f"ended without a result ({entry.last_error or 'lease expired'})",
                    )
                )
                continue
            try:
                message = entry.message
            except ValidationError as exc:
                reason = f"stored message is invalid: {exc}"
                outcomes.append(Outcome(entry.id, entry.lease_token, "dead", last_error=reason))
                continue
            where = (entry.shop_id, entry.channel, normal_recipient(entry.channel, entry.recipient))
            stop = next((s for s in lines.get(where, ()) if s.applies_to(message.purpose)), None)
            if stop is not None:
                outcomes.append(
                    Outcome(
                        entry.id,
                        entry.lease_token,
                        "suppressed",
                        last_error=stop.explain(),
                        refund=1,
                    )
                )
                continue
            hold = self.quiet_hours.hold_until(message, now)
            if hold is not None:
                outcomes.append(
                    Outcome(entry.id, entry.lease_token, "queued", not_before=hold, refund=1)
                )
                continue
            if isinstance(transport, BaseTransport):
                try:
                    transport.check(message)
                except TransportError as exc:  # this transport cannot carry it at all
                    outcomes.append(self._failed(entry, exc, now))
                    continue
            ready.append((entry, message))
        finished: list[tuple[OutboxEntry, Receipt | TransportError]] = []
        # Each group goes through its own route: the transport, or for an entry whose last
        # attempt ended unknown, the failover child that may have it.
        routes: dict[int, tuple[Transport, list[tuple[OutboxEntry, Message]]]] = {}
        for entry, message in ready:
            if not lapsed(entry):
                route = self._route(transport, entry)
                routes.setdefault(id(route), (route, []))[1].append((entry, message))
        for route, batch in routes.values():
            results = yield route, [message for _, message in batch]
            finished += [(entry, result) for (entry, _), result in zip(batch, results, strict=True)]
        # An entry whose dispatcher died holding it goes alone: if it is what breaks
        # dispatchers (a bug on one odd message), it must not take a batch down again.
        for entry, message in ready:
            if not lapsed(entry):
                continue
            try:
                [result] = yield self._route(transport, entry), [message]
            except Exception as exc:
                reason = f"sending it raised {exc!r}; the attempt before ended without a result"
                outcomes.append(Outcome(entry.id, entry.lease_token, "dead", last_error=reason))
                continue
            finished.append((entry, result))
        done = self._now()
        for entry, result in finished:
            if isinstance(result, Receipt):
                receipt = receipt_to_json(result)
                outcomes.append(
                    Outcome(
                        entry.id,
                        entry.lease_token,
                        "sent",
                        receipt_json=receipt,
                        provider_message_id=result.message_id,
                    )
                )
            else:
                outcomes.append(self._failed(entry, result, done))
        return outcomes

    @staticmethod
    def _route(transport: Transport, entry: OutboxEntry) -> Transport:
        """Where ``entry`` goes: ``transport``, or the failover child that may already have it."""
        if entry.pinned_to and isinstance(transport, FailoverTransport):
            return transport.child(entry.pinned_to) or transport
        return transport

    def _failed(self, entry: OutboxEntry, error: TransportError, now: datetime) -> Outcome:
        """Retry later (transient, attempts left) or park as dead, with the provider's reason.

        After an attempt nobody knows the outcome of (``accepted=None``), the
        entry is pinned to the transport that may have the message.
        """
        reason = _reason(error)
        pinned = error.transport if error.accepted is None else None
        if self.retry.should_retry(error, entry.attempts):
            wait = self.retry.backoff(entry.attempts, error.retry_after)
            return Outcome(
                entry.id,
                entry.lease_token,
                "queued",
                not_before=now + timedelta(seconds=wait),
                last_error=reason,
                pinned_to=pinned,
            )
        if error.transient:
            reason = f"gave up after {entry.attempts} attempts: {reason}"
        return Outcome(entry.id, entry.lease_token, "dead", last_error=reason, pinned_to=pinned)

    # -- asyncio ----------------------------------------------------------------------------
    async def _astore(self) -> AsyncStore:
        """The asyncio path's store for the running event loop, its tables ready.

        PostgreSQL: psycopg's async connection of its own; SQLite: the outbox's
        connection from a worker thread. A store made on another event loop
        (an earlier :func:`asyncio.run`) is dropped for a new one.
        """
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            if self._async is not None:
                self._async[1].abandon()
            store: AsyncStore
            if self.url.partition("://")[0].lower() in {"postgresql", "postgres"}:
                from .postgres import AsyncPostgresStore

                store = AsyncPostgresStore(self.url, self.lock_timeout, self._ready)
            else:
                store = ThreadedStore(self._ready, self._lock)
            self._async = (loop, store)
        store = self._async[1]
        await store.ensure_schema()
        return store

    def _ready(self, connection: object | None = None) -> Store:
        """The outbox's own connection, tables ready (``ThreadedStore``'s and the schema's)."""
        with self._lock:
            return self._main(cast("ShopConnection | None", connection))

    async def aput(
        self,
        message: Message,
        *,
        not_before: datetime | None = None,
        connection: Any = None,
    ) -> OutboxEntry:
        """:meth:`put` for asyncio code: same checks, storage and answer; the loop never blocked.

        On PostgreSQL the entry is written through psycopg's
        :class:`~psycopg.AsyncConnection`; on SQLite, by the outbox's
        connection in a worker thread. A cancelled ``aput`` whose statement had
        started lets it finish (stored, or not if it failed) before raising
        :class:`asyncio.CancelledError`, so no transaction is cut in half.

        Args:
            message: As for :meth:`put`.
            not_before: As for :meth:`put`.
            connection: The shop's own open connection, whose transaction the
                entry joins: a :class:`psycopg.AsyncConnection` on PostgreSQL, a
                :class:`sqlite3.Connection` opened with
                ``check_same_thread=False`` on SQLite (it is used from the
                worker thread).

        Returns:
            The stored entry, or the one stored earlier under the key.

        Raises:
            TypeError: When ``message`` is not a message the outbox stores.
            ValueError: When ``not_before`` is naive.
            ConfigurationError: When ``connection`` is not a connection to the
                outbox's database, or not one the asyncio path can use.
        """
        new = self._new_entry(message, not_before)
        store = await self._astore()
        (entry, _), cancelled = await to_completion(store.insert(new, connection))
        if cancelled:
            raise asyncio.CancelledError
        return entry

    async def adispatch(
        self,
        transport: Transport | AsyncTransport,
        *,
        limit: int | None = None,
        workers: int = 1,
        batch_size: int = 100,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        key: str | None = None,
    ) -> DispatchReport:
        """:meth:`dispatch` for asyncio code: the same claims, retries, records and report.

        The database is reached without blocking the event loop (see
        :meth:`aput`). Each claimed batch goes out through the transport's
        ``asend_many(…, return_exceptions=True)`` when it is an
        :class:`~relationclient.transports.AsyncTransport` (an HTTP provider
        then sends concurrently over its pooled :class:`httpx.AsyncClient`,
        within its ``concurrency``), or else through its blocking
        ``send_many`` in a worker thread. ``workers`` is how many batches are
        out at once, each from its own coroutine. Leases are renewed while a
        batch is out by the same heartbeat thread as :meth:`dispatch`'s.

        It may run beside :meth:`dispatch` and other ``adispatch`` calls, in
        this process or others: an entry is claimed by one of them at a time.

        Cancelling it is safe: it raises :class:`asyncio.CancelledError` and
        records only results it got. A batch being claimed or recorded when
        the cancellation comes is claimed or recorded to the end first (one
        short transaction). A batch out through an ``AsyncTransport`` is
        cancelled with the ``asend_many`` call — once that raised, none of
        its sends runs on — and the batch's leases are released at once, so
        the next dispatch claims those entries again (an entry whose request
        the provider had taken before the cancellation goes again, with the
        same ``Message-ID``: the duplicate the outbox allows when a result
        was lost). A batch out through a blocking transport's thread cannot
        be stopped: it is awaited and its results recorded, then the
        cancellation is raised. If releasing fails, the entries come back
        when their leases lapse.

        Args:
            transport: A :class:`~relationclient.transports.Transport` or
                :class:`~relationclient.transports.AsyncTransport`.
            limit: As for :meth:`dispatch`.
            workers: Batches out at once, each claimed, sent and recorded by
                its own coroutine.
            batch_size: As for :meth:`dispatch`.
            batch_bytes: As for :meth:`dispatch`.
            key: As for :meth:`dispatch`.

        Returns:
            What was done, and how long it took.

        Raises:
            LockTimeoutError: When a database lock stayed held by another
                connection for ``lock_timeout`` seconds.
        """
        budget, claim = _plan_dispatch(limit, workers, batch_size, batch_bytes, key)
        started = time.monotonic()
        store = await self._astore()
        heartbeat = Heartbeat(self._renew, interval=self.lease_seconds / 3)
        try:
            if workers == 1 or key is not None:
                tally = await self._awork(store, transport, budget, claim, heartbeat)
            else:
                # Each worker on a connection of its own (PostgreSQL), as dispatch's threads.
                stores = [store] + [store.clone() for _ in range(workers - 1)]
                try:
                    async with asyncio.TaskGroup() as group:
                        tasks = [
                            group.create_task(self._awork(own, transport, budget, claim, heartbeat))
                            for own in stores
                        ]
                except BaseExceptionGroup as failed:  # as dispatch: the first error, as it is
                    raise failed.exceptions[0] from None
                finally:
                    for own in stores[1:]:
                        if own is not store:
                            await to_completion(own.aclose())
                tally = _Tally.total(task.result() for task in tasks)
        finally:
            # stop() waits for a renewal in progress: in a thread, off the loop.
            _, cancelled = await to_completion(asyncio.to_thread(heartbeat.stop))
            if cancelled:
                raise asyncio.CancelledError
        return tally.report(time.monotonic() - started)

    async def _awork(
        self,
        store: AsyncStore,
        transport: Transport | AsyncTransport,
        budget: _Budget,
        claim: _Claim,
        heartbeat: Heartbeat,
    ) -> _Tally:
        """Claim, send, record, until nothing is due or the budget is spent (``_work``'s twin)."""
        owner = _owner()
        tally = _Tally()
        while wanted := budget.take(claim.size):
            now = self._now()
            (entries, stops), cancelled = await to_completion(
                self._aclaim(store, owner, now, wanted, claim)
            )
            budget.give_back(wanted - len(entries))
            if cancelled:
                await self._release(store, entries)  # nothing of them was sent
                raise asyncio.CancelledError
            if not entries:
                break
            tally.claimed += len(entries)
            heartbeat.hold(entries)
            try:
                outcomes, cancelled = await self._aattempt(entries, transport, now, stops)
            except asyncio.CancelledError:
                heartbeat.release(entries)
                await self._release(store, entries)
                raise
            except BaseException:
                heartbeat.release(entries)  # as dispatch: they wait for their lease
                raise
            try:
                recorded, interrupted = await to_completion(store.record(self._now(), outcomes))
            finally:
                heartbeat.release(entries)
            tally.add(outcomes, recorded)
            if cancelled or interrupted:
                raise asyncio.CancelledError
        return tally

    async def _aclaim(
        self, store: AsyncStore, owner: str, now: datetime, wanted: int, claim: _Claim
    ) -> tuple[list[OutboxEntry], list[Suppression]]:
        entries = await store.claim(owner, now, self.lease_seconds, wanted, claim.bytes, claim.key)
        if not entries:
            return entries, []
        try:
            return entries, await store.suppressions_for(entries)
        except BaseException:
            await self._release(store, entries)
            raise

    @staticmethod
    async def _release(store: AsyncStore, entries: Sequence[OutboxEntry]) -> None:
        """End the leases of ``entries`` now, so that the next claim takes them again.

        Fenced by their tokens, like a renewal; when it fails, they come back
        when their leases lapse.
        """
        if not entries:
            return
        try:
            await to_completion(store.renew(pairs(entries), 0))
        except Exception:
            logger.warning(
                "outbox: releasing %d entries after a cancelled dispatch failed; they come "
                "back when their leases lapse",
                len(entries),
                exc_info=True,
            )

    async def _aattempt(
        self,
        entries: Sequence[OutboxEntry],
        transport: Transport | AsyncTransport,
        now: datetime,
        stops: Sequence[Suppression],
    ) -> tuple[list[Outcome], bool]:
        """``_attempt`` without blocking the loop; the outcomes, and whether it was cancelled.

        Through an ``AsyncTransport``, the sends are awaited (and a cancellation
        raised at once); else the whole attempt runs in a worker thread, which
        a cancellation waits for.
        """
        if not isinstance(transport, AsyncTransport):
            return await to_completion(
                asyncio.to_thread(self._attempt, entries, transport, now, stops)
            )
        plan = self._attempt_plan(entries, cast(Transport, transport), now, stops)
        try:
            sending = next(plan)
            while True:
                try:
                    results = await self._asend(*sending)
                except Exception as exc:
                    sending = plan.throw(exc)
                else:
                    sending = plan.send(results)
        except StopIteration as done:
            outcomes: list[Outcome] = done.value
            return outcomes, False
        finally:
            plan.close()

    @staticmethod
    async def _asend(transport: Any, messages: list[Message]) -> list[Receipt | TransportError]:
        """One result per message, in order, from ``transport.asend_many``."""
        if not messages:
            return []
        if not isinstance(transport, AsyncTransport):  # a failover child without asyncio
            return await asyncio.to_thread(each_result, transport, messages)
        try:
            results = await transport.asend_many(messages, return_exceptions=True)
        except TransportError as exc:  # refused the batch whole, despite return_exceptions
            return refused_whole(exc, messages)
        return list(results)

    # -- inspection and repair -------------------------------------------------------------
    def get(self, key: str) -> OutboxEntry | None:
        """The entry stored under idempotency ``key``, or None."""
        with self._lock:
            store = self._reader()
            return None if store is None else store.get(key)

    def counts(self) -> dict[State, int]:
        """How many entries are ``queued``, ``sending``, ``sent``, ``dead`` and ``suppressed``.

        Every state is a key, with 0 when no entry is in it.
        """
        with self._lock:
            store = self._reader()
            return dict.fromkeys(STATES, 0) if store is None else store.counts()

    def dead(self, limit: int = 100) -> list[OutboxEntry]:
        """Dead entries, most recently parked first; ``last_error`` says why each died."""
        with self._lock:
            store = self._reader()
            return [] if store is None else store.dead(limit)

    def requeue(self, entries: Iterable[int | OutboxEntry] | None = None) -> int:
        """Queue entries again, due now, with a fresh allowance of attempts.

        Args:
            entries: Entries or their ids; dead ones are revived and queued ones
                made due now (sent and in-flight ones are left alone); a
                suppressed one goes back to the queue, to be sent if its
                recipient is off the list by then (else suppressed again).
                None revives every dead entry.

        Returns:
            How many entries were requeued.
        """
        ids = (
            None
            if entries is None
            else [e.id if isinstance(e, OutboxEntry) else e for e in entries]
        )
        with self._lock:
            return self._main().requeue(ids, self._now())

    def purge_sent(self, older_than: timedelta) -> int:
        """Delete entries sent more than ``older_than`` ago; how many were deleted.

        Their keys are then forgotten: a later ``put`` of the same key stores
        it anew, so keep sent entries as long as a duplicate event may arrive.
        """
        with self._lock:
            return self._main().purge_sent(self._now() - older_than)

    # -- delivery events and suppression lists ----------------------------------------------
    def record_events(self, events: Iterable[Event], *, shop_id: str | None = None) -> RecordReport:
        """Record delivery events, all in one transaction, and apply them to the suppression list.

        Each event is stored once, however often a provider sends it (by its
        :attr:`~relationclient.events.Event.dedup_key`), and attached to its
        entry: by the idempotency key the provider echoed, else by the
        provider's message id (the receipt's). A new event's effect on the
        suppression list then applies to the entry's shop: a hard bounce or a
        complaint stops every later message on that channel to that recipient,
        an unsubscribe or a STOP stops marketing ones, a START lifts that
        (:func:`~relationclient.outbox.suppression.effect_of`). Either the whole
        batch is recorded or, on any error, none of it.

        Args:
            events: What :func:`relationclient.events.parse` returned.
            shop_id: The shop an event belongs to when no entry says so (an
                inbound STOP, an event about a message sent outside the
                outbox). When None, such an event applies to every shop that
                sent on its channel to its recipient — from the number it was
                texted to, when some did — or else to messages without a shop.

        Returns:
            How many were recorded, were duplicates, found their entry, and
            added or lifted suppressions.
        """
        batch = list(events)
        with self._lock:
            return self._main().record_events(batch, self._now(), shop_id)

    def events(self, key: str) -> list[Event]:
        """The delivery events of the entry stored under ``key``, in the order they happened."""
        with self._lock:
            store = self._reader()
            if store is None:
                return []
            entry = store.get(key)
            return store.history(key, None if entry is None else entry.provider_message_id)

    def suppressions(
        self,
        shop_id: str | None = None,
        *,
        channel: Channel | None = None,
        recipient: str | None = None,
        limit: int = 1000,
    ) -> list[Suppression]:
        """A shop's suppression list, newest first.

        Args:
            shop_id: The shop (None: the list of messages without a ``shop_id``).
            channel: Only ``"email"`` or only ``"sms"``.
            recipient: Only the lines about this address or number.
            limit: At most this many lines.
        """
        with self._lock:
            store = self._reader()
            return [] if store is None else store.suppressions(shop_id, channel, recipient, limit)

    def suppress(
        self,
        recipient: str,
        *,
        channel: Channel,
        shop_id: str | None = None,
        scope: Scope = "all",
        reason: str = "manual",
        description: str = "",
    ) -> Suppression:
        """Put ``recipient`` on a shop's suppression list; the line (the earlier one if there was).

        What an unsubscribe endpoint calls when a reader opts out through the
        signed link (``scope="marketing", reason="unsubscribed"``), or a shop
        for an address it knows is dead.

        Args:
            recipient: The email address or E.164 number.
            channel: ``"email"`` or ``"sms"``.
            shop_id: The shop whose messages it stops (None: messages without one).
            scope: ``"all"``, or ``"marketing"`` to let transactional messages through.
            reason: A word for the list: ``manual`` by default.
            description: A note for the list and for the entries it stops.
        """
        if channel not in ("email", "sms") or scope not in ("all", "marketing"):
            raise ValueError("channel is 'email' or 'sms', scope 'all' or 'marketing'")
        line = Suppression(
            shop_id=shop_id,
            channel=channel,
            recipient=normal_recipient(channel, recipient),
            scope=scope,
            reason=reason,
            description=description,
            provider=None,
            created_at=self._now(),
        )
        with self._lock:
            stored, _ = self._main().suppress(line)
        return stored

    def unsuppress(
        self,
        recipient: str,
        *,
        channel: Channel,
        shop_id: str | None = None,
        scope: Scope | None = None,
    ) -> int:
        """Take ``recipient`` off a shop's list for ``channel`` (one scope, or both); lines removed.

        Entries it stopped stay ``suppressed``; :meth:`requeue` sends them.
        """
        with self._lock:
            store = self._reader()
            return 0 if store is None else store.unsuppress(shop_id, channel, recipient, scope)
