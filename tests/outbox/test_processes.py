"""Dispatcher processes against a real SMTP server: concurrency, faults, a SIGKILL, stalls, skew.

* 5,000 messages through two dispatcher processes running at once, an SMTP
  server answering 451 or hanging up at random, and one dispatcher killed with
  SIGKILL in the middle of a batch, then restarted. Every message must arrive,
  none may be parked that should not be, and a message may arrive twice only
  if it was in flight in the killed process — with the same Message-ID both
  times.
* With no crash at all: two live dispatchers and a server that keeps the
  client waiting longer than the lease on some messages. Renewed leases: no
  message twice, none lost.
* A dispatcher whose clock runs 61 s ahead beside one on time: leases on the
  database's clock, so it steals none.

Each runs on SQLite and on PostgreSQL. Counts are taken on the server side, by
Message-ID; nothing is timed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from relationclient.messages import Email, Mailbox, idempotency_key
from relationclient.outbox import NO_QUIET_HOURS, Outbox

from ..transports.sample_messages import email
from ..transports.smtp_server import SMTPServer
from .conftest import connect
from .faulty_smtp import (
    REFUSED_DOMAIN,
    FaultyRecorder,
    FaultySMTPServer,
    StallingRecorder,
    StallingSMTPServer,
)

DISPATCHER = Path(__file__).with_name("dispatcher.py")


def messages(count: int, *, refused_every: int = 0) -> list[Email]:
    """``count`` distinct emails; every ``refused_every``-th one to a domain refused with 550."""
    base = email()
    refused = Mailbox(address=f"inconnu@{REFUSED_DOMAIN}", name="Inconnu")
    built = []
    for i in range(count):
        to = refused if refused_every and i % refused_every == refused_every - 1 else base.to
        key = idempotency_key("fault-test", str(i), "email", to.address)
        changes = {"idempotency_key": key, "subject": f"{base.subject} #{i}", "to": to}
        built.append(base.model_copy(update=changes))
    return built


def fill(url: str, batch: list[Email]) -> None:
    """Put ``batch`` in the outbox in one shop transaction (one commit, not thousands)."""
    conn = connect(url)
    with Outbox(url, quiet_hours=NO_QUIET_HOURS) as outbox:
        for message in batch:
            outbox.put(message, connection=conn)
    conn.commit()
    conn.close()


class Dispatchers:
    """Dispatcher processes started by a test, their logs kept, all ended at teardown."""

    def __init__(self, url: str, port: int, logs: Path, *options: str) -> None:
        self.url, self.port, self.logs, self.options = url, port, logs, options
        self.running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, *options: str) -> subprocess.Popen[bytes]:
        """Start one more dispatcher, with the group's options and then ``options``."""
        log = (self.logs / f"dispatcher-{len(self.running)}.log").open("wb")
        command = [sys.executable, str(DISPATCHER), self.url, str(self.port), *self.options]
        command += options
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def output(self) -> str:
        return "\n".join(
            f"--- dispatcher {p.pid} (exit {p.returncode}):\n{Path(log.name).read_text()}"
            for p, log in self.running
        )

    def totals(self) -> list[dict[str, int]]:
        """The totals line each finished dispatcher printed."""
        found = []
        for _, log in self.running:
            lines = Path(log.name).read_text().strip().splitlines()
            if lines and lines[-1].startswith("{"):
                found.append(json.loads(lines[-1]))
        return found

    def wait(self, *processes: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pytest.fail(f"a dispatcher did not finish in {timeout} s\n{self.output()}")
            assert process.returncode == 0, self.output()

    def stop(self) -> None:
        for process, log in self.running:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


@pytest.fixture
def dispatchers(tmp_path: Path) -> Iterator[list[Dispatchers]]:
    made: list[Dispatchers] = []
    yield made
    for group in made:
        group.stop()


def in_flight(url: str, pid: int) -> set[str]:
    """Keys of the entries process ``pid`` holds as ``sending`` (its owner is host:pid:token)."""
    conn = connect(url)
    mark = "?" if url.startswith("sqlite") else "%s"
    query = (
        "SELECT idempotency_key FROM relationclient_outbox "
        f"WHERE state = 'sending' AND owner LIKE {mark}"
    )
    try:
        return {row[0] for row in conn.execute(query, [f"%:{pid}:%"]).fetchall()}
    finally:
        conn.close()


def test_two_dispatcher_processes_never_send_an_entry_twice(
    outbox_url: str, tmp_path: Path, dispatchers: list[Dispatchers]
) -> None:
    batch = messages(600)
    fill(outbox_url, batch)
    server = SMTPServer().start()
    try:
        group = Dispatchers(outbox_url, server.port, tmp_path, "--batch", "25", "--lease", "60")
        dispatchers.append(group)
        first, second = group.start(), group.start()
        group.wait(first, second, timeout=90)
    finally:
        server.stop()

    received = Counter(r.message_id for r in server.received)
    assert received == Counter(m.message_id for m in batch)  # each one, once
    with Outbox(outbox_url, quiet_hours=NO_QUIET_HOURS) as outbox:
        assert outbox.counts() == {
            "queued": 0,
            "sending": 0,
            "sent": 600,
            "dead": 0,
            "suppressed": 0,
        }


def test_faults_and_a_killed_dispatcher_lose_nothing(
    outbox_url: str,
    tmp_path: Path,
    dispatchers: list[Dispatchers],
    capsys: pytest.CaptureFixture[str],
) -> None:
    backend = outbox_url.partition(":")[0]
    batch = messages(5000, refused_every=200)
    refused = {m.idempotency_key for m in batch if m.to.address.endswith(REFUSED_DOMAIN)}
    good = [m for m in batch if m.idempotency_key not in refused]
    by_id = {m.message_id: m.idempotency_key for m in batch}
    fill(outbox_url, batch)
    started = time.monotonic()
    server = FaultySMTPServer(
        FaultyRecorder(seed=20260310, temporary=0.03, drop=0.02, refused_domain=REFUSED_DOMAIN)
    ).start()
    try:
        group = Dispatchers(outbox_url, server.port, tmp_path, "--batch", "25", "--lease", "5")
        dispatchers.append(group)
        victim, survivor = group.start(), group.start()

        # A third of the way in, kill the victim with SIGKILL in the middle of a batch:
        # freeze it, look, and kill it only once the server has accepted part of the
        # batch it holds — the worst moment, accepted but not yet recorded.
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, f"no batch to kill in time\n{group.output()}"
            assert victim.poll() is None, f"the victim finished early\n{group.output()}"
            if len(server.received) >= 1500:
                os.kill(victim.pid, signal.SIGSTOP)
                held = in_flight(outbox_url, victim.pid)
                arrived = {by_id[r.message_id] for r in server.received[-300:]}
                if held & arrived:
                    os.kill(victim.pid, signal.SIGKILL)
                    break
                os.kill(victim.pid, signal.SIGCONT)
            time.sleep(0.005)
        victim.wait()
        killed_with = in_flight(outbox_url, victim.pid)  # what it held when it died

        restarted = group.start()
        group.wait(survivor, restarted, timeout=90)
    finally:
        server.stop()
    elapsed = time.monotonic() - started

    received = Counter(r.message_id for r in server.received)
    duplicated = {by_id[message_id] for message_id, n in received.items() if n > 1}
    with Outbox(outbox_url, quiet_hours=NO_QUIET_HOURS) as outbox:
        counts = outbox.counts()
        dead = outbox.dead(limit=len(batch))

    with capsys.disabled():
        print(
            f"\n[outbox fault injection, {backend}] {len(batch)} messages: "
            f"{len(received)} delivered, {len(duplicated)} duplicated "
            f"({sum(received.values()) - len(received)} extra copies; "
            f"{len(killed_with)} were in flight at the SIGKILL), {len(dead)} dead "
            f"(expected {len(refused)} refused with 550); faults injected: "
            f"{server.faults['451']} × 451, {server.faults['drop']} dropped connections, "
            f"{server.faults['550']} × 550; {elapsed:.1f} s"
        )

    assert set(received) == {m.message_id for m in good}  # every one delivered, refused never
    assert duplicated  # what the victim had sent but not recorded went again…
    assert duplicated <= killed_with  # …and copies are only of what it held
    for message_id in {m for m, n in received.items() if n > 1}:
        copies = {
            re.sub(rb"={15}\d+==", b"(boundary)", r.data)  # MIME boundaries are random
            for r in server.received
            if r.message_id == message_id
        }
        assert len(copies) == 1  # the very same message, same Message-ID
    assert {e.idempotency_key for e in dead} == refused  # none dead that should not be
    assert all("550 5.1.1" in (e.last_error or "") for e in dead)
    assert counts == {
        "queued": 0,
        "sending": 0,
        "sent": len(good),
        "dead": len(refused),
        "suppressed": 0,
    }


def drain_through(
    server: StallingSMTPServer,
    url: str,
    tmp_path: Path,
    dispatchers: list[Dispatchers],
    *extra: tuple[str, ...],
    options: tuple[str, ...],
) -> Dispatchers:
    """Two dispatcher processes (``extra`` options each) drain ``url`` into ``server``."""
    group = Dispatchers(url, server.port, tmp_path, *options)
    dispatchers.append(group)
    started = [group.start(*more) for more in extra]
    group.wait(*started, timeout=120)
    return group


def test_a_server_slower_than_the_lease_gets_every_message_once(
    outbox_url: str,
    tmp_path: Path,
    dispatchers: list[Dispatchers],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The measurement: a 2 s lease, a server stalling longer on some messages,
    # no crash at all — and 105 of 300 messages delivered twice, the lease never renewed.
    backend = outbox_url.partition(":")[0]
    batch = messages(300)
    stalled = {m.message_id for m in batch[::25]}  # 12 messages, spread over the batches
    fill(outbox_url, batch)
    lease, stall = 1.0, 1.8  # the server holds its 250 back longer than the lease
    server = StallingSMTPServer(StallingRecorder(stalled, stall)).start()
    try:
        options = ("--batch", "20", "--lease", str(lease), "--timeout", "10")
        group = drain_through(server, outbox_url, tmp_path, dispatchers, (), (), options=options)
    finally:
        server.stop()

    received = Counter(r.message_id for r in server.received)
    duplicates = sum(received.values()) - len(received)
    lost = {m.message_id for m in batch} - set(received)
    totals = group.totals()
    with Outbox(outbox_url, quiet_hours=NO_QUIET_HOURS) as outbox:
        counts = outbox.counts()
    with capsys.disabled():
        print(
            f"\n[outbox stalls, {backend}] {len(batch)} messages, two live dispatchers, "
            f"{lease:g} s lease, {server.stalls} answers held {stall:g} s: "
            f"{len(received)} delivered, {duplicates} duplicates, {len(lost)} lost; "
            f"claims {[t['claimed'] for t in totals]}, leases lost {[t['lost'] for t in totals]}"
        )

    assert server.stalls == len(stalled)  # each stalled once: longer than the lease, and alone
    assert duplicates == 0
    assert lost == set()
    assert [t["lost"] for t in totals] == [0, 0]
    assert all(t["claimed"] > 0 for t in totals)  # both dispatchers took part
    assert counts == {"queued": 0, "sending": 0, "sent": len(batch), "dead": 0, "suppressed": 0}


def test_a_dispatcher_whose_clock_runs_61_s_ahead_steals_no_lease(
    outbox_url: str,
    tmp_path: Path,
    dispatchers: list[Dispatchers],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The measurement: a dispatcher 61 s ahead took live leases (3 of 3 delivered
    # twice). Leases of 60 s: none may lapse here; messages held at the server keep
    # entries in flight while the skewed one claims.
    backend = outbox_url.partition(":")[0]
    batch = messages(120)
    fill(outbox_url, batch)
    server = StallingSMTPServer(StallingRecorder({m.message_id for m in batch[::6]}, 0.3)).start()
    try:
        options = ("--batch", "10", "--lease", "60")
        group = drain_through(
            server, outbox_url, tmp_path, dispatchers, (), ("--skew", "61"), options=options
        )
    finally:
        server.stop()

    received = Counter(r.message_id for r in server.received)
    duplicates = sum(received.values()) - len(received)
    totals = group.totals()
    with capsys.disabled():
        print(
            f"\n[outbox clock skew, {backend}] {len(batch)} messages, one dispatcher 61 s "
            f"ahead: {len(received)} delivered, {duplicates} duplicates; claims on time / "
            f"ahead: {[t['claimed'] for t in totals]}"
        )
    assert duplicates == 0
    assert set(received) == {m.message_id for m in batch}
    assert sum(t["claimed"] for t in totals) == len(batch)  # nothing claimed twice
    assert all(t["claimed"] > 0 for t in totals)
