"""The outbox on a real SQLite file and a real PostgreSQL server: store, send, retry, repair."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import psycopg
import pytest

from relationclient import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
)
from relationclient.messages import Email, Mailbox, Message
from relationclient.outbox import (
    DEFAULT_QUIET_HOURS,
    NO_QUIET_HOURS,
    DispatchReport,
    Outbox,
    OutboxEntry,
    QuietHours,
)
from relationclient.transports import MemoryTransport, Receipt, RetryPolicy, SMTPTransport

from ..transports.sample_messages import email, emails, sms
from ..transports.smtp_server import SMTPServer
from .conftest import Clock, MakeOutbox, ShopConnection, connect

NO_JITTER = RetryPolicy(attempts=3, base=10.0, cap=600.0, jitter=False)


def smtp(server: SMTPServer, **options: Any) -> SMTPTransport:
    return SMTPTransport(server.host, server.port, security="none", timeout=5, **options)


# -- put ----------------------------------------------------------------------------------
def test_put_stores_the_message_before_anything_is_sent(outbox: Outbox, clock: Clock) -> None:
    message = email()
    entry = outbox.put(message)

    assert isinstance(entry, OutboxEntry)
    assert (entry.state, entry.attempts, entry.receipt) == ("queued", 0, None)
    assert entry.last_error is None
    assert (entry.channel, entry.kind) == ("email", message.kind)
    assert entry.recipient == message.recipient
    assert entry.idempotency_key == message.idempotency_key
    assert entry.not_before == entry.created_at == clock.now
    assert entry.message == message
    assert outbox.get(message.idempotency_key) == entry
    assert outbox.counts() == {"queued": 1, "sending": 0, "sent": 0, "dead": 0, "suppressed": 0}


def test_put_round_trips_sms(outbox: Outbox) -> None:
    message = sms()
    entry = outbox.put(message)
    assert entry.channel == "sms"
    assert outbox.get(message.idempotency_key).message == message  # type: ignore[union-attr]


def test_second_put_of_a_key_stores_nothing_new(outbox: Outbox, clock: Clock) -> None:
    first = outbox.put(email())
    clock.advance(5)
    again = outbox.put(email(subject="Un autre sujet, même événement"))

    assert again == first
    assert again.message.subject == first.message.subject  # type: ignore[union-attr]
    assert outbox.counts()["queued"] == 1


def test_second_put_after_sending_returns_the_sent_entry(outbox: Outbox) -> None:
    outbox.put(email())
    outbox.dispatch(MemoryTransport())
    again = outbox.put(email())
    assert again.state == "sent"
    assert outbox.dispatch(MemoryTransport()).claimed == 0


def test_concurrent_puts_of_one_key_store_it_once(make_outbox: MakeOutbox) -> None:
    outboxes = [make_outbox() for _ in range(6)]
    outboxes[0].counts()  # tables made; the race is on the row, not on the schema
    barrier = threading.Barrier(len(outboxes))
    entries: list[OutboxEntry] = []

    def put(box: Outbox) -> None:
        barrier.wait()
        entries.append(box.put(email()))

    threads = [threading.Thread(target=put, args=(box,)) for box in outboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({entry.id for entry in entries}) == 1
    assert outboxes[0].counts()["queued"] == 1


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_put_joins_the_shops_transaction(
    outbox: Outbox, shop_connection: ShopConnection, end: str
) -> None:
    message = email()
    shop_connection.execute("INSERT INTO orders (number) VALUES ('ML-1')")
    entry = outbox.put(message, connection=shop_connection)
    assert entry.state == "queued"
    assert outbox.get(message.idempotency_key) is None  # not committed: invisible to others

    getattr(shop_connection, end)()

    stored = outbox.get(message.idempotency_key)
    orders = shop_connection.execute("SELECT number FROM orders").fetchall()
    if end == "commit":
        assert stored == entry
        assert [tuple(row) for row in orders] == [("ML-1",)]
        assert outbox.dispatch(MemoryTransport()).sent == 1
    else:
        assert stored is None
        assert orders == []
        assert outbox.counts()["queued"] == 0


def test_dispatch_behind_this_threads_open_joined_put(
    outbox: Outbox, outbox_url: str, shop_connection: ShopConnection
) -> None:
    outbox.put(email(), connection=shop_connection)
    if outbox_url.startswith("sqlite"):
        # One writer: waiting for this thread's own commit would never end.
        started = time.monotonic()
        with pytest.raises(ConfigurationError, match=r"still open.*Commit first"):
            outbox.dispatch(MemoryTransport())
        assert time.monotonic() - started < 5
    else:  # PostgreSQL: the uncommitted row is simply not seen yet
        assert outbox.dispatch(MemoryTransport()).claimed == 0
    shop_connection.commit()
    assert outbox.dispatch(MemoryTransport()).sent == 1


def test_joined_put_after_the_tables_exist(outbox: Outbox, shop_connection: ShopConnection) -> None:
    outbox.put(email(seed=1))  # tables made by the outbox's own connection
    shop_connection.execute("INSERT INTO orders (number) VALUES ('ML-2')")
    outbox.put(email(seed=2), connection=shop_connection)
    shop_connection.rollback()
    assert outbox.counts()["queued"] == 1


def test_joined_put_refuses_a_connection_to_another_database(
    outbox: Outbox, outbox_url: str, tmp_path: Any
) -> None:
    if outbox_url.startswith("sqlite"):
        other: ShopConnection = sqlite3.connect(tmp_path / "shop.sqlite3")
    else:
        other = psycopg.connect(outbox_url.rsplit("/", 1)[0] + "/postgres")
    with other, pytest.raises(ConfigurationError, match="one database"):
        outbox.put(email(), connection=other)
    other.close()


def test_joined_put_refuses_the_other_drivers_connection(
    outbox: Outbox, outbox_url: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    if outbox_url.startswith("sqlite"):
        server = request.getfixturevalue("postgres_server")
        other: ShopConnection = connect(server.url("postgres"))
        expected = "sqlite3.Connection"
    else:
        other = sqlite3.connect(tmp_path / "shop.sqlite3")
        expected = "psycopg.Connection"
    with pytest.raises(ConfigurationError, match=expected):
        outbox.put(email(), connection=other)
    other.close()


def test_put_refuses_what_is_not_a_message(outbox: Outbox) -> None:
    with pytest.raises(TypeError, match="Email and Sms"):
        outbox.put("hello")  # type: ignore[arg-type]


def test_put_refuses_a_naive_not_before(outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="aware"):
        outbox.put(email(), not_before=datetime(2026, 3, 10, 12, 0))


def test_not_before_delays_sending(outbox: Outbox, clock: Clock) -> None:
    later = clock.now + timedelta(minutes=10)
    assert outbox.put(email(), not_before=later).not_before == later
    transport = MemoryTransport()

    assert outbox.dispatch(transport).claimed == 0
    clock.advance(599)
    assert outbox.dispatch(transport).claimed == 0
    clock.advance(1)
    assert outbox.dispatch(transport).sent == 1


# -- quiet hours --------------------------------------------------------------------------
def marketing_sms(**changes: Any) -> Any:
    body = "Maison Lumière : -10% ce week-end. STOP 36173"
    changes.setdefault("idempotency_key", "promo-2026-03-weekend-33612345678")
    return sms(purpose="marketing", kind="promo", body=body, **changes)


def test_quiet_hours_hold_marketing_sms_at_put(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(quiet_hours=DEFAULT_QUIET_HOURS)
    clock.now = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # a Sunday
    promo = outbox.put(marketing_sms())
    shipped = outbox.put(sms())  # transactional: never held

    monday_8am_paris = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert promo.not_before == monday_8am_paris
    assert shipped.not_before == clock.now
    transport = MemoryTransport()
    assert outbox.dispatch(transport).sent == 1
    clock.now = monday_8am_paris
    assert outbox.dispatch(transport).sent == 1
    assert [m.purpose for m in transport.outbox] == ["transactional", "marketing"]


def test_quiet_hours_keep_the_later_of_two_delays(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(quiet_hours=DEFAULT_QUIET_HOURS)
    clock.now = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # Sunday; allowed from Monday 07:00 UTC
    asked = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert outbox.put(marketing_sms(), not_before=asked).not_before == asked


def test_quiet_hours_defer_at_send_time_without_spending_an_attempt(
    make_outbox: MakeOutbox, clock: Clock
) -> None:
    outbox = make_outbox(quiet_hours=QuietHours(start=datetime.min.time(), end=datetime.max.time()))
    clock.now = datetime(2026, 3, 10, 18, 59, tzinfo=UTC)  # Tuesday 19:59 in Paris
    entry = outbox.put(marketing_sms())
    assert entry.not_before == clock.now  # may go now…
    strict = make_outbox(quiet_hours=DEFAULT_QUIET_HOURS)
    clock.advance(120)  # …but the dispatcher only comes at 20:01

    report = strict.dispatch(MemoryTransport())

    assert (report.claimed, report.deferred, report.sent) == (1, 1, 0)
    held = strict.get(entry.idempotency_key)
    assert held is not None
    assert (held.state, held.attempts) == ("queued", 0)
    assert held.not_before == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # Wednesday 08:00 Paris


# -- dispatch -----------------------------------------------------------------------------
def test_dispatch_sends_everything_due_once(outbox: Outbox, clock: Clock) -> None:
    batch = [*emails(25), sms()]
    for message in batch:
        outbox.put(message)
    transport = MemoryTransport()

    report = outbox.dispatch(transport, batch_size=10)

    assert isinstance(report, DispatchReport)
    assert (report.claimed, report.sent, report.retried, report.dead) == (26, 26, 0, 0)
    assert report.elapsed > 0
    assert sorted(m.idempotency_key for m in transport.outbox) == sorted(
        m.idempotency_key for m in batch
    )
    assert outbox.counts() == {"queued": 0, "sending": 0, "sent": 26, "dead": 0, "suppressed": 0}
    entry = outbox.get(batch[0].idempotency_key)
    assert entry is not None
    assert isinstance(entry.receipt, Receipt)
    assert entry.receipt.message_id == batch[0].message_id  # type: ignore[union-attr]
    assert (entry.receipt.transport, entry.attempts) == ("memory", 1)
    assert outbox.dispatch(transport).claimed == 0


def test_dispatch_by_key_sends_that_entry_alone(outbox: Outbox, clock: Clock) -> None:
    first, second, third = emails(3)
    for message in (first, second):
        outbox.put(message)
    outbox.put(third, not_before=clock.now + timedelta(minutes=5))
    transport = MemoryTransport()

    report = outbox.dispatch(transport, key=second.idempotency_key)

    assert (report.claimed, report.sent) == (1, 1)
    assert [m.idempotency_key for m in transport.outbox] == [second.idempotency_key]
    assert outbox.counts() == {"queued": 2, "sending": 0, "sent": 1, "dead": 0, "suppressed": 0}
    # Not due yet, already sent, unknown: nothing is claimed.
    assert outbox.dispatch(transport, key=third.idempotency_key).claimed == 0
    assert outbox.dispatch(transport, key=second.idempotency_key).claimed == 0
    assert outbox.dispatch(transport, key="no-such-key-0000").claimed == 0
    assert len(transport.outbox) == 1
    clock.advance(301)
    assert outbox.dispatch(transport, key=third.idempotency_key).sent == 1
    assert outbox.counts()["queued"] == 1  # the first still waits for its own turn


def test_dispatch_respects_limit(outbox: Outbox) -> None:
    for message in emails(7):
        outbox.put(message)
    transport = MemoryTransport()
    assert outbox.dispatch(transport, limit=3, batch_size=2).sent == 3
    assert outbox.counts()["queued"] == 4
    assert outbox.dispatch(transport, limit=0).claimed == 0


def test_dispatch_sends_in_order_of_due_time(outbox: Outbox, clock: Clock) -> None:
    first, second, third = emails(3)
    outbox.put(third, not_before=clock.now + timedelta(seconds=3))
    outbox.put(first, not_before=clock.now + timedelta(seconds=1))
    outbox.put(second, not_before=clock.now + timedelta(seconds=2))
    clock.advance(3)
    transport = MemoryTransport()
    outbox.dispatch(transport, batch_size=1)
    assert transport.outbox == [first, second, third]


def test_dispatch_to_a_real_smtp_server(outbox: Outbox, smtp_server: SMTPServer) -> None:
    batch = emails(40)
    for message in batch:
        outbox.put(message)

    with smtp(smtp_server) as transport:
        report = outbox.dispatch(transport, batch_size=16)

    assert report.sent == 40
    ids = Counter(received.message_id for received in smtp_server.received)
    assert ids == Counter(message.message_id for message in batch)
    entry = outbox.get(batch[0].idempotency_key)
    assert entry is not None
    assert entry.receipt is not None
    assert entry.receipt.transport == "smtp"
    assert str(entry.receipt.raw).startswith("250")


def test_dispatch_with_worker_threads_sends_each_once(outbox: Outbox) -> None:
    batch = emails(300)
    for message in batch:
        outbox.put(message)
    transport = MemoryTransport()

    report = outbox.dispatch(transport, workers=4, batch_size=10)

    assert (report.claimed, report.sent) == (300, 300)
    sent = Counter(m.idempotency_key for m in transport.outbox)
    assert len(sent) == 300
    assert set(sent.values()) == {1}


def test_two_outboxes_dispatching_at_once_never_send_twice(make_outbox: MakeOutbox) -> None:
    writer = make_outbox()
    for message in emails(300):
        writer.put(message)
    transport = MemoryTransport()
    dispatchers = [make_outbox() for _ in range(3)]
    barrier = threading.Barrier(len(dispatchers))
    reports: list[DispatchReport] = []

    def run(box: Outbox) -> None:
        barrier.wait()
        reports.append(box.dispatch(transport, batch_size=7))

    threads = [threading.Thread(target=run, args=(box,)) for box in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.sent for r in reports) == 300
    assert set(Counter(m.idempotency_key for m in transport.outbox).values()) == {1}


def test_a_plain_protocol_transport_is_sent_message_by_message(outbox: Outbox) -> None:
    class Pigeon:
        """Implements the Transport protocol without the base class."""

        name = "pigeon"

        def __init__(self) -> None:
            self.carried: list[Message] = []

        def send(self, message: Message) -> Receipt:
            if message.recipient.startswith("+"):
                raise PermanentTransportError("pigeons do not fly to phones", code="no-sms")
            self.carried.append(message)
            return Receipt("coo", self.name, message.idempotency_key, message.recipient)

        def send_many(self, messages: Iterable[Message]) -> list[Receipt]:
            raise AssertionError("the outbox asks a plain transport one message at a time")

        def close(self) -> None:
            pass

        def __enter__(self) -> Self:
            return self

        def __exit__(
            self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
        ) -> None:
            pass

    outbox.put(email())
    outbox.put(sms())
    pigeon = Pigeon()
    report = outbox.dispatch(pigeon)
    assert (report.sent, report.dead) == (1, 1)
    [dead] = outbox.dead()
    assert "no-sms" in (dead.last_error or "")


# -- failures -----------------------------------------------------------------------------
def test_transient_failure_is_retried_after_backoff_honouring_retry_after(
    make_outbox: MakeOutbox, clock: Clock
) -> None:
    outbox = make_outbox(retry=NO_JITTER)
    message = email()
    outbox.put(message)
    busy = TransientTransportError(
        "memory: 421 try later", code=421, provider_message="try later", retry_after=120
    )
    failing = MemoryTransport(fail_with=busy)

    report = outbox.dispatch(failing)

    assert (report.claimed, report.retried, report.sent, report.dead) == (1, 1, 0, 0)
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts) == ("queued", 1)
    assert entry.not_before == clock.now + timedelta(seconds=120)  # Retry-After beats 10 s
    assert "421 try later" in (entry.last_error or "")

    working = MemoryTransport()
    clock.advance(119)
    assert outbox.dispatch(working).claimed == 0
    clock.advance(1)
    assert outbox.dispatch(working).sent == 1
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts) == ("sent", 2)


def test_backoff_grows_exponentially_with_attempts(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(retry=RetryPolicy(attempts=5, base=10.0, cap=25.0, jitter=False))
    outbox.put(email())
    failing = MemoryTransport(fail_with=TransientTransportError("down", code=451))
    waits = []
    for _ in range(4):
        started = clock.now
        assert outbox.dispatch(failing).retried == 1
        entry = outbox.get(email().idempotency_key)
        assert entry is not None
        waits.append((entry.not_before - started).total_seconds())
        clock.now = entry.not_before
    assert waits == [10.0, 20.0, 25.0, 25.0]  # base, doubled, then capped


def test_jittered_backoff_stays_within_its_ceiling(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(retry=RetryPolicy(attempts=3, base=60.0, cap=600.0))
    for message in emails(30):
        outbox.put(message)
    outbox.dispatch(MemoryTransport(fail_with=TransientTransportError("down")))
    waits = {
        (outbox.get(m.idempotency_key).not_before - clock.now).total_seconds()  # type: ignore[union-attr]
        for m in emails(30)
    }
    assert all(0 <= wait <= 60 for wait in waits)
    assert len(waits) > 20  # spread out, not synchronised


def test_same_message_id_on_every_attempt(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(retry=RetryPolicy(attempts=5, base=1.0, jitter=False))
    message = email()
    outbox.put(message)
    seen: list[str] = []

    def flaky(sent: Message) -> TransientTransportError | None:
        assert isinstance(sent, Email)
        seen.append(sent.message_id)
        return TransientTransportError("451 busy", code=451) if len(seen) < 3 else None

    transport = MemoryTransport(fail_with=flaky)
    for _ in range(3):
        outbox.dispatch(transport)
        clock.advance(60)

    assert seen == [message.message_id] * 3
    assert [m.message_id for m in transport.outbox] == [message.message_id]  # type: ignore[union-attr]


def test_permanent_failure_is_dead_with_the_providers_reason(outbox: Outbox) -> None:
    good, bad = emails(2)
    outbox.put(good)
    outbox.put(bad)

    def refuse(message: Message) -> PermanentTransportError | None:
        if message.idempotency_key != bad.idempotency_key:
            return None
        return PermanentTransportError(
            "memory: recipient refused", code=550, provider_message="5.1.1 No such user"
        )

    report = outbox.dispatch(MemoryTransport(fail_with=refuse))

    assert (report.sent, report.dead, report.retried) == (1, 1, 0)
    [dead] = outbox.dead()
    assert (dead.idempotency_key, dead.state, dead.attempts) == (bad.idempotency_key, "dead", 1)
    assert "550" in (dead.last_error or "")
    assert outbox.counts() == {"queued": 0, "sending": 0, "sent": 1, "dead": 1, "suppressed": 0}


def test_smtp_refusal_is_dead_with_code_and_text(outbox: Outbox, smtp_server: SMTPServer) -> None:
    good, bad = emails(2)
    outbox.put(good)
    outbox.put(bad)
    smtp_server.reply("RCPT", "550 5.1.1 <nobody>: Recipient address rejected")

    with smtp(smtp_server, pool_size=1) as transport:
        report = outbox.dispatch(transport)

    assert (report.sent, report.dead) == (1, 1)
    [dead] = outbox.dead()
    assert dead.idempotency_key == good.idempotency_key  # the first to reach RCPT
    assert "550 5.1.1 <nobody>: Recipient address rejected" in (dead.last_error or "")


def test_smtp_451_is_retried_then_delivered(
    make_outbox: MakeOutbox, clock: Clock, smtp_server: SMTPServer
) -> None:
    outbox = make_outbox(retry=NO_JITTER)
    message = email()
    outbox.put(message)
    smtp_server.reply("DATA", "451 4.3.0 Temporary failure")
    with smtp(smtp_server) as transport:
        assert outbox.dispatch(transport).retried == 1
        clock.advance(10)
        assert outbox.dispatch(transport).sent == 1
    [received] = smtp_server.received
    assert received.message_id == message.message_id
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert "451 4.3.0 Temporary failure" in (entry.last_error or "")


def test_exhausted_attempts_are_dead(make_outbox: MakeOutbox, clock: Clock) -> None:
    outbox = make_outbox(retry=NO_JITTER)
    outbox.put(email())
    failing = MemoryTransport(fail_with=TransientTransportError("memory: 451 busy", code=451))

    reports = []
    for _ in range(3):
        reports.append(outbox.dispatch(failing))
        clock.advance(3600)

    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    [dead] = outbox.dead()
    assert dead.attempts == 3
    assert dead.last_error == "gave up after 3 attempts: memory: 451 busy"


def test_a_message_the_transport_cannot_carry_is_dead_and_the_rest_go(
    outbox: Outbox, smtp_server: SMTPServer
) -> None:
    outbox.put(email())
    outbox.put(sms())
    with smtp(smtp_server) as transport:
        report = outbox.dispatch(transport)
    assert (report.sent, report.dead) == (1, 1)
    [dead] = outbox.dead()
    assert dead.channel == "sms"
    assert "email only" in (dead.last_error or "")


# -- processes ---------------------------------------------------------------------------
# (Crashes, leases, renewal and fencing: test_leases.py.)
def test_a_forked_child_opens_its_own_connection(outbox: Outbox) -> None:
    outbox.put(email(seed=1))  # the parent's connection is open
    pid = os.fork()
    if pid == 0:  # the child: a prefork worker
        code = 1
        try:
            outbox.put(email(seed=2))
            code = 0 if outbox.counts()["queued"] == 2 else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert outbox.counts()["queued"] == 2  # and the parent's connection still works
    assert outbox.dispatch(MemoryTransport()).sent == 2


# -- inspection and repair ----------------------------------------------------------------
def test_requeue_revives_dead_entries(outbox: Outbox) -> None:
    batch = emails(3)
    for message in batch:
        outbox.put(message)
    outbox.dispatch(MemoryTransport(fail_with=PermanentTransportError("550 no", code=550)))
    assert outbox.counts()["dead"] == 3

    [newest, *_] = outbox.dead()
    assert outbox.requeue([newest]) == 1
    assert outbox.counts() == {"queued": 1, "sending": 0, "sent": 0, "dead": 2, "suppressed": 0}
    assert outbox.requeue() == 2
    assert outbox.counts()["queued"] == 3
    revived = outbox.get(batch[0].idempotency_key)
    assert revived is not None
    assert revived.attempts == 0
    assert outbox.dispatch(MemoryTransport()).sent == 3
    assert outbox.requeue([revived.id]) == 0  # sent entries stay sent


def test_dead_lists_the_most_recent_first_with_a_limit(outbox: Outbox, clock: Clock) -> None:
    refuse = MemoryTransport(fail_with=PermanentTransportError("550 no", code=550))
    keys = []
    for message in emails(4):
        outbox.put(message)
        outbox.dispatch(refuse)
        keys.append(message.idempotency_key)
        clock.advance(1)
    assert [e.idempotency_key for e in outbox.dead(limit=2)] == keys[::-1][:2]


def test_purge_sent_deletes_old_sent_entries_only(outbox: Outbox, clock: Clock) -> None:
    old, recent, dead = emails(3)
    outbox.put(old)
    outbox.dispatch(MemoryTransport())
    clock.advance(8 * 86400)
    outbox.put(recent)
    outbox.put(dead)
    outbox.dispatch(
        MemoryTransport(
            fail_with=lambda m: (
                PermanentTransportError("550")
                if m.idempotency_key == dead.idempotency_key
                else None
            )
        )
    )

    assert outbox.purge_sent(timedelta(days=7)) == 1
    assert outbox.get(old.idempotency_key) is None
    assert outbox.counts() == {"queued": 0, "sending": 0, "sent": 1, "dead": 1, "suppressed": 0}
    assert outbox.put(old).state == "queued"  # its key is forgotten


def test_get_unknown_key_is_none(outbox: Outbox) -> None:
    assert outbox.get("no-such-key-at-all") is None


# -- configuration ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://localhost/shop", "use sqlite:///"),
        ("outbox.sqlite3", "use sqlite:///"),
        ("sqlite:///:memory:", "not a file path"),
        ("sqlite://relative.sqlite3", "sqlite:///relative/path"),
    ],
)
def test_unusable_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Outbox(url)


def test_unopenable_sqlite_file_is_a_configuration_error(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="cannot open SQLite file"):
        Outbox(f"sqlite:///{tmp_path}/no/such/dir/outbox.sqlite3").counts()


def test_postgres_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"relationclient\[postgres\]"):
        Outbox("postgresql://localhost/shop")


def test_default_url_is_a_sqlite_file_in_the_working_directory(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Outbox() as outbox:
        outbox.put(email())
    assert (tmp_path / "relationclient-outbox.sqlite3").exists()


def test_repr_hides_the_password() -> None:
    outbox = Outbox("postgresql://shop:hunter2@db.example/shop")
    assert "hunter2" not in repr(outbox)
    assert "shop:***@db.example" in repr(outbox)


#: The outbox's table as version 1 made it (before lease tokens, sizes and pins).
TABLE_V1 = """CREATE TABLE relationclient_outbox (
    id {id} PRIMARY KEY, idempotency_key text NOT NULL UNIQUE, channel text NOT NULL,
    kind text NOT NULL, recipient text NOT NULL, state text NOT NULL DEFAULT 'queued',
    attempts integer NOT NULL DEFAULT 0, not_before {instant} NOT NULL, lease_until {instant},
    owner text, last_error text, receipt text, created_at {instant} NOT NULL,
    updated_at {instant} NOT NULL, message text NOT NULL
)"""


def test_tables_of_version_1_are_upgraded_in_place(
    outbox_url: str, make_outbox: MakeOutbox, clock: Clock
) -> None:
    sqlite = outbox_url.startswith("sqlite")
    kinds = {
        "id": "INTEGER" if sqlite else "bigint",
        "instant": "REAL" if sqlite else "timestamptz",
    }
    message = email()
    at: Any = clock.now.timestamp() if sqlite else clock.now
    mark = "?" if sqlite else "%s"
    conn = connect(outbox_url)
    conn.execute("CREATE TABLE relationclient_outbox_schema (version integer NOT NULL)")
    conn.execute("INSERT INTO relationclient_outbox_schema VALUES (1)")
    conn.execute(TABLE_V1.format(**kinds))
    conn.execute(
        "INSERT INTO relationclient_outbox (id, idempotency_key, channel, kind, recipient, "
        f"not_before, created_at, updated_at, message) VALUES (1, {', '.join([mark] * 8)})",
        [message.idempotency_key, "email", message.kind, message.recipient, at, at, at,
         message.model_dump_json()],
    )  # fmt: skip
    conn.commit()
    conn.close()

    outbox = make_outbox()
    entry = outbox.get(message.idempotency_key)  # a read upgrades them: it needs the columns

    assert entry is not None
    assert (entry.lease_token, entry.pinned_to) == (0, None)
    assert entry.size == len(message.model_dump_json().encode())
    assert outbox.dispatch(MemoryTransport()).sent == 1
    conn = connect(outbox_url)
    versions = conn.execute("SELECT version FROM relationclient_outbox_schema").fetchall()
    conn.close()
    assert [tuple(row) for row in versions] == [(3,)]  # through 2, in one go


def test_tables_from_a_newer_version_are_refused(
    outbox: Outbox, outbox_url: str, make_outbox: MakeOutbox
) -> None:
    assert outbox.counts()["queued"] == 0  # reading makes no tables…
    outbox.put(email())  # …writing does
    conn = connect(outbox_url)
    conn.execute("UPDATE relationclient_outbox_schema SET version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigurationError, match="schema version 99"):
        make_outbox().counts()


def test_naive_clock_is_refused(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox(clock=datetime.now)
    with pytest.raises(ConfigurationError, match="aware"):
        outbox.put(email())


def test_more_workers_than_entries(outbox: Outbox) -> None:
    outbox.put(email(to=Mailbox(address="zoe@example.fr")))
    assert outbox.dispatch(MemoryTransport(), workers=2).sent == 1


def test_clock_default_is_now_in_utc(tmp_path: Any) -> None:
    with Outbox(f"sqlite:///{tmp_path / 'o.sqlite3'}", quiet_hours=NO_QUIET_HOURS) as outbox:
        before = datetime.now(UTC)
        entry = outbox.put(email())
    assert before <= entry.created_at <= datetime.now(UTC)
