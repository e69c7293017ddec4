"""Outbox.aput and Outbox.adispatch: the same outbox from asyncio code, the loop never blocked.

Each test runs on a real SQLite file and a real PostgreSQL (``outbox_url``), sends
through real transports — a Postmark transport over HTTP to a provider stand-in on
127.0.0.1, the memory transport, a blocking transport without asyncio — and
counts what the provider really accepted. A provider that "accepted" a message
here is one that answered it while the client was still there to read the answer.
"""

from __future__ import annotations

import asyncio
import select
import socket
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
import pytest

from relationclient.errors import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
)
from relationclient.messages import Message
from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import MemoryTransport, Receipt, RetryPolicy
from relationclient.transports.base import AsyncTransport, Transport
from relationclient.transports.providers.postmark import PostmarkTransport

from ..transports.providers.provider_server import Received, postmark_answer
from ..transports.sample_messages import email, emails
from .conftest import Clock, MakeOutbox, PostgresServer

NO_JITTER = RetryPolicy(attempts=3, base=10.0, cap=60.0, jitter=False)
TOKEN = "server-token-for-tests"


class GatedPostmark:
    """Postmark's API on 127.0.0.1 that answers only once its gate is open.

    A request is recorded as it arrives (``arrivals``); when the gate opens the
    server answers as Postmark does — if the client is still connected. A
    message counts as accepted (``accepted``, by subject) only then: a client
    that gave up (cancelled) before the gate opened never got an answer, and
    the request is counted in ``abandoned`` instead.
    """

    def __init__(self, *, bad: Iterable[str] = ()) -> None:
        self.arrivals = 0
        self.accepted: Counter[str] = Counter()
        self.abandoned = 0
        self.bad = frozenset(bad)
        #: Called (in the server's thread) when a request arrives.
        self.on_arrival: list[Any] = []
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.http.daemon_threads = True
        self.thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.gate.set()
        self.http.shutdown()
        self.http.server_close()
        self.thread.join()

    def wait_for_arrivals(self, count: int) -> None:
        """Block (a thread, not the loop) until ``count`` requests have arrived."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.arrivals >= count, timeout=30)

    def transport(self, **options: Any) -> PostmarkTransport:
        return PostmarkTransport(TOKEN, base_url=self.url, **options)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                received = Received(self.command, self.path, headers, body)
                with server.arrived:
                    server.arrivals += 1
                    for callback in server.on_arrival:
                        callback()
                    server.arrived.notify_all()
                server.gate.wait()
                if self._client_left():
                    with server.lock:
                        server.abandoned += 1
                    self.close_connection = True
                    return
                answer = postmark_answer(received, server.bad)
                payload, content_type = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                sent = received.json() if self.path == "/email/batch" else [received.json()]
                with server.lock:
                    for message in sent:
                        if message["To"].rpartition("<")[2].rstrip(">") not in server.bad:
                            server.accepted[message["Subject"]] += 1

            def _client_left(self) -> bool:
                """Whether the client closed the connection while it waited (reads EOF)."""
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler


@pytest.fixture
def provider() -> Iterator[GatedPostmark]:
    with GatedPostmark() as server:
        yield server


class Blocking:
    """A transport without asyncio (``send``/``send_many`` only): adispatch uses a thread.

    ``gate`` holds every send until set; ``started`` is set when a send begins.
    """

    name = "blocking"

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.gate = threading.Event()
        self.started = threading.Event()

    def send(self, message: Message) -> Receipt:
        self.started.set()
        assert self.gate.wait(30)
        self.sent.append(message)
        key = message.idempotency_key
        return Receipt(f"<{key}@blocking>", self.name, key, message.recipient)

    def send_many(self, messages: Iterable[Message]) -> list[Receipt]:
        return [self.send(m) for m in messages]

    def close(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def subjects(messages: Iterable[Message]) -> list[str]:
    return [m.subject for m in messages]  # type: ignore[attr-defined]


async def wait_for(predicate: Any, what: str) -> None:
    """Let the loop run until ``predicate()`` holds (each check one loop turn apart)."""
    for _ in range(30_000):
        if predicate():
            return
        await asyncio.sleep(0.001)
    pytest.fail(f"never happened: {what}")


# -- aput -----------------------------------------------------------------------------------
def test_aput_stores_a_key_once(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox()
    message = email()

    async def scenario() -> None:
        first = await outbox.aput(message)
        again = await outbox.aput(message.model_copy(update={"subject": "changed"}))
        assert (first.state, again.id) == ("queued", first.id)
        assert again.message.subject == message.subject  # nothing new stored
        await outbox.aclose()

    asyncio.run(scenario())
    assert outbox.counts()["queued"] == 1
    assert outbox.put(message).id == outbox.get(message.idempotency_key).id  # type: ignore[union-attr]


def test_aput_checks_what_put_checks(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox()

    async def scenario() -> None:
        with pytest.raises(TypeError, match="the outbox stores"):
            await outbox.aput("not a message")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="not_before must be an aware datetime"):
            await outbox.aput(email(), not_before=email().created_at.replace(tzinfo=None))  # type: ignore[union-attr]
        await outbox.aclose()

    asyncio.run(scenario())


def test_aput_joins_the_shops_async_transaction_on_postgresql(
    postgres_server: PostgresServer, clock: Clock
) -> None:
    outbox_url = postgres_server.new_database()
    outbox = Outbox(outbox_url, clock=clock, quiet_hours=NO_QUIET_HOURS)
    kept, dropped = emails(2)

    async def scenario() -> None:
        async with await psycopg.AsyncConnection.connect(outbox_url) as shop:
            await outbox.aput(dropped, connection=shop)
            await shop.rollback()
            await outbox.aput(kept, connection=shop)
            await shop.commit()
        with pytest.raises(ConfigurationError, match="AsyncConnection"):
            await outbox.aput(email(seed=3), connection=object())
        await outbox.aclose()

    asyncio.run(scenario())
    assert outbox.get(dropped.idempotency_key) is None
    assert outbox.get(kept.idempotency_key) is not None
    outbox.close()


def test_aput_joins_the_shops_sqlite_transaction(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "shop.sqlite3"
    outbox = Outbox(f"sqlite:///{path}", clock=clock, quiet_hours=NO_QUIET_HOURS)
    kept, dropped = emails(2)
    shop = sqlite3.connect(path, check_same_thread=False)  # used from the worker thread

    async def scenario() -> None:
        await outbox.aput(dropped, connection=shop)
        shop.rollback()
        await outbox.aput(kept, connection=shop)
        shop.commit()
        await outbox.aclose()

    asyncio.run(scenario())
    shop.close()
    assert outbox.get(dropped.idempotency_key) is None
    assert outbox.get(kept.idempotency_key) is not None
    outbox.close()


def test_aput_names_the_sqlite_connection_a_thread_cannot_use(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    outbox = Outbox(f"sqlite:///{path}")
    shop = sqlite3.connect(path)  # check_same_thread left on: unusable from the worker thread

    async def scenario() -> None:
        with pytest.raises(ConfigurationError, match="check_same_thread=False"):
            await outbox.aput(email(), connection=shop)
        await outbox.aclose()

    asyncio.run(scenario())
    shop.close()


# -- adispatch does what dispatch does ------------------------------------------------------
def test_adispatch_sends_retries_and_parks_dead_like_dispatch(
    make_outbox: MakeOutbox, clock: Clock
) -> None:
    outbox = make_outbox(retry=NO_JITTER)
    good, busy, refused = emails(3)

    def fail(message: Message) -> Exception | None:
        if message.idempotency_key == busy.idempotency_key:
            return TransientTransportError("memory: 421 try later", code=421, retry_after=30)
        if message.idempotency_key == refused.idempotency_key:
            return PermanentTransportError("memory: 550 no such user", code=550)
        return None

    flaky = MemoryTransport(fail_with=fail)

    async def scenario() -> None:
        for message in (good, busy, refused):
            await outbox.aput(message)
        report = await outbox.adispatch(flaky)
        assert (report.claimed, report.sent, report.retried, report.dead) == (3, 1, 1, 1)
        clock.advance(30)
        report = await outbox.adispatch(MemoryTransport())
        assert (report.claimed, report.sent) == (1, 1)
        await outbox.aclose()

    asyncio.run(scenario())
    assert outbox.counts() == {"queued": 0, "sending": 0, "sent": 2, "dead": 1, "suppressed": 0}
    [dead] = outbox.dead()
    assert dead.idempotency_key == refused.idempotency_key
    assert "550" in (dead.last_error or "")
    retried = outbox.get(busy.idempotency_key)
    assert retried is not None
    assert (retried.state, retried.attempts) == ("sent", 2)


def test_adispatch_through_an_http_provider_and_a_blocking_transport(
    make_outbox: MakeOutbox,
) -> None:
    outbox = make_outbox()
    messages = emails(12)
    bad = email(seed=1, to={"address": "gone@example.org"})
    blocking = Blocking()
    blocking.gate.set()
    with GatedPostmark(bad=[bad.recipient]) as server:
        postmark = server.transport()
        assert isinstance(postmark, AsyncTransport)
        assert isinstance(blocking, Transport)
        assert not isinstance(blocking, AsyncTransport)

        async def scenario() -> None:
            for message in [*messages[:8], bad]:
                await outbox.aput(message)
            report = await outbox.adispatch(postmark, batch_size=3)
            assert (report.claimed, report.sent, report.dead) == (9, 8, 1)
            for message in messages[8:]:
                await outbox.aput(message)
            report = await outbox.adispatch(blocking, batch_size=3)
            assert (report.claimed, report.sent) == (4, 4)
            await postmark.aclose()
            await outbox.aclose()

        asyncio.run(scenario())
    assert server.accepted == Counter(subjects(messages[:8]))
    assert subjects(blocking.sent) == subjects(messages[8:])
    [dead] = outbox.dead()
    assert (dead.recipient, "406" in (dead.last_error or "")) == (bad.recipient, True)


def test_adispatch_validates_its_arguments_like_dispatch(outbox: Outbox) -> None:
    async def scenario() -> None:
        with pytest.raises(ValueError, match="workers and batch_size must be at least 1"):
            await outbox.adispatch(MemoryTransport(), workers=0)
        with pytest.raises(ValueError, match="batch_bytes must be at least 1"):
            await outbox.adispatch(MemoryTransport(), batch_bytes=0)

    asyncio.run(scenario())


# -- the loop keeps turning ------------------------------------------------------------------
class Ticker:
    """A task that counts loop turns; the count is read from other threads at their events."""

    def __init__(self) -> None:
        self.ticks = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            self.ticks += 1


def test_the_loop_keeps_turning_while_a_slow_provider_holds_a_batch(
    make_outbox: MakeOutbox, provider: GatedPostmark
) -> None:
    outbox = make_outbox()
    ticker = Ticker()
    at_arrival: list[int] = []
    provider.on_arrival.append(lambda: at_arrival.append(ticker.ticks))
    provider.gate.clear()
    postmark = provider.transport()

    async def scenario() -> None:
        for message in emails(5):
            await outbox.aput(message)
        ticking = asyncio.create_task(ticker.run())
        sending = asyncio.create_task(outbox.adispatch(postmark))
        await wait_for(lambda: provider.arrivals == 1, "the batch reached the provider")
        # The provider holds the batch; the loop must go on turning meanwhile.
        await wait_for(lambda: ticker.ticks >= at_arrival[0] + 50, "50 ticks while held")
        assert not sending.done()
        at_release = ticker.ticks
        provider.gate.set()
        report = await sending
        ticking.cancel()
        assert report.sent == 5
        assert at_release - at_arrival[0] >= 50
        await postmark.aclose()
        await outbox.aclose()

    asyncio.run(scenario())
    assert sum(provider.accepted.values()) == 5


def test_the_loop_keeps_turning_while_aput_waits_for_a_database_lock(
    make_outbox: MakeOutbox, outbox_url: str
) -> None:
    outbox = make_outbox()
    message = email()
    outbox.counts()  # nothing: the tables are made by the first write
    outbox.put(email(seed=9))
    ticker = Ticker()
    # Another connection holds the lock aput needs: SQLite's write lock, or in
    # PostgreSQL the row of the same key, inserted and not committed yet.
    if outbox_url.startswith("sqlite"):
        blocker: Any = sqlite3.connect(outbox_url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    else:
        blocker = psycopg.connect(outbox_url)
        blocker.execute(
            "INSERT INTO relationclient_outbox (idempotency_key, channel, kind, recipient, "
            "not_before, message, created_at, updated_at) "
            "VALUES (%s, 'email', 'x', 'x', now(), '{}', now(), now())",
            [message.idempotency_key],
        )
    held_from: list[int] = []

    def let_go() -> None:
        blocker.rollback()

    async def scenario() -> None:
        ticking = asyncio.create_task(ticker.run())
        storing = asyncio.create_task(outbox.aput(message))
        await wait_for(lambda: ticker.ticks >= 5, "the loop started")
        held_from.append(ticker.ticks)
        await wait_for(lambda: ticker.ticks >= held_from[0] + 50, "50 ticks while locked out")
        assert not storing.done()  # still waiting for the lock, and the loop turned
        let_go()
        entry = await storing
        ticking.cancel()
        assert entry.state == "queued"
        await outbox.aclose()

    try:
        asyncio.run(scenario())
    finally:
        blocker.close()
    assert outbox.get(message.idempotency_key) is not None


def test_leases_are_renewed_while_an_async_send_is_out(
    make_outbox: MakeOutbox, provider: GatedPostmark
) -> None:
    outbox = make_outbox(lease_seconds=0.6)  # a renewal every 0.2 s
    other = make_outbox()
    message = email()
    provider.gate.clear()
    postmark = provider.transport()

    async def scenario() -> None:
        await outbox.aput(message)
        sending = asyncio.create_task(outbox.adispatch(postmark))
        await wait_for(lambda: provider.arrivals == 1, "the message reached the provider")
        leases: list[Any] = []

        def lease() -> Any:
            entry = other.get(message.idempotency_key)
            assert entry is not None
            return entry.lease_until

        while len(set(leases)) < 4:  # three renewals seen, well past the first lease
            leases.append(await asyncio.to_thread(lease))
            await asyncio.sleep(0.05)
        # Another dispatcher finds nothing to take: the lease held all along.
        stolen = await asyncio.to_thread(other.dispatch, MemoryTransport())
        assert stolen.claimed == 0
        provider.gate.set()
        assert (await sending).sent == 1
        await postmark.aclose()
        await outbox.aclose()

    asyncio.run(scenario())
    assert provider.accepted == Counter([message.subject])


# -- cancellation ----------------------------------------------------------------------------
def test_a_cancelled_adispatch_loses_nothing_and_sends_nothing_twice(
    make_outbox: MakeOutbox, provider: GatedPostmark
) -> None:
    outbox = make_outbox()
    messages = emails(9)
    provider.gate.clear()
    postmark = provider.transport()

    async def scenario() -> None:
        for message in messages:
            await outbox.aput(message)
        sending = asyncio.create_task(outbox.adispatch(postmark, batch_size=3, workers=2))
        await wait_for(lambda: provider.arrivals == 2, "two batches out at the provider")
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        # Nothing was recorded sent; nothing is left held: every entry can be claimed.
        counts = await asyncio.to_thread(outbox.counts)
        assert counts["sent"] == 0
        provider.gate.set()
        report = await outbox.adispatch(postmark, batch_size=3)
        assert report.sent == 9
        await postmark.aclose()
        await outbox.aclose()

    asyncio.run(scenario())
    assert provider.abandoned == 2  # the two batches cut off, never answered
    assert provider.accepted == Counter(subjects(messages))  # each accepted exactly once
    assert outbox.counts()["sent"] == 9


def test_a_cancelled_adispatch_waits_for_a_blocking_send_and_records_it(
    make_outbox: MakeOutbox,
) -> None:
    outbox = make_outbox()
    messages = emails(3)
    blocking = Blocking()

    async def scenario() -> None:
        for message in messages:
            await outbox.aput(message)
        sending = asyncio.create_task(outbox.adispatch(blocking))
        await asyncio.to_thread(blocking.started.wait, 30)
        sending.cancel()
        await asyncio.sleep(0)
        assert not sending.done()  # the thread cannot be stopped: its results are awaited
        blocking.gate.set()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert (await outbox.adispatch(MemoryTransport())).claimed == 0
        await outbox.aclose()

    asyncio.run(scenario())
    assert subjects(blocking.sent) == subjects(messages)
    assert outbox.counts()["sent"] == 3


# -- concurrency -----------------------------------------------------------------------------
def test_two_adispatch_and_one_dispatch_share_an_outbox_without_duplicates(
    make_outbox: MakeOutbox, provider: GatedPostmark
) -> None:
    outbox = make_outbox()
    messages = emails(60)
    for message in messages:
        outbox.put(message)
    sync_postmark = provider.transport()
    async_postmark = provider.transport()
    reports: list[Any] = []

    def sync_dispatch() -> None:
        with sync_postmark:
            reports.append(outbox.dispatch(sync_postmark, batch_size=4))

    async def scenario() -> None:
        thread = threading.Thread(target=sync_dispatch)
        thread.start()
        first, second = await asyncio.gather(
            outbox.adispatch(async_postmark, batch_size=4),
            outbox.adispatch(async_postmark, batch_size=4),
        )
        reports.extend([first, second])
        await asyncio.to_thread(thread.join)
        await async_postmark.aclose()
        await outbox.aclose()

    asyncio.run(scenario())
    assert sum(report.sent for report in reports) == 60
    assert sum(report.claimed for report in reports) == 60
    assert provider.accepted == Counter(subjects(messages))  # each once, no duplicate
    assert outbox.counts()["sent"] == 60


def test_a_new_event_loop_gets_a_new_connection(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox()
    first, second = emails(2)
    asyncio.run(outbox.aput(first))  # its loop ends with the connection still open
    asyncio.run(outbox.aput(second))
    assert outbox.counts()["queued"] == 2
    outbox.close()


def test_an_unexpected_error_propagates_as_itself_and_the_entries_wait_for_their_lease(
    outbox: Outbox,
) -> None:
    class Broken:
        """An AsyncTransport whose batch call fails with a bug, not a TransportError."""

        name = "broken"

        async def asend(self, message: Message) -> Receipt:
            raise RuntimeError("bug in the transport")

        async def asend_many(self, messages: Iterable[Message], **options: Any) -> Any:
            raise RuntimeError("bug in the transport")

        async def aclose(self) -> None:
            pass

    async def scenario() -> None:
        for message in emails(4):
            await outbox.aput(message)
        with pytest.raises(RuntimeError, match="bug in the transport"):
            await outbox.adispatch(Broken(), workers=2, batch_size=2)
        await outbox.aclose()

    asyncio.run(scenario())
    assert outbox.counts()["sending"] == 4  # as after dispatch: back when the lease lapses


def test_a_cancelled_claim_finishes_and_gives_its_entries_back(
    make_outbox: MakeOutbox, outbox_url: str
) -> None:
    outbox = make_outbox()  # leases of 60 s: only a release makes the entries claimable again
    messages = emails(3)
    for message in messages:
        outbox.put(message)
    # Another connection holds the lock a claim needs: SQLite's write lock, or the
    # entries' table in PostgreSQL.
    if outbox_url.startswith("sqlite"):
        blocker: Any = sqlite3.connect(outbox_url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    else:
        blocker = psycopg.connect(outbox_url)
        blocker.execute("LOCK TABLE relationclient_outbox IN ACCESS EXCLUSIVE MODE")
        watcher = psycopg.connect(outbox_url, autocommit=True)

    def claim_waits() -> bool:
        if outbox_url.startswith("sqlite"):
            return True  # SQLite does not say who waits for its lock
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        row = watcher.execute(waiting).fetchone()
        return bool(row and row[0])

    memory = MemoryTransport()

    async def scenario() -> None:
        claiming = asyncio.create_task(outbox.adispatch(memory))
        for _ in range(3000):
            await asyncio.sleep(0.001)
            if await asyncio.to_thread(claim_waits):
                break
        claiming.cancel()
        await asyncio.sleep(0.01)
        blocker.rollback()  # the claim goes through, then is released
        with pytest.raises(asyncio.CancelledError):
            await claiming
        report = await outbox.adispatch(memory)
        assert report.sent == 3
        await outbox.aclose()

    try:
        asyncio.run(scenario())
    finally:
        blocker.close()
        if not outbox_url.startswith("sqlite"):
            watcher.close()
    assert sorted(subjects(memory.outbox)) == sorted(subjects(messages))  # each once
