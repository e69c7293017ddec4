"""Celery scale-out benchmark: 1, 2, 4 and 8 worker processes sending the PostgreSQL outbox.

Everything is real and started here: a throw-away PostgreSQL cluster (as the
outbox benchmark starts it), a ``redis-server`` as the broker (found as the
tests find it, ``tests/services.py``), the send benchmark's aiosmtpd server with
STARTTLS in a process of its own behind its TCP proxy adding 20 ms of round
trip, and for each run one ``celery worker --pool=prefork --concurrency=N``
node running :mod:`relationclient.contrib.celery`'s tasks, installed on an app
built from environment variables by this module (``-A benchmarks.celery:app``).

Two ways of handing the workers the same outbox of emails, stored beforehand:

* **tasks**: one ``send_entry`` task per message, as
  :meth:`OutboxTasks.enqueue <relationclient.contrib.celery.OutboxTasks.enqueue>`
  queues them: each sends its message alone, over its worker process's one
  SMTP connection;
* **sweep**: one ``dispatch_outbox(parts=N)`` task, which queues ``N - 1``
  more; every part claims batches of 100 and sends each with ``send_many``
  (four pooled connections a process).

The clock runs from the first task queued to the moment the outbox counts
every message sent. Beside the rate, each row gives the CPU time spent per
message by the workers, by PostgreSQL, by Redis and by this process (the
proxy), read from ``/proc``: where the time goes when it stops scaling.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import SMTPTransport, Transport
from relationclient.transports.providers import PostmarkTransport

from .outbox import RETRY, _fresh_outbox, postgres_server
from .send import _client_context, _emails, _free_port, latency_proxy, smtp_server

Row = tuple[str, float, str]

ROOT = Path(__file__).resolve().parent.parent
BROKER, OUTBOX, TARGET = (
    "RELATIONCLIENT_BENCH_BROKER",
    "RELATIONCLIENT_BENCH_OUTBOX",
    "RELATIONCLIENT_BENCH_TARGET",  # smtp:PORT or postmark:PORT
)


def _factory(target: str) -> Any:
    """What makes a worker process's transport: SMTP (STARTTLS, a pool of 4) or Postmark."""
    kind, _, port = target.partition(":")
    if kind == "smtp":

        def smtp() -> Transport:
            return SMTPTransport(
                "127.0.0.1",
                int(port),
                security="starttls",
                ssl_context=_client_context(),
                pool_size=4,
            )

        return smtp

    def postmark() -> Transport:
        return PostmarkTransport("bench-token", base_url=f"http://127.0.0.1:{port}", timeout=60)

    return postmark


# -- the shop's app: the benchmark's producer and the workers build the same one --------------
def make_app(settings: Mapping[str, str]) -> tuple[Any, Any]:
    """The Celery app and its :class:`~relationclient.contrib.celery.OutboxTasks`."""
    from celery import Celery

    from relationclient.contrib.celery import install

    app = Celery("relationclient-bench", broker=settings[BROKER], set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=1,  # late acknowledgement: one task at a time
        task_ignore_result=True,  # nobody reads the answers; no result backend
        worker_hijack_root_logger=False,
    )
    tasks = install(
        app,
        outbox_url=settings[OUTBOX],
        transport_factory=_factory(settings[TARGET]),
        dispatch_every=None,
        quiet_hours=NO_QUIET_HOURS,
        retry=RETRY,
    )
    return app, tasks


_worker_app: Any = None


def __getattr__(name: str) -> Any:
    """``app``: the worker's app, built on first use from the environment (``-A …:app``)."""
    global _worker_app
    if name != "app":
        raise AttributeError(name)
    if _worker_app is None:
        _worker_app = make_app(os.environ)[0]
    return _worker_app


# -- the servers ---------------------------------------------------------------------------
@contextmanager
def redis_server() -> Iterator[tuple[str, int] | None]:
    """A throw-away ``redis-server`` on loopback: its base URL and pid, or None when absent."""
    from tests.services import redis_server as find

    binary = find()
    if binary is None:
        yield None
        return
    import redis

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="relationclient-bench-redis-") as tmp:
        command = [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", tmp]
        command += ["--save", "", "--appendonly", "no", "--logfile", str(Path(tmp) / "log")]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        client = redis.Redis(host="127.0.0.1", port=port)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}", process.pid
        finally:
            client.close()
            process.terminate()
            process.wait(timeout=10)


# -- CPU time, from /proc --------------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """The parent pid and the CPU seconds (user + system) of process ``pid``."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its living descendants."""
    parents: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))):
            parents[int(entry.name)] = found
    family, total, grew = {root}, 0.0, True
    while grew:
        grew = False
        for pid, (ppid, _) in parents.items():
            if ppid in family and pid not in family:
                family.add(pid)
                grew = True
    for pid in family:
        if pid in parents:
            total += parents[pid][1]
    return total


