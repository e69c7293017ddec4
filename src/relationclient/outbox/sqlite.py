"""The embedded outbox: one SQLite file, in WAL mode, every commit synced to disk.

``synchronous=FULL`` makes each commit wait for the write-ahead log to reach
the disk, so a state change the outbox reported survives a power cut. Writers
open their transactions with ``BEGIN IMMEDIATE``: they take SQLite's single
write lock up front, so two dispatchers (threads or processes) claiming at the
same moment run one after the other instead of both reading the same due
rows; readers are never blocked (WAL). Instants are stored as UTC epoch
seconds, which compare and index as plain numbers.

The database's clock, for leases, is SQLite's ``julianday('now')``: the clock
of the machine the file is on, which every process sharing the file shares (a
SQLite file serves one machine). A connection waits for a lock another holds
up to ``lock_timeout`` seconds, then raises
:class:`~relationclient.outbox.LockTimeoutError` saying what may hold it:
SQLite cannot tell which connection does.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

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
    LockTimeoutError,
    Plan,
    Step,
    Store,
)

__all__ = ["SQLiteStore", "check_path"]

#: Now, by SQLite's clock, in the epoch seconds the outbox stores instants as.
NOW = "((julianday('now') - 2440587.5) * 86400.0)"

#: The entries' table, as schema 3 has it (``{name}``: so that an upgrade can build it
#: beside the old one).
ENTRIES = """CREATE TABLE IF NOT EXISTS {name} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'sent', 'dead', 'suppressed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL,
        lease_until REAL,
        owner TEXT,
        last_error TEXT,
        receipt TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        message TEXT NOT NULL,
        lease_token INTEGER NOT NULL DEFAULT 0,
        size INTEGER NOT NULL DEFAULT 0,
        pinned_to TEXT,
        shop_id TEXT NOT NULL DEFAULT '',
        sender TEXT,
        provider_message_id TEXT
    )"""

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)",
    ENTRIES.format(name=TABLE),
    f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (not_before, id) WHERE state = 'queued'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_lease ON {TABLE} (lease_until) WHERE state = 'sending'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, updated_at)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_recipient ON {TABLE} (recipient, channel)",
    f"""CREATE INDEX IF NOT EXISTS {TABLE}_message_id ON {TABLE} (provider_message_id)
        WHERE provider_message_id IS NOT NULL""",
    f"""CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dedup_key TEXT NOT NULL UNIQUE,
        entry_id INTEGER,
        idempotency_key TEXT,
        shop_id TEXT NOT NULL DEFAULT '',
        provider TEXT NOT NULL,
        provider_message_id TEXT,
        type TEXT NOT NULL,
        hard INTEGER NOT NULL DEFAULT 0,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        occurred_at REAL NOT NULL,
        recorded_at REAL NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        event TEXT NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {EVENTS_TABLE}_key ON {EVENTS_TABLE} (idempotency_key)",
    f"""CREATE INDEX IF NOT EXISTS {EVENTS_TABLE}_message_id ON {EVENTS_TABLE}
        (provider_message_id) WHERE provider_message_id IS NOT NULL""",
    f"""CREATE TABLE IF NOT EXISTS {SUPPRESSIONS_TABLE} (
        shop_id TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        recipient TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('all', 'marketing')),
        reason TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        provider TEXT,
        created_at REAL NOT NULL,
        PRIMARY KEY (shop_id, channel, recipient, scope)
    )""",
    f"""CREATE INDEX IF NOT EXISTS {SUPPRESSIONS_TABLE}_recipient
        ON {SUPPRESSIONS_TABLE} (recipient)""",
)

#: From version 1 (leases without tokens, claims bounded by count only) to 2.
UPGRADE_FROM_1 = (
    f"ALTER TABLE {TABLE} ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0",
    f"ALTER TABLE {TABLE} ADD COLUMN size INTEGER NOT NULL DEFAULT 0",
    f"ALTER TABLE {TABLE} ADD COLUMN pinned_to TEXT",
    f"UPDATE {TABLE} SET size = length(CAST(message AS BLOB))",
)

