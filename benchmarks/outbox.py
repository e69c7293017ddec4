"""Outbox benchmark: dispatch on PostgreSQL by 1 and 4 processes, against bare ``send_many``.

Everything goes over STARTTLS to one aiosmtpd server in a process of its own,
through the send benchmark's TCP proxy adding 20 ms of round trip (a provider
far away), and every sender runs in a process of its own too, so that none
shares the interpreter lock with the proxy:

* bare: ``SMTPTransport.send_many`` of the batch, four pooled connections;
* the outbox on PostgreSQL, filled beforehand, drained by dispatcher processes
  (``Outbox.dispatch`` in a loop, every claim, renewal and result committed):
  one process with four connections, four processes with one connection each
  (four connections in all, as bare: the design's target, at least 70 % of
  bare), and four processes with four each (the default transport);
* the embedded outbox: ``put`` then ``dispatch`` on SQLite (WAL,
  ``synchronous=FULL``) by one process, on bare loopback, as before.

Processes start, connect and wait at a barrier; the clock runs from the
barrier to the last one done. PostgreSQL is a throw-away cluster started here,
found as the tests find it (``tests/services.py``), or the server at
``$RELATIONCLIENT_BENCH_POSTGRES`` (a libpq URL); without either, the
PostgreSQL rows are left out with a note.
"""

from __future__ import annotations

import multiprocessing
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count as counter
from pathlib import Path
from typing import Any

from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import RetryPolicy, SMTPTransport

from .send import _client_context, _emails, _free_port, latency_proxy, smtp_server

Row = tuple[str, float, str]

#: Quick retries: nothing should fail here, and a retry must not stall the run.
RETRY = RetryPolicy(attempts=5, base=0.01, cap=0.05)