def _postmaster(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return int((Path(row[0]) / "postmaster.pid").read_text().split()[0])


# -- one run ---------------------------------------------------------------------------------
class _Worker:
    """One ``celery worker`` node, N prefork processes, logging to a file."""

    def __init__(self, settings: Mapping[str, str], processes: int, log: Path) -> None:
        command = [sys.executable, "-m", "celery", "-A", "benchmarks.celery:app", "worker"]
        command += ["--pool=prefork", f"--concurrency={processes}", "--loglevel=INFO"]
        command += [f"--hostname=bench{processes}@%h", "--without-heartbeat"]
        command += ["--without-gossip", "--without-mingle"]
        env = {**os.environ, **settings}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the worker did not start: {log.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _run(
    mode: str,
    processes: int,
    settings: dict[str, str],
    keys: list[str],
    pids: Mapping[str, int],
    log: Path,
) -> tuple[float, dict[str, float]]:
    """Seconds to send the stored emails with one node of ``processes``; CPU seconds."""
    app, tasks = make_app(settings)
    worker = _Worker(settings, processes, log)
    try:
        with Outbox(settings[OUTBOX], quiet_hours=NO_QUIET_HOURS) as outbox:
            before = _cpu(pids, worker.process.pid)
            start = time.perf_counter()
            if mode == "tasks":
                for key in keys:
                    tasks.send_entry.delay(key)
            else:
                tasks.dispatch_outbox.delay(parts=processes)
            while (counts := outbox.counts())["sent"] < len(keys):
                if counts["dead"] or time.perf_counter() - start > 1800:
                    raise RuntimeError(f"{mode}, {processes} processes: {counts}; see {log}")
                time.sleep(0.02)
            span = time.perf_counter() - start
            after = _cpu(pids, worker.process.pid)
    finally:
        worker.stop()
        tasks.close()
        app.close()
    return span, {name: after[name] - before[name] for name in after}


def _cpu(pids: Mapping[str, int], worker: int) -> dict[str, float]:
    usage = {name: _tree_cpu(pid) for name, pid in pids.items()}
    usage["workers"] = _tree_cpu(worker)
    self = os.times()
    usage["bench (proxy)"] = self.user + self.system
    usage["machine"] = _machine()
    return usage


# -- the benchmark -------------------------------------------------------------------------
def run(
    count: int, task_count: int | None = None, workers: tuple[int, ...] = (1, 2, 4, 8)
) -> list[Row]:
    """Messages per second of 1, 2, 4 and 8 worker processes, per way; CPU per message.

    A sweep sends ``count`` emails; one task per message, slower, ``task_count``
    of them (``count`` when None).
    """
    rows: list[Row] = []
    with (
        postgres_server() as server,
        redis_server() as redis,
        tempfile.TemporaryDirectory(prefix="relationclient-bench-celery-") as tmp,
    ):
        if server is None or redis is None:
            missing = "PostgreSQL" if server is None else "Redis"
            print(f"(celery: no {missing} server found; rows left out)")
            return rows
        broker, redis_pid = redis
        database = 0
        for target in ("smtp", "postmark"):
            with _target(target) as (port, server_pid, received):
                pids = {"postgres": _postmaster(server), "redis": redis_pid, target: server_pid}
                with latency_proxy(port) as slow:
                    for mode, size in (("tasks", task_count or count), ("sweep", count)):
                        emails = _emails(size)
                        keys = [email.idempotency_key for email in emails]
                        first = 0.0
                        for processes in workers:
                            url = _fresh_outbox(server, emails)
                            before = received()
                            database += 1
                            settings = {
                                BROKER: f"{broker}/{database % 16}",
                                OUTBOX: url,
                                TARGET: f"{target}:{slow}",
                            }
                            log = Path(tmp) / f"{target}-{mode}-{processes}.log"
                            span, cpu = _run(mode, processes, settings, keys, pids, log)
                            busy = cpu.pop("machine") / span
                            if before >= 0 and received() - before != size:
                                raise RuntimeError(f"server took {received() - before} of {size}")
                            rate = size / span
                            first = first or rate
                            per = ", ".join(
                                f"{name} {1000 * cpu[name] / size:.1f}" for name in sorted(cpu)
                            )
                            rows.append(
                                (
                                    f"celery 20 ms RTT: {target}, {mode}, {processes} process(es)",
                                    rate,
                                    f"msg/s ({size}), {rate / first:.2f}x one process; CPU "
                                    f"ms/msg: {per}; machine busy {busy:.2f} of {_cores()} cores",
                                )
                            )
    return rows


@contextmanager
def _target(kind: str) -> Iterator[tuple[int, int, Any]]:
    """The SMTP or Postmark server: its port, its pid, and how many messages it took.

    The provider server counts requests only, so its count is -1: the outbox's
    receipts are the check there.
    """
    import multiprocessing

    from .http import provider_server

    before = {child.pid for child in multiprocessing.active_children()}
    if kind == "smtp":
        with smtp_server() as (port, counter):
            yield port, _new_child(before), lambda: counter.count
    else:
        with provider_server("postmark") as (port, _):
            yield port, _new_child(before), lambda: -1


def _new_child(before: set[int | None]) -> int:
    import multiprocessing

    [pid] = [c.pid for c in multiprocessing.active_children() if c.pid not in before]
    assert pid is not None
    return pid


def _machine() -> float:
    """CPU seconds all cores of the machine spent busy so far (``/proc/stat``)."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICK  # all but idle and iowait


def _cores() -> int:
    return os.cpu_count() or 1
