"""The embedded outbox: one SQLite file, in WAL mode, every commit synced to disk.

``synchronous=FULL`` makes each commit wait for the write-ahead log to reach
the disk, so a state change the outbox reported survives a power cut. Writers
open their transactions with ``BEGIN IMMEDIATE``: they take SQLite's single
write lock up front, so two dispatchers (threads or processes) claiming at the
same moment run one after the other instead of both reading the same due
rows; readers are never blocked (WAL). Instants are stored as UTC epoch
seconds, which compare and index as plain numbers.
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
from .store import COLUMNS, LAPSED_PREFIX, LAPSED_SUFFIX, TABLE, VERSION_TABLE, Store

__all__ = ["SQLiteStore", "check_path"]

#: Seconds a writer waits for another's lock before giving up.
BUSY_TIMEOUT = 30.0

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL,
        lease_until REAL,
        owner TEXT,
        last_error TEXT,
        receipt TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        message TEXT NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (not_before, id) WHERE state = 'queued'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_lease ON {TABLE} (lease_until) WHERE state = 'sending'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, updated_at)",
)

RELEASE_EXPIRED = f"""
UPDATE {TABLE}
SET state = 'queued', last_error = '{LAPSED_PREFIX}' || owner || '{LAPSED_SUFFIX}',
    lease_until = NULL, owner = NULL, updated_at = ?
WHERE state = 'sending' AND lease_until <= ?
"""
CLAIM = f"""
UPDATE {TABLE}
SET state = 'sending', owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
WHERE id IN (
    SELECT id FROM {TABLE} INDEXED BY {TABLE}_due  -- in due order, no sort of the backlog
    WHERE state = 'queued' AND not_before <= ?
    ORDER BY not_before, id LIMIT ?
)
RETURNING {COLUMNS}
"""

CLAIM_KEY = f"""
UPDATE {TABLE}
SET state = 'sending', owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
WHERE idempotency_key = ? AND state = 'queued' AND not_before <= ?
RETURNING {COLUMNS}
"""


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

    Raises:
        ConfigurationError: For an in-memory database (not durable, and not
            shared between the outbox's connections) or a file that cannot be
            opened.
    """

    single_writer: ClassVar[bool] = True

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = check_path(path)
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
        except sqlite3.OperationalError as exc:
            raise ConfigurationError(f"outbox: cannot open SQLite file {self.path}: {exc}") from exc
        if str(mode).lower() != "wal":
            try:
                self._conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                # The shop's connection holds the file in a transaction (a first ``put``
                # joining it). The rollback journal is as durable, only less concurrent;
                # the outbox's next connection switches to WAL.
                if "locked" not in str(exc):
                    raise
        self._conn.execute("PRAGMA synchronous=FULL")

    def clone(self) -> SQLiteStore:
        """Another connection to the same file."""
        store = SQLiteStore(self.path)
        store.schema_ready = self.schema_ready
        return store

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error."""
        cursor = self._conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.rollback()
            raise

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Cursor]:
        """A cursor in autocommit mode: each read sees the latest commit."""
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
            rows = cursor.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return None if rows[0][0] is None else int(rows[0][0])

    def create_schema(self, cursor: Any) -> None:
        """Create the tables and indexes if missing, and record the version."""
        for statement in SCHEMA:
            cursor.execute(statement)
        self.insert_version(cursor)

    def to_db(self, instant: datetime) -> float:
        """Epoch seconds."""
        return instant.timestamp()

    def from_db(self, value: Any) -> datetime:
        """From epoch seconds to an aware UTC datetime."""
        return datetime.fromtimestamp(float(value), UTC)

    def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """Release expired leases and claim, under SQLite's one write lock."""
        at = self.to_db(now)
        until = self.to_db(lease_until)
        with self.write() as cursor:
            cursor.execute(RELEASE_EXPIRED, [at, at])
            if key is None:
                rows = cursor.execute(CLAIM, [owner, until, at, at, limit]).fetchall()
            else:
                rows = cursor.execute(CLAIM_KEY, [owner, until, at, key, at]).fetchall()
        return sorted((self.entry(row) for row in rows), key=lambda e: (e.not_before, e.id))
