"""Waiting on a lock another connection holds: a bounded wait, then an error saying who and what.

SQLite cannot name the holder of its write lock, so the error lists what
usually holds it and what to do; PostgreSQL can, and the error names the
session from ``pg_stat_activity``. Every wait here is bounded by a short
``lock_timeout``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from relationclient.outbox import NO_QUIET_HOURS, LockTimeoutError, Outbox
from relationclient.transports import MemoryTransport

from ..transports.sample_messages import email
from .conftest import PostgresServer


def sqlite_outbox(path: Path, **options: float) -> Outbox:
    return Outbox(f"sqlite:///{path}", quiet_hours=NO_QUIET_HOURS, **options)  # type: ignore[arg-type]


def test_sqlite_a_write_lock_held_by_a_shop_connection_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    with sqlite_outbox(path, lock_timeout=0.3) as outbox:
        outbox.put(email(seed=1))
        shop = sqlite3.connect(path)
        shop.execute("CREATE TABLE orders (number TEXT)")
        shop.execute("INSERT INTO orders VALUES ('ML-1')")  # a write, not committed

        with pytest.raises(LockTimeoutError) as info:
            outbox.dispatch(MemoryTransport())

        text = str(info.value)
        assert "waited 0.3 s" in text
        assert "another connection or process holds SQLite's write lock" in text
        assert "Commit or close it" in text
        assert "lock_timeout" in text
        assert isinstance(info.value, TimeoutError)
        shop.commit()  # the holder lets go: the same outbox carries on
        assert outbox.dispatch(MemoryTransport()).sent == 1
        shop.close()


def test_sqlite_opening_while_another_connection_holds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    shop = sqlite3.connect(path, isolation_level=None)  # the shop's file, rollback journal
    shop.execute("CREATE TABLE orders (number TEXT)")
    shop.execute("BEGIN EXCLUSIVE")
    shop.execute("INSERT INTO orders VALUES ('ML-1')")

    # Once reported as "ConfigurationError: cannot open SQLite file".
    with pytest.raises(LockTimeoutError, match=r"\(opening it\).*holds SQLite's write lock"):
        sqlite_outbox(path, lock_timeout=0.3).counts()

    shop.execute("COMMIT")
    shop.close()
    with sqlite_outbox(path) as outbox:
        assert outbox.counts()["queued"] == 0


def test_postgres_names_the_session_holding_the_lock(postgres_server: PostgresServer) -> None:
    url = postgres_server.new_database()
    message = email()
    with Outbox(url, quiet_hours=NO_QUIET_HOURS, lock_timeout=0.3) as outbox:
        outbox.put(email(seed=1))  # the tables exist
        shop = psycopg.connect(url, application_name="shop-web")
        outbox.put(message, connection=shop)  # in the shop's transaction, not committed

        # Storing the same key again (a retried web request, say) waits for the shop's
        # transaction to decide; after lock_timeout, the error says whose it is.
        with pytest.raises(LockTimeoutError) as info:
            outbox.put(message)

        text = str(info.value)
        assert "waited 0.3 s" in text
        assert f"pid {shop.info.backend_pid}" in text
        assert "application 'shop-web'" in text
        assert "idle in transaction" in text
        assert "INSERT INTO relationclient_outbox" in text
        assert "Commit or roll back that transaction" in text
        shop.commit()
        assert outbox.put(message).state == "queued"  # the shop's entry, found
        assert outbox.counts()["queued"] == 2
        shop.close()


def test_lock_timeout_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lock_timeout"):
        sqlite_outbox(tmp_path / "o.sqlite3", lock_timeout=0)