# -- a PostgreSQL server ---------------------------------------------------------------------
@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A libpq URL of a PostgreSQL server for the run, or None when there is none here."""
    given = os.environ.get("RELATIONCLIENT_BENCH_POSTGRES", "").strip()
    if given:
        yield given
        return
    try:
        from tests.services import postgres_bindir  # the tests' own lookup: one way to find it
    except ImportError:
        yield None
        return
    bindir = postgres_bindir()
    if bindir is None:
        yield None
        return
    prefix: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="relationclient-bench-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            yield None
            return
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    options = f"-h 127.0.0.1 -p {port} -k {base}"
    log = str(base / "server.log")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", log, "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


_schemas = counter(1)


def _fresh_outbox(server: str, emails: list[Any]) -> str:
    """An outbox in a schema of its own on ``server``, filled with ``emails`` in one commit."""
    import psycopg

    schema = f"bench_{os.getpid()}_{next(_schemas)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = f"{server}?options=-csearch_path%3D{schema}"
    with Outbox(url, quiet_hours=NO_QUIET_HOURS) as outbox, psycopg.connect(url) as shop:
        outbox.counts()  # make the tables before the shop's transaction
        for email in emails:
            outbox.put(email, connection=shop)
        shop.commit()
    return url


# -- the senders, each a process ---------------------------------------------------------
def _transport(port: int, pool: int) -> SMTPTransport:
    return SMTPTransport(
        "127.0.0.1", port, security="starttls", ssl_context=_client_context(), pool_size=pool
    )


def _bare(port: int, count: int, barrier: Any, results: Any) -> None:
    emails = _emails(count)
    with _transport(port, 4) as smtp:
        barrier.wait()
        start = time.monotonic()
        smtp.send_many(emails, concurrency=4)
        results.put((start, time.monotonic(), count))


def _dispatcher(url: str, port: int, pool: int, batch: int, barrier: Any, results: Any) -> None:
    with (
        Outbox(url, quiet_hours=NO_QUIET_HOURS, retry=RETRY) as outbox,
        _transport(port, pool) as smtp,
    ):
        outbox.counts()  # connected before the clock starts
        barrier.wait()
        start, sent = time.monotonic(), 0
        while True:
            report = outbox.dispatch(smtp, batch_size=batch)
            sent += report.sent
            if report.claimed == 0:
                if outbox.counts()["queued"] == 0:
                    break
                time.sleep(0.01)  # a retry waiting for its backoff
        results.put((start, time.monotonic(), sent))


def _timed(target: Any, processes: int, *args: Any) -> tuple[float, int]:
    """Run ``processes`` copies of ``target``; seconds from the barrier to the last done, sent."""
    context = multiprocessing.get_context("spawn")  # no copy of the proxy's running thread
    barrier, results = context.Barrier(processes), context.Queue()
    started = [
        context.Process(target=target, args=(*args, barrier, results)) for _ in range(processes)
    ]
    for process in started:
        process.start()
    answers = [results.get(timeout=1800) for _ in started]
    for process in started:
        process.join(timeout=60)
        if process.exitcode != 0:
            raise RuntimeError(f"a sender process failed (exit {process.exitcode})")
    span = max(end for _, end, _ in answers) - min(start for start, _, _ in answers)
    return span, sum(sent for _, _, sent in answers)


# -- the benchmark -------------------------------------------------------------------------
def run(count: int) -> list[Row]:
    """Messages per second of bare ``send_many`` and of the outbox, side by side."""
    emails = _emails(count)
    batch = max(5, min(100, count // 20))
    rows: list[Row] = []
    with smtp_server() as (port, received), postgres_server() as server:
        with latency_proxy(port) as slow:
            expected = received.count + count
            bare_time, _ = _timed(_bare, 1, slow, count)
            bare = count / bare_time
            rows.append(("outbox 20 ms RTT: bare send_many, 4 connections", bare, "msg/s"))
            if server is None:
                print("(outbox on PostgreSQL: no server found, install postgresql; rows left out)")
            else:
                for processes, pool, note in ((1, 4, ""), (4, 1, " (target >= 70%)"), (4, 4, "")):
                    url = _fresh_outbox(server, emails)
                    expected += count
                    span, sent = _timed(_dispatcher, processes, url, slow, pool, batch)
                    with Outbox(url, quiet_hours=NO_QUIET_HOURS) as outbox:
                        counts = outbox.counts()
                    if sent != count or counts["sent"] != count:
                        raise RuntimeError(f"outbox sent {sent} of {count}: {counts}")
                    rate = count / span
                    label = f"outbox 20 ms RTT: PostgreSQL, {processes} x {pool} connections"
                    rows.append((label, rate, f"msg/s, {rate / bare:.0%} of bare{note}"))
            if received.count != expected:
                raise RuntimeError(f"server received {received.count}, expected {expected}")
        rows += _sqlite(port, emails, received)
    return rows


def _sqlite(port: int, emails: list[Any], received: Any) -> list[Row]:
    """``put`` + ``dispatch`` on SQLite by this process, on bare loopback, against bare."""
    count, before = len(emails), received.count
    keyed = [e.model_copy(update={"idempotency_key": f"{e.idempotency_key}-sq"}) for e in emails]
    with tempfile.TemporaryDirectory() as tmp:
        with _transport(port, 4) as smtp:
            start = time.perf_counter()
            smtp.send_many(emails, concurrency=4)
            bare = time.perf_counter() - start
        url = f"sqlite:///{Path(tmp) / 'outbox.sqlite3'}"
        with Outbox(url, quiet_hours=NO_QUIET_HOURS) as outbox, _transport(port, 4) as smtp:
            start = time.perf_counter()
            for email in keyed:
                outbox.put(email)
            stored = time.perf_counter() - start
            report = outbox.dispatch(smtp, batch_size=100)
            total = time.perf_counter() - start
            if report.sent != count or outbox.counts()["sent"] != count:
                raise RuntimeError(f"outbox sent {report.sent} of {count}: {outbox.counts()}")
    if received.count != before + 2 * count:
        raise RuntimeError(f"server received {received.count - before}, expected {2 * count}")
    return [
        ("outbox loopback: bare send_many, 4 connections", count / bare, "msg/s"),
        ("outbox loopback: put, SQLite, durable", count / stored, "msg/s"),
        (
            "outbox loopback: put + dispatch, SQLite, one process",
            count / total,
            f"msg/s, {bare / total:.0%} of bare (reported only)",
        ),
    ]
