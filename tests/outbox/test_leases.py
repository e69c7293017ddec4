"""Leases on a real SQLite file and a real PostgreSQL server: lapse, renewal, fencing, clock skew.

Leases are measured by the database's clock, which no test can move: the
tests use short real leases (half a second) and wait them out. What they
assert are counts — entries claimed, sent, lost; copies a transport received
— never how long something took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from relationclient import TransientTransportError
from relationclient.messages import Email, Message
from relationclient.outbox import Outbox
from relationclient.transports import MemoryTransport, Receipt, RetryPolicy

from ..transports.sample_messages import email, emails
from .conftest import Clock, MakeOutbox

#: Seconds of lease in these tests: short enough to wait out, long enough that a
#: loaded machine still claims, sends and records well within one.
LEASE = 0.5


def wait_out(lease: float = LEASE) -> None:
    """Let a lease (by the database's clock) lapse."""
    time.sleep(lease + 0.2)


class Crash(BaseException):
    """The dispatcher dying (SIGKILL, power cut) in the middle of a batch."""


class CrashingTransport(MemoryTransport):
    """Accepts ``survive`` messages, then the process "dies" before anything is recorded."""

    def __init__(self, survive: int) -> None:
        super().__init__()
        self.survive = survive

    def _send(self, message: Message) -> Receipt:
        if len(self.outbox) >= self.survive:
            raise Crash
        return super()._send(message)


class SlowTransport(MemoryTransport):
    """Runs ``meanwhile`` while "the provider thinks", then accepts the message."""

    def __init__(self, meanwhile: Callable[[], None]) -> None:
        super().__init__()
        self.meanwhile = meanwhile

    def _send(self, message: Message) -> Receipt:
        self.meanwhile()
        return super()._send(message)


def cut_off_renewals(outbox: Outbox) -> None:
    """Make ``outbox``'s heartbeat fail as if its database connection were cut."""

    def unreachable(held: object) -> set[int]:
        raise ConnectionError("the database is unreachable from the heartbeat")

    outbox._renew = unreachable  # type: ignore[method-assign]


# -- a dispatcher that died ---------------------------------------------------------------
def test_a_lapsed_lease_returns_the_entry_to_the_queue(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox(lease_seconds=LEASE)
    batch = emails(5)
    for message in batch:
        outbox.put(message)
    crashing = CrashingTransport(survive=2)

    with pytest.raises(Crash):
        outbox.dispatch(crashing)  # dies: its heartbeat stops with it
    assert outbox.counts() == {"queued": 0, "sending": 5, "sent": 0, "dead": 0, "suppressed": 0}

    other = make_outbox(lease_seconds=LEASE)  # another dispatcher, while the lease holds
    transport = MemoryTransport()
    assert other.dispatch(transport).claimed == 0
    wait_out()
    report = other.dispatch(transport)

    assert (report.claimed, report.sent, report.lost) == (5, 5, 0)
    entry = other.get(batch[0].idempotency_key)
    assert entry is not None
    assert entry.attempts == 2
    assert entry.lease_token == 2  # claimed twice
    assert "expired without a result" in (entry.last_error or "")
    # The two accepted before the crash went twice: the duplicate the design allows,
    # with the same Message-ID both times.
    twice = [m for m in crashing.outbox if m in transport.outbox]
    assert len(twice) == 2
    assert all(isinstance(m, Email) and m.message_id for m in twice)


def test_a_lease_lapsing_on_the_last_attempt_parks_the_entry(make_outbox: MakeOutbox) -> None:
    outbox = make_outbox(retry=RetryPolicy(attempts=1), lease_seconds=LEASE)
    outbox.put(email())
    with pytest.raises(Crash):
        outbox.dispatch(CrashingTransport(survive=0))
    wait_out()

    report = outbox.dispatch(MemoryTransport())

    assert (report.claimed, report.dead, report.sent) == (1, 1, 0)
    [dead] = outbox.dead()
    assert (dead.last_error or "").startswith("gave up after 1 attempts")


def test_a_message_that_breaks_the_dispatcher_is_parked_once_its_lease_lapses(
    make_outbox: MakeOutbox,
) -> None:
    outbox = make_outbox(lease_seconds=LEASE)
    batch = emails(4)
    for message in batch:
        outbox.put(message)
    poison = batch[1]

    class Buggy(MemoryTransport):
        def _send(self, message: Message) -> Receipt:
            if message.idempotency_key == poison.idempotency_key:
                raise ValueError("cannot encode header")
            return super()._send(message)

    buggy = Buggy()
    with pytest.raises(ValueError, match="cannot encode header"):
        outbox.dispatch(buggy)
    assert buggy.outbox == [batch[0]]  # sent before the bug struck, never recorded
    wait_out()

    report = outbox.dispatch(buggy)  # each lapsed entry now goes alone

    assert (report.claimed, report.sent, report.dead) == (4, 3, 1)
    [dead] = outbox.dead()
    assert dead.idempotency_key == poison.idempotency_key
    assert "ValueError('cannot encode header')" in (dead.last_error or "")


# -- a dispatcher that is alive, however slow ---------------------------------------------
def test_a_send_slower_than_the_lease_keeps_it(make_outbox: MakeOutbox) -> None:
    lease = 0.4
    outbox = make_outbox(lease_seconds=lease)
    rival = make_outbox(lease_seconds=lease)
    rival_transport = MemoryTransport()
    message = email()
    outbox.put(message)
    rival_claims: list[int] = []
    leases: list[datetime | None] = []

    def provider_thinks() -> None:
        for _ in range(3):  # three leases' worth of thinking, a rival trying each time
            entry = outbox.get(message.idempotency_key)
            assert entry is not None
            leases.append(entry.lease_until)
            time.sleep(lease)
            rival_claims.append(rival.dispatch(rival_transport).claimed)

    report = outbox.dispatch(SlowTransport(provider_thinks))

    assert (report.sent, report.lost) == (1, 0)
    assert rival_claims == [0, 0, 0]
    assert None not in leases
    assert len(set(leases)) == 3  # renewed, by the heartbeat, while the provider thought
    assert rival_transport.outbox == []  # sent once, by its one owner


def test_a_skewed_clock_cannot_steal_a_live_lease(make_outbox: MakeOutbox, clock: Clock) -> None:
    # Before leases ran on the database's clock, a dispatcher 61 s ahead saw a 60 s lease
    # as lapsed and sent the entry again.
    outbox = make_outbox(lease_seconds=60)
    message = email()
    outbox.put(message)
    claims = []

    def provider_thinks() -> None:
        for skew in (61, 3600, -3600):
            ahead = make_outbox(lease_seconds=60, clock=lambda s=skew: clock.now + timedelta(s))
            claims.append(ahead.dispatch(MemoryTransport()).claimed)

    report = outbox.dispatch(SlowTransport(provider_thinks))

    assert claims == [0, 0, 0]
    assert report.sent == 1
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert entry.state == "sent"


def test_the_lease_is_on_the_databases_clock(make_outbox: MakeOutbox, clock: Clock) -> None:
    clock.now = datetime(2031, 1, 1, tzinfo=UTC)  # the process's clock, years off
    outbox = make_outbox(lease_seconds=60)
    message = email()
    outbox.put(message)
    held: list[datetime | None] = []

    def look() -> None:
        entry = outbox.get(message.idempotency_key)
        assert entry is not None
        held.append(entry.lease_until)

    outbox.dispatch(SlowTransport(look))
    [lease_until] = held
    assert lease_until is not None
    expected = datetime.now(UTC) + timedelta(seconds=60)
    assert abs((lease_until - expected).total_seconds()) < 30  # the machine's time, not 2031


# -- fencing: a dispatcher that lost its lease ----------------------------------------------
def test_a_dispatcher_that_lost_its_lease_records_nothing_over_the_new_owners_work(
    make_outbox: MakeOutbox, clock: Clock
) -> None:
    outbox = make_outbox(lease_seconds=LEASE)
    cut_off_renewals(outbox)  # its heartbeat cannot reach the database: the lease lapses
    rival = make_outbox(lease_seconds=LEASE)
    message = email()
    outbox.put(message)
    busy = TransientTransportError("451 4.3.0 try again", code=451, accepted=False)
    rival_claims = []

    def provider_thinks() -> None:
        wait_out()
        rival_claims.append(rival.dispatch(MemoryTransport(fail_with=busy)).claimed)

    report = outbox.dispatch(SlowTransport(provider_thinks))

    assert rival_claims == [1]  # the new owner, whose transient failure now stands…
    assert (report.sent, report.lost) == (0, 1)  # …and the late success is not recorded
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts, entry.lease_token) == ("queued", 2, 2)
    assert "451" in (entry.last_error or "")


def test_a_late_result_counts_while_nobody_claimed_the_entry_since(
    make_outbox: MakeOutbox,
) -> None:
    outbox = make_outbox(lease_seconds=LEASE)
    cut_off_renewals(outbox)
    rival = make_outbox(lease_seconds=LEASE)
    message = email()
    outbox.put(message)

    def provider_thinks() -> None:
        wait_out()
        # Another dispatch finds the lease lapsed and returns the entry to the queue,
        # but claims something else: the token on the entry is still ours.
        assert rival.dispatch(MemoryTransport(), key="no-such-key-here").claimed == 0
        entry = outbox.get(message.idempotency_key)
        assert entry is not None
        assert entry.state == "queued"

    report = outbox.dispatch(SlowTransport(provider_thinks))

    assert (report.sent, report.lost) == (1, 0)
    entry = outbox.get(message.idempotency_key)
    assert entry is not None
    assert entry.state == "sent"  # the message did leave: recorded, not sent again
