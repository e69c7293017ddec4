"""The outbox in PostgreSQL, through psycopg 3, for several machines sharing one queue.

Claims lock the due rows with ``SELECT … FOR UPDATE SKIP LOCKED``: concurrent
dispatchers each take different rows without waiting for one another, and a
row another dispatcher is claiming right now is simply skipped. The lease
written by the claim then keeps the row out of other claims after the
transaction ends. psycopg is imported on first use, so shops on SQLite never
need it; a missing install is reported with the extra to add.

The database's clock, for leases, is the server's ``clock_timestamp()``: one
clock for every machine that shares the queue, whatever their own say.

Claims never wait (``SKIP LOCKED``); other statements may, for a lock a shop
transaction holds (a ``put(connection=…)`` of the same key not yet committed,
an upgrade of the tables while a shop transaction has touched them). Each
connection sets ``lock_timeout``: after that long the statement gives up and
:class:`~relationclient.outbox.LockTimeoutError` names the sessions holding
locks on the outbox's tables, from ``pg_locks`` and ``pg_stat_activity``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from ..errors import ConfigurationError
from .entry import OutboxEntry
from .store import (
    COLUMNS,
    EVENTS_TABLE,
    LAPSED_PREFIX,
    LAPSED_SUFFIX,
    SCHEMA_VERSION,
    SUPPRESSIONS_TABLE,
    TABLE,
    VERSION_TABLE,
    Dialect,
    LockTimeoutError,
    NewEntry,
    Outcome,
    Plan,
    Rows,
    Step,
    Store,
)
from .suppression import Suppression

if TYPE_CHECKING:
    import psycopg

__all__ = ["AsyncPostgresStore", "PostgresDialect", "PostgresStore", "psycopg_module"]

T = TypeVar("T")

#: Taken while creating the tables, so two processes starting at once do not race.
SCHEMA_LOCK = 0x72656C6F7574626F  # "reloutbo"

_STATES = "state IN ('queued', 'sending', 'sent', 'dead', 'suppressed')"

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        channel text NOT NULL,
        kind text NOT NULL,
        recipient text NOT NULL,
        state text NOT NULL DEFAULT 'queued' CONSTRAINT {TABLE}_state_check CHECK ({_STATES}),
        attempts integer NOT NULL DEFAULT 0,
        not_before timestamptz NOT NULL,
        lease_until timestamptz,
        owner text,
        last_error text,
        receipt text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        message text NOT NULL,
        lease_token bigint NOT NULL DEFAULT 0,
        size bigint NOT NULL DEFAULT 0,
        pinned_to text,
        shop_id text NOT NULL DEFAULT '',
        sender text,
        provider_message_id text
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (not_before, id) WHERE state = 'queued'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_lease ON {TABLE} (lease_until) WHERE state = 'sending'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, updated_at)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_recipient ON {TABLE} (recipient, channel)",
    f"""CREATE INDEX IF NOT EXISTS {TABLE}_message_id ON {TABLE} (provider_message_id)
        WHERE provider_message_id IS NOT NULL""",
    f"""CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        dedup_key text NOT NULL UNIQUE,
        entry_id bigint,
        idempotency_key text,
        shop_id text NOT NULL DEFAULT '',
        provider text NOT NULL,
        provider_message_id text,
        type text NOT NULL,
        hard boolean NOT NULL DEFAULT false,
        channel text NOT NULL,
        recipient text NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        description text NOT NULL DEFAULT '',
        event text NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {EVENTS_TABLE}_key ON {EVENTS_TABLE} (idempotency_key)",
    f"""CREATE INDEX IF NOT EXISTS {EVENTS_TABLE}_message_id ON {EVENTS_TABLE}
        (provider_message_id) WHERE provider_message_id IS NOT NULL""",
    f"""CREATE TABLE IF NOT EXISTS {SUPPRESSIONS_TABLE} (
        shop_id text NOT NULL,
        channel text NOT NULL CHECK (channel IN ('email', 'sms')),
        recipient text NOT NULL,
        scope text NOT NULL CHECK (scope IN ('all', 'marketing')),
        reason text NOT NULL,
        description text NOT NULL DEFAULT '',
        provider text,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (shop_id, channel, recipient, scope)
    )""",
    f"""CREATE INDEX IF NOT EXISTS {SUPPRESSIONS_TABLE}_recipient
        ON {SUPPRESSIONS_TABLE} (recipient)""",
)