_V2_COLUMNS = (
    "id, idempotency_key, channel, kind, recipient, state, attempts, not_before, lease_until, "
    "owner, last_error, receipt, created_at, updated_at, message, lease_token, size, pinned_to"
)
#: From version 2 to 3: a new state needs a new CHECK, which SQLite changes only by
#: building the table anew (its documented way: create, copy, drop, rename); the
#: new columns are filled from the stored message and receipt. ``sqlite_sequence``
#: keeps its high mark, so ids of purged entries are never reused.
UPGRADE_FROM_2 = (
    ENTRIES.format(name=f"{TABLE}_v3"),
    f"""INSERT INTO {TABLE}_v3 ({_V2_COLUMNS}, shop_id, sender, provider_message_id)
    SELECT {_V2_COLUMNS}, COALESCE(json_extract(message, '$.shop_id'), ''),
           CASE channel WHEN 'email' THEN json_extract(message, '$.sender.address')
                        ELSE json_extract(message, '$.sender') END,
           json_extract(receipt, '$.message_id')
    FROM {TABLE}""",
    f"""CREATE TEMP TABLE {TABLE}_sequence AS
    SELECT seq FROM sqlite_sequence WHERE name = '{TABLE}'""",
    f"DROP TABLE {TABLE}",
    f"ALTER TABLE {TABLE}_v3 RENAME TO {TABLE}",
    f"""INSERT INTO sqlite_sequence (name, seq) SELECT '{TABLE}', seq FROM {TABLE}_sequence
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{TABLE}')""",
    f"""UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT MAX(seq) FROM
    {TABLE}_sequence), 0)) WHERE name = '{TABLE}'""",
    f"DROP TABLE {TABLE}_sequence",
)

# Lapsed by the database's clock. The token stays: a late result of the lapsed
# holder still counts until someone claims the entry again.
RELEASE_EXPIRED = f"""
UPDATE {TABLE}
SET state = 'queued', last_error = '{LAPSED_PREFIX}' || owner || '{LAPSED_SUFFIX}',
    lease_until = NULL, owner = NULL, updated_at = ?
WHERE state = 'sending' AND lease_until <= {NOW}
"""
_TAKE = f"""
UPDATE {TABLE}
SET state = 'sending', owner = ?, lease_token = lease_token + 1, lease_until = {NOW} + ?,
    attempts = attempts + 1, updated_at = ?
"""
# Due entries in due order (no sort of the backlog), as many as fit in the byte
# budget, and always the first.
CLAIM = f"""
WITH due AS (
    SELECT id, not_before, size FROM {TABLE} INDEXED BY {TABLE}_due
    WHERE state = 'queued' AND not_before <= ?
    ORDER BY not_before, id LIMIT ?
), running AS (
    SELECT id, SUM(size) OVER (ORDER BY not_before, id ROWS UNBOUNDED PRECEDING) AS total,
           ROW_NUMBER() OVER (ORDER BY not_before, id) AS n
    FROM due
)
{_TAKE}
WHERE id IN (SELECT id FROM running WHERE n = 1 OR total <= ?)
RETURNING {COLUMNS}
"""
CLAIM_KEY = f"""
{_TAKE}
WHERE idempotency_key = ? AND state = 'queued' AND not_before <= ?
RETURNING {COLUMNS}
"""

