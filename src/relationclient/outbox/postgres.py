"""The outbox in PostgreSQL, through psycopg 3, for several machines sharing one queue.

Claims lock the due rows with ``SELECT … FOR UPDATE SKIP LOCKED``: concurrent
dispatchers each take different rows without waiting for one another, and a
row another dispatcher is claiming right now is simply skipped. The lease
written by the claim then keeps the row out of other claims after the
transaction ends. psycopg is imported on first use, so shops on SQLite never
need it; a missing install is reported with the extra to add.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ConfigurationError
from .entry import OutboxEntry
from .store import COLUMNS, LAPSED_PREFIX, LAPSED_SUFFIX, TABLE, VERSION_TABLE, Store

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore", "psycopg_module"]

#: Taken while creating the tables, so two processes starting at once do not race.
SCHEMA_LOCK = 0x72656C6F7574626F  # "reloutbo"

SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        channel text NOT NULL,
        kind text NOT NULL,
        recipient text NOT NULL,
        state text NOT NULL DEFAULT 'queued'
            CHECK (state IN ('queued', 'sending', 'sent', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        not_before timestamptz NOT NULL,
        lease_until timestamptz,
        owner text,
        last_error text,
        receipt text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        message text NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_due ON {TABLE} (not_before, id) WHERE state = 'queued'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_lease ON {TABLE} (lease_until) WHERE state = 'sending'",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_state ON {TABLE} (state, updated_at)",
)

_QUALIFIED = ", ".join(f"o.{column.strip()}" for column in COLUMNS.split(","))

RELEASE_EXPIRED = f"""
WITH expired AS (
    SELECT id FROM {TABLE} WHERE state = 'sending' AND lease_until <= %s
    FOR UPDATE SKIP LOCKED
)
UPDATE {TABLE} AS o
SET state = 'queued', last_error = '{LAPSED_PREFIX}' || o.owner || '{LAPSED_SUFFIX}',
    lease_until = NULL, owner = NULL, updated_at = %s
FROM expired WHERE o.id = expired.id
"""
CLAIM = f"""
WITH due AS (
    SELECT id FROM {TABLE} WHERE state = 'queued' AND not_before <= %s
    ORDER BY not_before, id LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE {TABLE} AS o
SET state = 'sending', owner = %s, lease_until = %s, attempts = o.attempts + 1, updated_at = %s
FROM due WHERE o.id = due.id
RETURNING {_QUALIFIED}
"""

CLAIM_KEY = f"""
WITH due AS (
    SELECT id FROM {TABLE}
    WHERE idempotency_key = %s AND state = 'queued' AND not_before <= %s
    FOR UPDATE SKIP LOCKED
)
UPDATE {TABLE} AS o
SET state = 'sending', owner = %s, lease_until = %s, attempts = o.attempts + 1, updated_at = %s
FROM due WHERE o.id = due.id
RETURNING {_QUALIFIED}
"""


def psycopg_module() -> Any:
    """The psycopg module, or a :class:`ConfigurationError` naming the extra to install."""
    try:
        import psycopg
    except ImportError as exc:
        raise ConfigurationError(
            "a PostgreSQL outbox needs psycopg 3: pip install 'relationclient[postgres]'"
        ) from exc
    return psycopg


class PostgresStore(Store):
    """An outbox in the PostgreSQL database at ``url`` (a libpq URL: ``postgresql://…``).

    Raises:
        ConfigurationError: When psycopg is not installed.
    """

    placeholder: ClassVar[str] = "%s"
    schema_in_shop_transaction: ClassVar[bool] = False  # DDL here never waits for the shop

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._psycopg = psycopg_module()
        self._conn: psycopg.Connection[tuple[Any, ...]] = self._psycopg.connect(
            url, autocommit=True
        )

    def clone(self) -> PostgresStore:
        """Another connection to the same database."""
        store = PostgresStore(self.url)
        store.schema_ready = self.schema_ready
        return store

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """A transaction, committed on exit, rolled back on any error."""
        with self._conn.transaction():
            yield self._conn.cursor()

    @contextlib.contextmanager
    def read(self) -> Iterator[psycopg.Cursor[tuple[Any, ...]]]:
        """A cursor in autocommit mode."""
        yield self._conn.cursor()

    def shop_cursor(self, connection: object) -> psycopg.Cursor[tuple[Any, ...]]:
        """A cursor on the shop's psycopg connection, which must reach the same database."""
        if not isinstance(connection, self._psycopg.Connection):
            raise ConfigurationError(
                f"outbox on PostgreSQL: connection must be a psycopg.Connection, "
                f"not {type(connection).__name__}"
            )
        if connection.info.dbname != self._conn.info.dbname:
            raise ConfigurationError(
                f"outbox: the connection is open on database {connection.info.dbname!r}, not on "
                f"the outbox's {self._conn.info.dbname!r}: an order and its message commit "
                "together only in one database"
            )
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
        """Create the tables and indexes if missing, under an advisory lock, with the version."""
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
        for statement in SCHEMA:
            cursor.execute(statement)
        self.insert_version(cursor)

    def to_db(self, instant: datetime) -> datetime:
        """Aware datetimes go as ``timestamptz`` unchanged."""
        return instant

    def from_db(self, value: Any) -> datetime:
        """``timestamptz`` comes back in the session's zone; normalise to UTC."""
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def claim(
        self,
        owner: str,
        now: datetime,
        lease_until: datetime,
        limit: int,
        key: str | None = None,
    ) -> list[OutboxEntry]:
        """Release expired leases and claim due rows, skipping rows others are locking."""
        with self.write() as cursor:
            cursor.execute(RELEASE_EXPIRED, [now, now])
            if key is None:
                rows = cursor.execute(CLAIM, [now, limit, owner, lease_until, now]).fetchall()
            else:
                rows = cursor.execute(CLAIM_KEY, [key, now, owner, lease_until, now]).fetchall()
        return sorted((self.entry(row) for row in rows), key=lambda e: (e.not_before, e.id))