#: From version 1 (leases without tokens, claims bounded by count only) to 2.
UPGRADE_FROM_1 = (
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS lease_token bigint NOT NULL DEFAULT 0",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS size bigint NOT NULL DEFAULT 0",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS pinned_to text",
    f"UPDATE {TABLE} SET size = octet_length(message)",
)

#: From version 2 to 3: the ``suppressed`` state in the CHECK (the column's own, named
#: by PostgreSQL's rule), and the new columns filled from the stored message and receipt.
UPGRADE_FROM_2 = (
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS shop_id text NOT NULL DEFAULT ''",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS sender text",
    f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS provider_message_id text",
    f"""UPDATE {TABLE} SET
        shop_id = COALESCE(message::jsonb ->> 'shop_id', ''),
        sender = CASE channel WHEN 'email' THEN message::jsonb -> 'sender' ->> 'address'
                              ELSE message::jsonb ->> 'sender' END,
        provider_message_id = receipt::jsonb ->> 'message_id'""",
    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_state_check",
    f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_state_check CHECK ({_STATES})",
)

_QUALIFIED = ", ".join(f"o.{column.strip()}" for column in COLUMNS.split(","))

#: The server's now plus %s seconds.
LEASE_UNTIL = "clock_timestamp() + make_interval(secs => %s)"

# Lapsed by the server's clock. The token stays: a late result of the lapsed
# holder still counts until someone claims the entry again.
RELEASE_EXPIRED = f"""
WITH expired AS (
    SELECT id FROM {TABLE} WHERE state = 'sending' AND lease_until <= clock_timestamp()
    FOR UPDATE SKIP LOCKED
)
UPDATE {TABLE} AS o
SET state = 'queued', last_error = '{LAPSED_PREFIX}' || o.owner || '{LAPSED_SUFFIX}',
    lease_until = NULL, owner = NULL, updated_at = %s
FROM expired WHERE o.id = expired.id
"""
_TAKE = f"""
UPDATE {TABLE} AS o
SET state = 'sending', owner = %s, lease_token = o.lease_token + 1,
    lease_until = {LEASE_UNTIL}, attempts = o.attempts + 1, updated_at = %s
"""
# Due rows nobody else is claiming, in due order; then as many as fit in the byte
# budget, and always the first. (A window function cannot sit beside FOR UPDATE,
# hence two steps; rows locked and left are free again at the commit.)
CLAIM = f"""
WITH due AS (
    SELECT id, not_before, size FROM {TABLE} WHERE state = 'queued' AND not_before <= %s
    ORDER BY not_before, id LIMIT %s
    FOR UPDATE SKIP LOCKED
), running AS (
    SELECT id, SUM(size) OVER (ORDER BY not_before, id ROWS UNBOUNDED PRECEDING) AS total,
           ROW_NUMBER() OVER (ORDER BY not_before, id) AS n
    FROM due
)
{_TAKE}
FROM running WHERE o.id = running.id AND (running.n = 1 OR running.total <= %s)
RETURNING {_QUALIFIED}
"""
CLAIM_KEY = f"""
WITH due AS (
    SELECT id FROM {TABLE}
    WHERE idempotency_key = %s AND state = 'queued' AND not_before <= %s
    FOR UPDATE SKIP LOCKED
)
{_TAKE}
FROM due WHERE o.id = due.id
RETURNING {_QUALIFIED}
"""

#: The sessions holding locks on the outbox's tables or its schema lock, oldest first.
LOCK_HOLDERS = f"""
SELECT a.pid, a.usename, a.application_name, a.client_addr::text, a.state,
       extract(epoch FROM clock_timestamp() - a.xact_start)::float8,
       btrim(regexp_replace(a.query, '[[:space:]]+', ' ', 'g')),
       string_agg(DISTINCT l.mode, ', ')
FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.granted AND a.pid <> pg_backend_pid()
  AND (l.relation IN (to_regclass('{TABLE}'), to_regclass('{VERSION_TABLE}'),
                      to_regclass('{EVENTS_TABLE}'), to_regclass('{SUPPRESSIONS_TABLE}'))
       OR (l.locktype = 'advisory' AND l.classid = %s::oid AND l.objid = %s::oid
           AND l.objsubid = 1))
GROUP BY a.pid, a.usename, a.application_name, a.client_addr, a.state, a.xact_start, a.query
ORDER BY a.xact_start NULLS LAST
"""


