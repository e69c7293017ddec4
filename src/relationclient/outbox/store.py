"""The storage interface of the outbox, and the SQL both databases share.

A :class:`Store` is one connection to one outbox database. The outbox asks it
for a handful of operations — insert, claim, renew, record, count, list,
requeue, purge — each one transaction, committed before it returns. Everything
that SQLite and PostgreSQL spell alike lives here; :mod:`.sqlite` and
:mod:`.postgres` say how to connect, how to open a write transaction, how to
store instants, what time the database says it is, and how to claim rows
without two dispatchers taking the same.

The operations the asyncio path shares with the sync one — insert, claim,
renew, record, and the suppression lines a claim consults — are written once,
sans I/O, as :data:`Plan` generators of a :class:`Dialect`: each yields its
statements and reads the rows it is sent back. :meth:`Store.run` executes a
plan on a DB-API cursor; :class:`~.postgres.AsyncPostgresStore` executes the
same plan on psycopg's async cursor.

Two clocks, on purpose. Leases are measured by the **database's** clock
(:attr:`Store.now_sql`): the claim writes ``lease_until`` as the database's
now plus the lease, a renewal pushes it on the same way, and a lease has
lapsed when the database's now passes it — so a dispatcher whose own clock is
wrong cannot steal a live lease. Every other instant (``not_before``, backoff,
quiet hours, ``created_at``) crosses this interface as an aware UTC datetime
from the outbox's clock, which tests move by hand.

Fencing: every claim raises the entry's ``lease_token`` by one and hands the
new value to the dispatcher; a renewal and a result are written only
``WHERE lease_token`` still equals it. Lapsing does not change the token, so
a late result still counts while nobody else has claimed the entry; the next
claim does, and from then on the earlier holder can write nothing.

Delivery events and suppression lists (schema 3) live in two more tables,
``relationclient_outbox_events`` and ``relationclient_outbox_suppressions``:
:meth:`Store.record_events` writes a batch of events, attaches each to its
entry and applies its effect on the list in one transaction; a ``put`` and a
claim consult the list.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeAlias, TypeVar, cast

from ..errors import ConfigurationError, LockTimeoutError
from ..events.event import Event
from .entry import STATES, OutboxEntry, State, receipt_from_json
from .suppression import RecordReport, Scope, Suppression, effect_of, normal_recipient

__all__ = [
    "EVENTS_TABLE",
    "SCHEMA_VERSION",
    "SUPPRESSIONS_TABLE",
    "TABLE",
    "Cursor",
    "Dialect",
    "LockTimeoutError",
    "NewEntry",
    "Outcome",
    "Plan",
    "Rows",
    "Step",
    "Store",
    "lapsed",
    "store_opener",
]

#: The version of the tables below; a database with a later one was made by a
#: newer relationclient and is refused rather than misread; an earlier one is
#: upgraded in place. 2 added ``lease_token``, ``size`` and ``pinned_to``; 3 the
#: ``suppressed`` state, ``shop_id``, ``sender`` and ``provider_message_id``,
#: and the events and suppressions tables.
SCHEMA_VERSION = 3
TABLE = "relationclient_outbox"
VERSION_TABLE = "relationclient_outbox_schema"
EVENTS_TABLE = "relationclient_outbox_events"
SUPPRESSIONS_TABLE = "relationclient_outbox_suppressions"

#: ``last_error`` of an entry whose dispatcher's lease lapsed: ``lease of <owner> expired…``.
LAPSED_PREFIX, LAPSED_SUFFIX = "lease of ", " expired without a result"

COLUMNS = (
    "id, idempotency_key, channel, kind, recipient, state, attempts, not_before, lease_until, "
    "last_error, receipt, created_at, updated_at, message, lease_token, size, pinned_to, "
    "shop_id, provider_message_id"
)

INSERT = f"""
INSERT INTO {TABLE} (idempotency_key, channel, kind, recipient, state, attempts,
                     not_before, message, size, created_at, updated_at, last_error,
                     shop_id, sender)
VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING {COLUMNS}
"""
BY_KEY = f"SELECT {COLUMNS} FROM {TABLE} WHERE idempotency_key = ?"
#: Fenced: only while the entry bears the claim's token. ``queued`` too, for an entry whose
#: lease lapsed and went back to the queue but that nobody has claimed since.
HOLDING = "id = ? AND lease_token = ? AND state IN ('sending', 'queued')"
RECORD_SENT = f"""
UPDATE {TABLE}
SET state = 'sent', receipt = ?, provider_message_id = ?, pinned_to = NULL, lease_until = NULL,
    owner = NULL, updated_at = ?
WHERE {HOLDING}
"""
RECORD_OTHER = f"""
UPDATE {TABLE}
SET state = ?, not_before = COALESCE(?, not_before), last_error = COALESCE(?, last_error),
    attempts = attempts - ?, pinned_to = COALESCE(?, pinned_to), lease_until = NULL,
    owner = NULL, updated_at = ?
WHERE {HOLDING}
"""
#: ``{lease_until}``: the database's now plus ``?`` seconds, in the dialect's words.
RENEW = f"""
UPDATE {TABLE} SET lease_until = {{lease_until}}
WHERE id = ? AND lease_token = ? AND state = 'sending'
"""
COUNTS = f"SELECT state, COUNT(*) FROM {TABLE} GROUP BY state"
DEAD = (
    f"SELECT {COLUMNS} FROM {TABLE} WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT ?"
)
REQUEUE_ALL = f"""
UPDATE {TABLE} SET state = 'queued', attempts = 0, pinned_to = NULL, not_before = ?, updated_at = ?
WHERE state = 'dead'
"""
REQUEUE_ONE = f"""
UPDATE {TABLE} SET state = 'queued', attempts = 0, pinned_to = NULL, not_before = ?, updated_at = ?
WHERE id = ? AND state IN ('dead', 'queued', 'suppressed')
"""
PURGE_SENT = f"DELETE FROM {TABLE} WHERE state = 'sent' AND updated_at < ?"

# -- suppressions ---------------------------------------------------------------------------
SUPPRESSION_COLUMNS = (
    "shop_id, channel, recipient, scope, reason, description, provider, created_at"
)
SUPPRESS = f"""
INSERT INTO {SUPPRESSIONS_TABLE} ({SUPPRESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (shop_id, channel, recipient, scope) DO NOTHING
"""
#: The line that stops a message: ``all`` before ``marketing``.
STOPPING = f"""
SELECT {SUPPRESSION_COLUMNS} FROM {SUPPRESSIONS_TABLE}
WHERE shop_id = ? AND channel = ? AND recipient = ? AND (scope = 'all' OR scope = ?)
ORDER BY scope LIMIT 1
"""
SUPPRESSION_LINES = f"""
SELECT {SUPPRESSION_COLUMNS} FROM {SUPPRESSIONS_TABLE}
WHERE shop_id = ? AND channel = ? AND recipient = ?
"""
UNSUPPRESS = f"""
DELETE FROM {SUPPRESSIONS_TABLE} WHERE shop_id = ? AND channel = ? AND recipient = ?
"""

# -- events ---------------------------------------------------------------------------------
INSERT_EVENT = f"""
INSERT INTO {EVENTS_TABLE} (dedup_key, entry_id, idempotency_key, shop_id, provider,
                            provider_message_id, type, hard, channel, recipient, occurred_at,
                            recorded_at, description, event)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedup_key) DO NOTHING
RETURNING id
"""
ENTRY_OF_KEY = f"SELECT id, idempotency_key, shop_id FROM {TABLE} WHERE idempotency_key = ?"
ENTRY_OF_MESSAGE = f"""
SELECT id, idempotency_key, shop_id FROM {TABLE} WHERE provider_message_id = ?
ORDER BY id DESC LIMIT 1
"""
#: The shops that sent on a channel to a recipient (from a given sender, when asked).
SHOPS_OF_RECIPIENT = f"""
SELECT DISTINCT shop_id FROM {TABLE} WHERE channel = ? AND recipient = ?
"""
HISTORY = f"""
SELECT event FROM {EVENTS_TABLE}
WHERE idempotency_key = ? OR (provider_message_id = ? AND idempotency_key IS NULL)
ORDER BY occurred_at, id
"""


def lapsed(entry: OutboxEntry) -> bool:
    """Whether ``entry`` came back to the queue because its dispatcher died holding it."""
    error = entry.last_error or ""
    return error.startswith(LAPSED_PREFIX) and error.endswith(LAPSED_SUFFIX)


class Cursor(Protocol):
    """The part of a DB-API cursor the stores use (sqlite3's and psycopg's both fit)."""

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows of the last query."""
        ...


@dataclass(frozen=True)
class NewEntry:
    """An entry about to be stored by ``put``."""

    idempotency_key: str
    channel: str
    kind: str
    recipient: str
    not_before: datetime
    message_json: str
    created_at: datetime
    shop_id: str | None = None
    sender: str | None = None
    purpose: str = "transactional"

    @property
    def size(self) -> int:
        """The bytes of the stored message, which bound a claim."""
        return len(self.message_json.encode())


@dataclass(frozen=True)
class Outcome:
    """How one claimed entry ended, as the dispatcher records it.

    ``state`` is ``sent``, ``dead``, or ``queued`` (a retry, or a deferral by
    quiet hours, which hands its attempt back with ``refund=1``). ``lease_token``
    is the claim's: the outcome is recorded only while the entry still bears it.
    ``pinned_to`` names the transport that may hold the message after an
    attempt with an unknown outcome.
    """

    entry_id: int
    lease_token: int
    state: State
    not_before: datetime | None = None
    last_error: str | None = None
    receipt_json: str | None = None
    refund: int = 0
    pinned_to: str | None = None
    provider_message_id: str | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One statement of a plan (``?`` placeholders) and its parameters."""

    statement: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Rows:
    """What a statement gave back: its rows (none for a plain write) and the rows it changed."""

    rows: list[Any]
    rowcount: int


Plan: TypeAlias = Generator[Step, Rows, T]
"""One transaction's worth of work, without I/O: it yields the statements to run,
receives each one's :class:`Rows`, and returns its answer. A sync :class:`Store`
runs it on a DB-API cursor (:meth:`Store.run`); the asyncio path runs the very
same plan on psycopg's async cursor (:class:`~.postgres.AsyncPostgresStore`)."""


class Dialect(ABC):
    """What one database's SQL says and how its rows read back — sans I/O.

    The operations whose statements both the sync and the asyncio paths run
    (insert, claim, renew, record, the suppression lines of a claim) are plans
    here (:data:`Plan`): the statements and what is made of their rows live
    once, whoever executes them.
    """

    #: The placeholder style of the driver: ``"?"`` (sqlite3) or ``"%s"`` (psycopg).
    placeholder: ClassVar[str] = "?"
    #: SQL for "the database's now plus ``?`` seconds", as the dialect stores instants.
    lease_until_sql: ClassVar[str]

    @abstractmethod
    def to_db(self, instant: datetime) -> Any:
        """An aware datetime as the database stores it."""

    @abstractmethod
    def from_db(self, value: Any) -> datetime:
        """A stored instant as an aware UTC datetime."""

    @abstractmethod
    def claim_plan(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> Plan[list[OutboxEntry]]:
        """Return lapsed leases to the queue, then claim due entries.

        Due means ``queued`` with ``not_before`` at or before ``now`` (the
        outbox's clock). Claimed entries become ``sending`` under ``owner`` for
        ``lease_seconds`` of the database's clock, with a new ``lease_token``,
        and count one more attempt: at most ``limit`` of them, in due order,
        and no more than ``max_bytes`` of stored message in all — but always
        the first due one, however large. No two calls, in any process, may
        claim the same entry while its lease holds. With ``key``, only the
        entry stored under that idempotency key is claimed, if it is due.
        """

    def sql(self, statement: str) -> str:
        """``statement`` in the driver's placeholder style."""
        return statement if self.placeholder == "?" else statement.replace("?", self.placeholder)

    def entry(self, row: Sequence[Any]) -> OutboxEntry:
        """An :class:`OutboxEntry` from a row of :data:`COLUMNS`."""
        (id_, key, channel, kind, recipient, state, attempts, not_before, lease_until) = row[:9]
        last_error, receipt, created_at, updated_at, message = row[9:14]
        lease_token, size, pinned_to, shop_id, provider_message_id = row[14:]
        return OutboxEntry(
            id=int(id_),
            idempotency_key=key,
            channel=channel,
            kind=kind,
            recipient=recipient,
            state=state,
            attempts=int(attempts),
            not_before=self.from_db(not_before),
            lease_until=None if lease_until is None else self.from_db(lease_until),
            last_error=last_error,
            receipt=receipt_from_json(receipt, key, recipient),
            created_at=self.from_db(created_at),
            updated_at=self.from_db(updated_at),
            message_json=message,
            lease_token=int(lease_token),
            size=int(size),
            pinned_to=pinned_to,
            shop_id=shop_id or None,
            provider_message_id=provider_message_id,
        )

    def suppression(self, row: Sequence[Any]) -> Suppression:
        """A :class:`Suppression` from a row of :data:`SUPPRESSION_COLUMNS`."""
        shop_id, channel, recipient, scope, reason, description, provider, created_at = row
        return Suppression(
            shop_id=shop_id or None,
            channel=channel,
            recipient=recipient,
            scope=scope,
            reason=reason,
            description=description,
            provider=provider,
            created_at=self.from_db(created_at),
        )

    # -- plans -----------------------------------------------------------------------------
    def insert_plan(self, new: NewEntry) -> Plan[tuple[OutboxEntry, bool]]:
        """Store ``new`` unless its key is stored already; the entry, and whether it is new.

        A recipient on the shop's suppression list (for this channel, and this
        purpose) makes the entry ``suppressed`` at once, with the reason, in
        the same transaction.
        """
        recipient = normal_recipient(new.channel, new.recipient)
        found = yield Step(STOPPING, [new.shop_id or "", new.channel, recipient, new.purpose])
        stop = self.suppression(found.rows[0]) if found.rows else None
        params = [
            new.idempotency_key,
            new.channel,
            new.kind,
            new.recipient,
            "queued" if stop is None else "suppressed",
            self.to_db(new.not_before),
            new.message_json,
            new.size,
            self.to_db(new.created_at),
            self.to_db(new.created_at),
            None if stop is None else stop.explain(),
            new.shop_id or "",
            new.sender,
        ]
        # ON CONFLICT waits for a concurrent insert of the same key to commit or
        # roll back; the SELECT after it then sees the winner's row.
        for _ in range(3):
            inserted = yield Step(INSERT, params)
            if inserted.rows:
                return self.entry(inserted.rows[0]), True
            stored = yield Step(BY_KEY, [params[0]])
            if stored.rows:
                return self.entry(stored.rows[0]), False
        raise RuntimeError(  # pragma: no cover - needs an insert rolled back three times running
            f"outbox: key {params[0]} neither inserted nor found"
        )

    def renew_plan(self, held: Sequence[tuple[int, int]], lease_seconds: float) -> Plan[set[int]]:
        """Push the leases of ``held`` (entry id, lease token) on; the ids still held.

        An entry missing from the answer was claimed by another dispatcher
        since (or lapsed and went back to the queue): it is no longer ours.
        ``lease_seconds=0`` ends the leases now: the next claim returns the
        entries to the queue as it does those of a dispatcher that died.
        """
        statement = RENEW.format(lease_until=self.lease_until_sql)
        renewed = set()
        for entry_id, token in held:
            if (yield Step(statement, [lease_seconds, entry_id, token])).rowcount:
                renewed.add(entry_id)
        return renewed

    def record_plan(self, now: datetime, outcomes: Sequence[Outcome]) -> Plan[set[int]]:
        """Record how claimed entries ended; the ids recorded.

        Each outcome is written only while its entry still bears the claim's
        lease token (fencing): an entry another dispatcher claimed since keeps
        that dispatcher's work, and is left out of the answer.
        """
        at = self.to_db(now)
        recorded = set()
        for o in outcomes:
            if o.state == "sent":
                statement = RECORD_SENT
                params = [o.receipt_json, o.provider_message_id, at, o.entry_id, o.lease_token]
            else:
                statement = RECORD_OTHER
                not_before = None if o.not_before is None else self.to_db(o.not_before)
                params = [o.state, not_before, o.last_error, o.refund, o.pinned_to, at]
                params += [o.entry_id, o.lease_token]
            if (yield Step(statement, params)).rowcount:
                recorded.add(o.entry_id)
        return recorded

    def suppressions_plan(self, entries: Sequence[OutboxEntry]) -> Plan[list[Suppression]]:
        """Every line of the list about the recipients of ``entries`` (one query)."""
        recipients = sorted({normal_recipient(e.channel, e.recipient) for e in entries})
        if not recipients:
            return []
        marks = ", ".join("?" for _ in recipients)
        statement = (
            f"SELECT {SUPPRESSION_COLUMNS} FROM {SUPPRESSIONS_TABLE} WHERE recipient IN ({marks})"
        )
        found = yield Step(statement, recipients)
        return [self.suppression(row) for row in found.rows]


class Store(Dialect):
    """One connection to an outbox database; every method is one committed transaction.

    Subclasses provide the connection, transactions and the schema's DDL (and,
    through their :class:`Dialect`, instants, the database's clock and the
    claim). The statements and what is made of their rows are the dialect's
    plans, which :meth:`run` executes on a cursor of this connection.
    """

    #: One writer at a time (SQLite): an open shop transaction blocks every other.
    single_writer: ClassVar[bool] = False
    #: Whether tables missing at a joined ``put`` are created in the shop's transaction.
    schema_in_shop_transaction: ClassVar[bool] = True

    def __init__(self) -> None:
        self.schema_ready = False

    # -- what a database provides ------------------------------------------------------
    @abstractmethod
    def clone(self) -> Store:
        """A new, independent connection to the same database (one per worker thread)."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def write(self) -> contextlib.AbstractContextManager[Any]:
        """A write transaction on the store's own connection, committed on exit; its cursor."""

    @abstractmethod
    def read(self) -> contextlib.AbstractContextManager[Any]:
        """A cursor for reads on the store's own connection."""

    @abstractmethod
    def shop_cursor(self, connection: object) -> Any:
        """A cursor on the shop's own connection, after checking it reaches this database."""

    @abstractmethod
    def schema_version(self) -> int | None:
        """The schema version found in the database, None when there are no tables yet."""

    @abstractmethod
    def create_schema(self, cursor: Any) -> None:
        """Bring the tables to :data:`SCHEMA_VERSION` inside the caller's transaction.

        Creates them when missing, upgrades them in place when older; safe when
        another process does the same at the same moment.
        """

    # -- shared ------------------------------------------------------------------------
    def run(self, cursor: Any, plan: Plan[T]) -> T:
        """Execute ``plan``'s statements on ``cursor``, feeding each its rows; the plan's answer."""
        try:
            step = next(plan)
            while True:
                cursor.execute(self.sql(step.statement), step.params)
                rows = cursor.fetchall() if cursor.description is not None else []
                step = plan.send(Rows(rows, cursor.rowcount))
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            plan.close()

    def execute(self, cursor: Any, statement: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement; the cursor, for its rows and rowcount."""
        cursor.execute(self.sql(statement), params)
        return cast(Cursor, cursor)

    def ensure_schema(self, connection: object | None = None, *, create: bool = True) -> bool:
        """Make sure the tables exist at this version; whether they do.

        Tables of an earlier version are upgraded in place (once, by whichever
        process comes first); tables of a newer version are refused.

        Args:
            connection: The shop's connection, when the caller joins its
                transaction. On SQLite, missing or old tables are then created
                or upgraded in the shop's transaction (they commit or roll back
                with it): the outbox's own connection would wait for the write
                lock the shop holds. PostgreSQL does it on its own connection
                at once.
            create: False for reads, which find nothing in a database without
                tables and must not take a write lock to say so (old tables
                are still upgraded: a read needs the new columns).
        """
        if self.schema_ready:
            return True
        version = self.schema_version()
        if version is not None and version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"the outbox tables have schema version {version}, newer than this "
                f"relationclient's ({SCHEMA_VERSION}): upgrade relationclient"
            )
        if version == SCHEMA_VERSION:
            self.schema_ready = True
            return True
        if version is None and not create:
            return False
        if connection is not None and self.schema_in_shop_transaction:
            self.create_schema(self.shop_cursor(connection))
            return True  # not ready for good: the shop may still roll it back
        with self.write() as cursor:
            self.create_schema(cursor)
        self.schema_ready = True
        return True

    def recorded_version(self, cursor: Any) -> int | None:
        """The version recorded in the (existing) version table, inside the caller's transaction."""
        rows = self.execute(cursor, f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchall()
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def insert_version(self, cursor: Any) -> None:
        """Record :data:`SCHEMA_VERSION`, replacing an earlier version."""
        self.execute(cursor, f"DELETE FROM {VERSION_TABLE}")
        self.execute(cursor, f"INSERT INTO {VERSION_TABLE} (version) VALUES (?)", [SCHEMA_VERSION])

    def insert(self, new: NewEntry, connection: object | None = None) -> tuple[OutboxEntry, bool]:
        """Store ``new`` unless its key is stored already (:meth:`insert_plan`), in one transaction.

        With ``connection``, in the shop's transaction on its connection.
        """
        if connection is not None:
            return self.run(self.shop_cursor(connection), self.insert_plan(new))
        with self.write() as cursor:
            return self.run(cursor, self.insert_plan(new))

    def get(self, key: str) -> OutboxEntry | None:
        """The entry stored under ``key``, if any."""
        with self.read() as cursor:
            rows = self.execute(cursor, BY_KEY, [key]).fetchall()
        return self.entry(rows[0]) if rows else None

    def renew(self, held: Sequence[tuple[int, int]], lease_seconds: float) -> set[int]:
        """Push the leases of ``held`` on, in one transaction (:meth:`renew_plan`)."""
        with self.write() as cursor:
            return self.run(cursor, self.renew_plan(held, lease_seconds))

    def record(self, now: datetime, outcomes: Sequence[Outcome]) -> set[int]:
        """Record how claimed entries ended, in one transaction (:meth:`record_plan`)."""
        with self.write() as cursor:
            return self.run(cursor, self.record_plan(now, outcomes))

    def claim(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """Claim due entries, in one transaction (:meth:`claim_plan`)."""
        with self.write() as cursor:
            plan = self.claim_plan(owner, now, lease_seconds, limit, max_bytes, key)
            return self.run(cursor, plan)

    def counts(self) -> dict[State, int]:
        """The number of entries in each state, every state present."""
        counts: dict[State, int] = dict.fromkeys(STATES, 0)
        with self.read() as cursor:
            for state, count in self.execute(cursor, COUNTS).fetchall():
                counts[state] = int(count)
        return counts

    def dead(self, limit: int) -> list[OutboxEntry]:
        """Dead entries, the most recently parked first."""
        with self.read() as cursor:
            return [self.entry(row) for row in self.execute(cursor, DEAD, [limit]).fetchall()]

    def requeue(self, ids: Sequence[int] | None, now: datetime) -> int:
        """Make dead (or given queued) entries due at ``now`` with fresh attempts; how many."""
        at = self.to_db(now)
        with self.write() as cursor:
            if ids is None:
                return self.execute(cursor, REQUEUE_ALL, [at, at]).rowcount
            return sum(self.execute(cursor, REQUEUE_ONE, [at, at, i]).rowcount for i in ids)

    def purge_sent(self, before: datetime) -> int:
        """Delete sent entries last changed before ``before``; how many."""
        with self.write() as cursor:
            return self.execute(cursor, PURGE_SENT, [self.to_db(before)]).rowcount

    # -- suppressions ----------------------------------------------------------------------
    def suppressions_for(self, entries: Sequence[OutboxEntry]) -> list[Suppression]:
        """The list's lines about the recipients of ``entries`` (:meth:`suppressions_plan`)."""
        with self.read() as cursor:
            return self.run(cursor, self.suppressions_plan(entries))

    def suppress(self, line: Suppression) -> tuple[Suppression, bool]:
        """Add ``line`` unless the shop has it already; the line stored, and whether it is new."""
        with self.write() as cursor:
            added = self._suppress(cursor, line)
            params = [line.shop_id or "", line.channel, line.recipient]
            rows = self.execute(cursor, SUPPRESSION_LINES + " AND scope = ?", [*params, line.scope])
            return self.suppression(rows.fetchall()[0]), added

    def _suppress(self, cursor: Any, line: Suppression) -> bool:
        params = [
            line.shop_id or "",
            line.channel,
            normal_recipient(line.channel, line.recipient),
            line.scope,
            line.reason,
            line.description,
            line.provider,
            self.to_db(line.created_at),
        ]
        return bool(self.execute(cursor, SUPPRESS, params).rowcount)

    def unsuppress(
        self, shop_id: str | None, channel: str, recipient: str, scope: Scope | None
    ) -> int:
        """Take a recipient off a shop's list (one scope, or both); how many lines went."""
        with self.write() as cursor:
            return self._unsuppress(cursor, shop_id, channel, recipient, scope)

    def _unsuppress(
        self, cursor: Any, shop_id: str | None, channel: str, recipient: str, scope: Scope | None
    ) -> int:
        params = [shop_id or "", channel, normal_recipient(channel, recipient)]
        if scope is None:
            return self.execute(cursor, UNSUPPRESS, params).rowcount
        return self.execute(cursor, UNSUPPRESS + " AND scope = ?", [*params, scope]).rowcount

    def suppressions(
        self,
        shop_id: str | None,
        channel: str | None,
        recipient: str | None,
        limit: int,
    ) -> list[Suppression]:
        """A shop's list, newest first, narrowed to a channel or a recipient when given."""
        statement = f"SELECT {SUPPRESSION_COLUMNS} FROM {SUPPRESSIONS_TABLE} WHERE shop_id = ?"
        params: list[Any] = [shop_id or ""]
        if channel is not None:
            statement += " AND channel = ?"
            params.append(channel)
        if recipient is not None:
            statement += " AND recipient = ?"
            params.append(normal_recipient(channel or "email", recipient))
        statement += " ORDER BY created_at DESC, recipient LIMIT ?"
        with self.read() as cursor:
            rows = self.execute(cursor, statement, [*params, limit]).fetchall()
        return [self.suppression(row) for row in rows]

    # -- events ----------------------------------------------------------------------------
    def record_events(
        self, events: Iterable[Event], now: datetime, shop_id: str | None
    ) -> RecordReport:
        """Record ``events`` in one transaction: stored once each, attached, applied to the list.

        Each event is stored under its :attr:`~Event.dedup_key`; one stored
        before (a provider's retry, the same event twice in the batch) is left
        alone, its effect not applied again. A new one is attached to its
        entry — by the idempotency key the provider echoed, else by the
        provider's message id — and its effect on the suppression list
        (:func:`~relationclient.outbox.suppression.effect_of`) applied for the
        entry's shop. An event no entry claims (an inbound STOP, a message sent
        outside the outbox) applies to ``shop_id`` when given, else to every
        shop that sent on that channel to that recipient (from that sender,
        when some did), else to messages without a shop.
        """
        recorded = duplicates = attached = suppressed = lifted = 0
        at = self.to_db(now)
        with self.write() as cursor:
            for event in events:
                key: str | None
                entry = self._entry_of(cursor, event)
                if entry is not None:
                    entry_id, key, entry_shop = entry
                    stored = event.model_copy(update={"idempotency_key": key})
                else:
                    entry_id, key, entry_shop = None, event.idempotency_key, None
                    stored = event
                params = [
                    event.dedup_key,
                    entry_id,
                    key,
                    entry_shop or "",
                    event.provider,
                    event.provider_message_id,
                    event.type.value,
                    event.hard,
                    event.channel,
                    event.recipient,
                    self.to_db(event.occurred_at),
                    at,
                    event.description,
                    stored.model_dump_json(),
                ]
                if not self.execute(cursor, INSERT_EVENT, params).fetchall():
                    duplicates += 1
                    continue
                recorded += 1
                attached += entry_id is not None
                effect = effect_of(event)
                if effect is None:
                    continue
                action, scope, reason = effect
                shops = (
                    [entry_shop]
                    if entry_id is not None
                    else [shop_id]
                    if shop_id is not None
                    else self._shops_of(cursor, event)
                )
                for shop in shops:
                    if action == "lift":
                        lifted += self._unsuppress(
                            cursor, shop, event.channel, event.recipient, scope
                        )
                        continue
                    line = Suppression(
                        shop_id=shop,
                        channel=event.channel,
                        recipient=event.recipient,
                        scope=scope,
                        reason=reason,
                        description=event.description,
                        provider=event.provider,
                        created_at=event.occurred_at,
                    )
                    suppressed += self._suppress(cursor, line)
        return RecordReport(recorded, duplicates, attached, suppressed, lifted)

    def _entry_of(self, cursor: Any, event: Event) -> tuple[int, str, str | None] | None:
        """The entry ``event`` is about: id, key and shop; by echoed key, else by message id."""
        rows: list[Any] = []
        if event.idempotency_key:
            rows = self.execute(cursor, ENTRY_OF_KEY, [event.idempotency_key]).fetchall()
        if not rows and event.provider_message_id:
            rows = self.execute(cursor, ENTRY_OF_MESSAGE, [event.provider_message_id]).fetchall()
        if not rows:
            return None
        entry_id, key, shop = rows[0]
        return int(entry_id), key, shop or None

    def _shops_of(self, cursor: Any, event: Event) -> list[str | None]:
        """The shops that sent on the event's channel to its recipient (:meth:`record_events`)."""
        recipients = {event.recipient, normal_recipient(event.channel, event.recipient)}
        found: list[str | None] = []
        for narrowed in ([event.shop_address] if event.shop_address else []) + [None]:
            for recipient in sorted(recipients):
                statement = SHOPS_OF_RECIPIENT + ("" if narrowed is None else " AND sender = ?")
                params = [event.channel, recipient] + ([] if narrowed is None else [narrowed])
                for (shop,) in self.execute(cursor, statement, params).fetchall():
                    if (shop or None) not in found:
                        found.append(shop or None)
            if found:
                return found
        return [None]

    def history(self, key: str, provider_message_id: str | None) -> list[Event]:
        """The events of the entry under ``key``, in the order they happened."""
        with self.read() as cursor:
            rows = self.execute(cursor, HISTORY, [key, provider_message_id]).fetchall()
        return [Event.model_validate_json(row[0]) for row in rows]


def store_opener(url: str, lock_timeout: float = 10.0) -> Callable[[], Store]:
    """A function opening a :class:`Store` for ``url``: ``sqlite:///path`` or ``postgresql://…``.

    The URL is checked now and the connection made later, when the outbox is
    first used, so an ``Outbox`` can be built at import time. Every connection
    waits at most ``lock_timeout`` seconds for a lock another holds.

    Raises:
        ConfigurationError: For another scheme, an in-memory or relative-looking
            SQLite URL, or a PostgreSQL URL without the ``relationclient[postgres]``
            extra installed.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if sep and scheme == "sqlite":
        from .sqlite import SQLiteStore, check_path

        if not rest.startswith("/"):
            raise ConfigurationError(
                f"outbox URL {url!r}: a SQLite URL is sqlite:///relative/path or sqlite:////abs/path"
            )
        path = check_path(rest[1:])
        return lambda: SQLiteStore(path, lock_timeout)
    if sep and scheme in {"postgresql", "postgres"}:
        from .postgres import PostgresStore, psycopg_module

        psycopg_module()
        return lambda: PostgresStore(url, lock_timeout)
    raise ConfigurationError(
        f"outbox URL {url!r}: use sqlite:///path/to/file.sqlite3 or postgresql://user@host/db"
    )