_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _busy(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says another connection kept a lock SQLite waited for in vain."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _BUSY
    return "locked" in str(exc)  # pragma: no cover - Python before 3.11


def check_path(path: str) -> str:
    """The absolute form of ``path``, refusing in-memory databases.

    Raises:
        ConfigurationError: For ``:memory:`` and ``file:`` URIs: an in-memory
            database is neither durable nor shared by the outbox's connections.
    """
    if path in ("", ":memory:") or path.startswith("file:"):
        raise ConfigurationError(
            f"outbox: SQLite database {path!r} is not a file path; the outbox needs a "
            "file (a temporary one does for tests)"
        )
    return os.path.abspath(path)


class SQLiteStore(Store):
    """An outbox in the SQLite file at ``path`` (created if missing).

    Args:
        path: The database file. The shop's own database file works too: the
            outbox only adds ``relationclient_outbox*`` tables (and turns WAL on).
        lock_timeout: Seconds to wait for a lock another connection holds.

    Raises:
        ConfigurationError: For an in-memory database (not durable, and not
            shared between the outbox's connections) or a file that cannot be
            opened.
        LockTimeoutError: When another connection kept the file locked for
            ``lock_timeout`` seconds while this one opened it.
    """

    single_writer: ClassVar[bool] = True
    lease_until_sql: ClassVar[str] = f"{NOW} + ?"

    def __init__(self, path: str, lock_timeout: float = 10.0) -> None:
        super().__init__()
        self.path = check_path(path)
        self.lock_timeout = lock_timeout
        with self._waiting("opening it"):
            try:
                self._conn = sqlite3.connect(
                    self.path, timeout=lock_timeout, isolation_level=None, check_same_thread=False
                )
                mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
            except sqlite3.OperationalError as exc:
                if _busy(exc):
                    raise
                raise ConfigurationError(
                    f"outbox: cannot open SQLite file {self.path}: {exc}"
                ) from exc
        if str(mode).lower() != "wal":
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                # The shop's connection holds the file in a transaction (a first ``put``
                # joining it). The rollback journal is as durable, only less concurrent;
                # the outbox's next connection switches to WAL.
                if not _busy(exc):
                    raise
        self._conn.execute("PRAGMA synchronous=FULL")

    @contextlib.contextmanager
    def _waiting(self, what: str) -> Iterator[None]:
        """Turn SQLite's "database is locked", once ``lock_timeout`` is over, into a clear error."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
            raise LockTimeoutError(
                f"outbox: waited {self.lock_timeout:g} s for a lock on the SQLite file "
                f"{self.path} ({what}) and gave up: another connection or process holds "
                "SQLite's write lock. SQLite cannot say which; usually it is a transaction "
                "left open — a shop connection that wrote and has not committed (a "
                "put(connection=…) joins that transaction until it commits), a long batch "
                "job, or a sqlite3 shell with a write pending. Commit or close it; if such "
                "waits are expected, give Outbox(lock_timeout=…) more seconds"
            ) from exc

    def clone(self) -> SQLiteStore:
        """Another connection to the same file."""
        store = SQLiteStore(self.path, self.lock_timeout)
        store.schema_ready = self.schema_ready
        return store

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        cursor = self._conn.cursor()
        with self._waiting("taking the write lock"):
            cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
            with self._waiting("committing"):
                cursor.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.rollback()
            raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        """A cursor in autocommit mode: each read sees the latest commit."""
        with self._waiting("reading"):
            yield self._conn.cursor()

    def shop_cursor(self, connection: object) -> sqlite3.Cursor:
        """A cursor on the shop's connection, which must be open on this very file."""
        if not isinstance(connection, sqlite3.Connection):
            raise ConfigurationError(
                f"outbox on SQLite: connection must be a sqlite3.Connection, "
                f"not {type(connection).__name__}"
            )
        cursor = connection.cursor()
        cursor.row_factory = None  # plain tuples, whatever the shop's own factory
        files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
        if not files or os.path.realpath(files[0]) != os.path.realpath(self.path):
            raise ConfigurationError(
                f"outbox: the connection is open on {files[0] if files else 'nothing'!r}, not on "
                f"the outbox's {self.path}: an order and its message commit together only in "
                "one database"
            )
        return cursor

    def schema_version(self) -> int | None:
        """The recorded version, read without taking the write lock."""
        cursor = self._conn.cursor()
        try:
            with self._waiting("reading the schema version"):
                rows = cursor.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if rows[0][0] is None else int(rows[0][0])

    def create_schema(self, cursor: Any) -> None:
        """Create the tables if missing, upgrade older ones, and record the version.

        Runs under SQLite's write lock, so the version read here is the latest:
        two processes upgrading at once do it one after the other, the second
        finding nothing left to do.
        """
        found = cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [VERSION_TABLE]
        ).fetchall()
        version = self.recorded_version(cursor) if found else None
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

    def to_db(self, instant: datetime) -> float:
        """Epoch seconds."""
        return instant.timestamp()

    def from_db(self, value: Any) -> datetime:
        """From epoch seconds to an aware UTC datetime."""
        return datetime.fromtimestamp(float(value), UTC)

    def claim_plan(
        self,
        owner: str,
        now: datetime,
        lease_seconds: float,
        limit: int,
        max_bytes: int,
        key: str | None = None,
    ) -> Plan[list[OutboxEntry]]:
        """Release lapsed leases and claim (run under SQLite's one write lock)."""
        at = self.to_db(now)
        yield Step(RELEASE_EXPIRED, [at])
        if key is None:
            claimed = yield Step(CLAIM, [at, limit, owner, lease_seconds, at, max_bytes])
        else:
            claimed = yield Step(CLAIM_KEY, [owner, lease_seconds, at, key, at])
        return sorted((self.entry(row) for row in claimed.rows), key=lambda e: (e.not_before, e.id))