SET_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', %s, false)"


def psycopg_module() -> Any:
    """The psycopg module, or a :class:`ConfigurationError` naming the extra to install."""
    try:
        import psycopg
    except ImportError as exc:
        raise ConfigurationError(
            "a PostgreSQL outbox needs psycopg 3: pip install 'relationclient[postgres]'"
        ) from exc
    return psycopg


def lock_report(exc: Exception, lock_timeout: float, holders: list[Any]) -> str:
    """What waited in vain, who holds locks (rows of :data:`LOCK_HOLDERS`), what to do."""
    # The server's context line: "while inserting index tuple (0,2) in relation …".
    lines = str(exc).strip().splitlines()
    where = lines[-1].removeprefix("CONTEXT:").strip() if len(lines) > 1 else ""
    text = (
        f"outbox: waited {lock_timeout:g} s for a lock in PostgreSQL and gave up "
        f"(lock_timeout{'; ' + where if where else ''})"
    )
    if not holders:
        return text + ": whoever held it has let go since; try again"
    found = []
    for pid, user, application, client, state, seconds, query, modes in holders:
        who = f"pid {pid} (user {user}"
        who += f", application {application!r}" if application else ""
        who += f", from {client}" if client else ", over a local socket"
        who += f"; {state}" + (f", transaction open {seconds:.1f} s" if seconds else "")
        statement = query if len(query) <= 160 else query[:159] + "…"
        who += f"; holds {modes}; last statement: {statement})"
        found.append(who)
    return (
        f"{text}: held by {'; '.join(found)}. Commit or roll back that transaction "
        "(often a shop transaction left open after put(connection=…)); "
        "pg_terminate_backend(pid) ends a session that is stuck. If such waits are "
        "expected, give Outbox(lock_timeout=…) more seconds"
    )


def same_database(shop: str, outbox: str) -> None:
    """Refuse a shop connection to another database than the outbox's."""
    if shop != outbox:
        raise ConfigurationError(
            f"outbox: the connection is open on database {shop!r}, not on the outbox's "
            f"{outbox!r}: an order and its message commit together only in one database"
        )


