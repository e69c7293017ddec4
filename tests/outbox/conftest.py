"""Fixtures of the outbox tests: a real PostgreSQL server, fresh databases, a clock we move.

The PostgreSQL server binaries are looked up (:func:`tests.services.postgres_bindir`:
``initdb`` on the PATH, ``pg_config``, Debian's postgresql-common); the server is
started here in a temporary directory on 127.0.0.1 and a free port (trust
authentication), once per test session, and stopped at the end. ``outbox_url``
runs each test against SQLite and PostgreSQL; without PostgreSQL the
PostgreSQL half skips, naming Debian's package (it fails under
``RELATIONCLIENT_REQUIRE_SERVICES=1``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from relationclient.outbox import NO_QUIET_HOURS, Outbox

from ..services import require, require_module, unavailable
from ..transports.smtp_server import SMTPServer

# The postgres extra (part of the test extra). test_outbox.py imports psycopg on
# its own, so without it this whole folder skips, naming the extra.
psycopg = require_module("psycopg", "postgres")


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running PostgreSQL server; :meth:`new_database` gives each test a clean slate."""

    host: str
    port: int
    database: str
    _numbers: Iterator[int]

    def url(self, database: str | None = None) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database or self.database}"

    def new_database(self) -> str:
        """The URL of an empty schema of its own (on the search path of every connection).

        A schema costs a millisecond where ``CREATE DATABASE`` costs half a second.
        """
        name = f"test_{next(self._numbers)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        return f"{self.url()}?options=-csearch_path%3D{name}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server of our own on 127.0.0.1, for the whole session."""
    bindir = require("postgresql")
    prefix: list[str] = []
    as_root = os.geteuid() == 0  # the server refuses to run as root: hand it to postgres
    if as_root:
        if shutil.which("runuser") is None:
            pytest.fail("running as root, runuser (util-linux) is needed to start PostgreSQL")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable(
                "running as root and there is no 'postgres' user to run the server as: "
                "install Debian's package (apt-get install postgresql), which creates it"
            )
        prefix = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="relationclient-pg-"))
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, log = base / "data", base / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(
                f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                f"{server_log}",
                pytrace=False,
            )

    port = free_port()
    run(
        str(bindir / "initdb"),
        *("-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"),
        "--no-sync",  # the cluster is thrown away; the outbox's own commits still fsync
    )
    options = f"-h 127.0.0.1 -p {port} -k {base} -c max_connections=200"
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
    try:
        server = PostgresServer("127.0.0.1", port, "relationclient_test", count(1))
        with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {server.database}")
        yield server
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty outbox database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


class Clock:
    """A clock the test moves by hand; starts on a Tuesday morning in March (no holiday)."""

    def __init__(self, start: datetime = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


MakeOutbox = Callable[..., Outbox]


@pytest.fixture
def make_outbox(outbox_url: str, clock: Clock) -> Iterator[MakeOutbox]:
    """Build outboxes on ``outbox_url`` (fake clock, no quiet hours unless given); closed after."""
    made: list[Outbox] = []

    def make(**options: Any) -> Outbox:
        options.setdefault("clock", clock)
        options.setdefault("quiet_hours", NO_QUIET_HOURS)
        outbox = Outbox(options.pop("url", outbox_url), **options)
        made.append(outbox)
        return outbox

    yield make
    for outbox in made:
        outbox.close()


@pytest.fixture
def outbox(make_outbox: MakeOutbox) -> Outbox:
    """An outbox on the test's database, with the fake clock and no quiet hours."""
    return make_outbox()


ShopConnection = sqlite3.Connection | psycopg.Connection[Any]


def connect(url: str) -> ShopConnection:
    """A connection as the shop would open it: sqlite3 or psycopg defaults, autocommit off."""
    if url.startswith("sqlite:///"):
        return sqlite3.connect(url.removeprefix("sqlite:///"))
    return psycopg.connect(url)


@pytest.fixture
def shop_connection(outbox_url: str) -> Iterator[ShopConnection]:
    """The shop's own connection to the outbox's database, with an ``orders`` table."""
    conn = connect(outbox_url)
    conn.execute("CREATE TABLE orders (number TEXT PRIMARY KEY)")
    conn.commit()
    yield conn
    conn.close()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A plain loopback SMTP server (no TLS, no AUTH) recording what it accepts."""
    server = SMTPServer().start()
    yield server
    server.stop()