class PostgresDialect(Dialect):
    """PostgreSQL's statements and values, sans I/O: what the sync and async stores share."""

    placeholder: ClassVar[str] = "%s"
    lease_until_sql: ClassVar[str] = LEASE_UNTIL
    lock_timeout: float

    def to_db(self, instant: datetime) -> datetime:
        """Aware datetimes go as ``timestamptz`` unchanged."""
        return instant

    def from_db(self, value: Any) -> datetime:
        """``timestamptz`` comes back in the session's zone; normalise to UTC."""
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def claim_plan(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> Plan[list[OutboxEntry]]:
        """Release lapsed leases and claim due rows, skipping rows others are locking."""
        yield Step(RELEASE_EXPIRED, [now])
        if key is None:
            claimed = yield Step(CLAIM, [now, limit, owner, lease_seconds, now, max_bytes])
        else:
            claimed = yield Step(CLAIM_KEY, [key, now, owner, lease_seconds, now])
        return sorted((self.entry(row) for row in claimed.rows), key=lambda e: (e.not_before, e.id))

    def lock_report_plan(self, exc: Exception) -> Plan[str]:
        """The text of :class:`LockTimeoutError` for ``exc``, naming who holds the locks."""
        high, low = divmod(SCHEMA_LOCK, 1 << 32)
        holders = yield Step(LOCK_HOLDERS, [high, low])
        return lock_report(exc, self.lock_timeout, holders.rows)

    def connect_options(self) -> str:
        """The ``lock_timeout`` setting every connection makes, in milliseconds."""
        return f"{max(round(self.lock_timeout * 1000), 1)}ms"


class PostgresStore(PostgresDialect, Store):
    """An outbox in the PostgreSQL database at ``url`` (a libpq URL: ``postgresql://…``).

    Raises:
        ConfigurationError: When psycopg is not installed.
    """

    schema_in_shop_transaction: ClassVar[bool] = False  # DDL here never waits for the shop

    def __init__(self, url: str, lock_timeout: float = 10.0) -> None:
        super().__init__()
        self.url = url
        self.lock_timeout = lock_timeout
        self._psycopg = psycopg_module()
        self._conn: psycopg.Connection[tuple[Any, ...]] = self._psycopg.connect(
            url, autocommit=True
        )
        self._conn.execute(SET_LOCK_TIMEOUT, [self.connect_options()])

    def clone(self) -> PostgresStore:
        """Another connection to the same database."""
        store = PostgresStore(self.url, self.lock_timeout)
        store.schema_ready = self.schema_ready
        return store

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextlib.contextmanager
    def _waiting(self) -> Iterator[None]:
        """Turn a lock timeout into an error naming who holds the outbox's locks."""
        try:
            yield
        except self._psycopg.errors.LockNotAvailable as exc:
            raise LockTimeoutError(self._lock_report(exc)) from exc

    def _lock_report(self, exc: Exception) -> str:
        """What waited in vain, who holds locks on the outbox's tables now, and what to do."""
        try:
            with self._conn.cursor() as cursor:
                return self.run(cursor, self.lock_report_plan(exc))
        except self._psycopg.Error:  # cannot even ask: say what we know
            return lock_report(exc, self.lock_timeout, [])

    @contextlib.contextmanager
    def write(self) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """A transaction, committed on exit, rolled back on any error."""
        with self._waiting(), self._conn.transaction():
            yield self._conn.cursor()

    @contextlib.contextmanager
    def read(self) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """A cursor in autocommit mode."""
        with self._waiting():
            yield self._conn.cursor()

    def shop_cursor(self, connection: object) -> psycopg.Cursor[tuple[Any, ...]]:
        """A cursor on the shop's psycopg connection, which must reach the same database."""
        if not isinstance(connection, self._psycopg.Connection):
            raise ConfigurationError(
                f"outbox on PostgreSQL: connection must be a psycopg.Connection, "
                f"not {type(connection).__name__}"
            )
        same_database(connection.info.dbname, self._conn.info.dbname)
        from psycopg.rows import tuple_row

        cursor: psycopg.Cursor[tuple[Any, ...]] = connection.cursor(row_factory=tuple_row)
        return cursor

    def schema_version(self) -> int | None:
        """The recorded version, or None when the tables do not exist yet."""
        with self.read() as cursor:
            found = cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE]).fetchone()
            if not found or not found[0]:
                return None
            row = cursor.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def create_schema(self, cursor: Any) -> None:
        """Create the tables if missing or upgrade older ones, under an advisory lock.

        The version is read again once the lock is held: of two processes
        starting at once, the second finds the work done.
        """
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
        found = cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE]).fetchone()
        version = self.recorded_version(cursor) if found and found[0] else None
        if version == SCHEMA_VERSION:
            return
        if version == 1:
            for statement in UPGRADE_FROM_1:
                cursor.execute(statement)
        if version in (1, 2):
            for statement in UPGRADE_FROM_2:
                cursor.execute(statement)
        for statement in SCHEMA:
            cursor.execute(statement)
        self.insert_version(cursor)


class AsyncPostgresStore(PostgresDialect):
    """The outbox's PostgreSQL database through psycopg's :class:`~psycopg.AsyncConnection`.

    What :meth:`~relationclient.outbox.Outbox.aput` and
    :meth:`~relationclient.outbox.Outbox.adispatch` use: the plans of
    :class:`PostgresDialect` (the same :data:`~.store.Plan` objects the sync
    :class:`PostgresStore` runs), executed with ``await`` on one connection of
    its own, opened on first use. One operation at a time holds it (an
    :class:`asyncio.Lock`), each one transaction, as the sync store's are.

    Args:
        url: The libpq URL.
        lock_timeout: Seconds a statement waits for a lock.
        ensure_schema: Creates or upgrades the tables through the outbox's sync
            connection (rare, once: run in a worker thread, so that the DDL
            and its upgrade steps are written once).
    """

    def __init__(self, url: str, lock_timeout: float, ensure_schema: Callable[[], object]) -> None:
        self.url = url
        self.lock_timeout = lock_timeout
        self._psycopg = psycopg_module()
        self._ensure_schema = ensure_schema
        self._schema_ready = False
        self._conn: psycopg.AsyncConnection[tuple[Any, ...]] | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> psycopg.AsyncConnection[tuple[Any, ...]]:
        """The connection (held under ``self._lock``), opened again if it broke."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            conn = await self._psycopg.AsyncConnection.connect(self.url, autocommit=True)
            await conn.execute(SET_LOCK_TIMEOUT, [self.connect_options()])
            self._conn = conn
        return self._conn

    async def drive(self, cursor: Any, plan: Plan[T]) -> T:
        """Execute ``plan``'s statements on an async ``cursor``; the plan's answer."""
        try:
            step = next(plan)
            while True:
                await cursor.execute(self.sql(step.statement), step.params)
                rows = await cursor.fetchall() if cursor.description is not None else []
                step = plan.send(Rows(rows, cursor.rowcount))
        except StopIteration as done:
            return cast(T, done.value)
        finally:
            plan.close()

    async def run(self, plan: Plan[T]) -> T:
        """``plan`` in one transaction of the store's connection."""
        async with self._lock:
            conn = await self._connected()
            try:
                async with conn.transaction():
                    return await self.drive(conn.cursor(), plan)
            except self._psycopg.errors.LockNotAvailable as exc:
                try:
                    text = await self.drive(conn.cursor(), self.lock_report_plan(exc))
                except self._psycopg.Error:  # cannot even ask: say what we know
                    text = lock_report(exc, self.lock_timeout, [])
                raise LockTimeoutError(text) from exc

    async def ensure_schema(self) -> None:
        """Create or upgrade the tables (through the sync connection, in a thread), once."""
        if not self._schema_ready:
            await asyncio.to_thread(self._ensure_schema)
            self._schema_ready = True

    async def insert(
        self, new: NewEntry, connection: object | None = None
    ) -> tuple[OutboxEntry, bool]:
        """Store ``new`` (:meth:`~.store.Dialect.insert_plan`).

        With ``connection`` (a :class:`psycopg.AsyncConnection`), in the shop's transaction.
        """
        if connection is None:
            return await self.run(self.insert_plan(new))
        if not isinstance(connection, self._psycopg.AsyncConnection):
            raise ConfigurationError(
                "outbox on PostgreSQL: aput(connection=…) takes a psycopg.AsyncConnection, "
                f"not {type(connection).__name__}"
            )
        async with self._lock:
            own = await self._connected()
            same_database(connection.info.dbname, own.info.dbname)
        from psycopg.rows import tuple_row

        return await self.drive(connection.cursor(row_factory=tuple_row), self.insert_plan(new))

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """Claim due entries (:meth:`PostgresDialect.claim_plan`)."""
        return await self.run(self.claim_plan(owner, now, lease_seconds, limit, max_bytes, key))

    async def suppressions_for(self, entries: Sequence[OutboxEntry]) -> list[Suppression]:
        """The list's lines about the recipients of ``entries``."""
        return await self.run(self.suppressions_plan(entries))

    async def renew(self, held: Sequence[tuple[int, int]], lease_seconds: float) -> set[int]:
        """Push leases on (``lease_seconds=0``: end them now); the ids still held."""
        return await self.run(self.renew_plan(held, lease_seconds))

    async def record(self, now: datetime, outcomes: Sequence[Outcome]) -> set[int]:
        """Record how claimed entries ended; the ids recorded."""
        return await self.run(self.record_plan(now, outcomes))

    def clone(self) -> AsyncPostgresStore:
        """Another store on a connection of its own (opened on first use), for one more worker."""
        store = AsyncPostgresStore(self.url, self.lock_timeout, self._ensure_schema)
        store._schema_ready = self._schema_ready
        return store

    async def aclose(self) -> None:
        """Close the connection; the next operation opens another."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def abandon(self) -> None:
        """Close the connection without awaiting: its event loop has ended."""
        if self._conn is not None:
            self._conn.pgconn.finish()
            self._conn = None
