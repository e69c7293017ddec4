"""relationclient.contrib.celery with real parts: Redis, a Celery worker process, an SMTP server.

The test process plays the shop's web process (it stores messages and queues
tasks); a real ``celery worker`` process, started from :mod:`shop_tasks`, sends
them through the outbox to a loopback aiosmtpd server.
"""

# ruff: noqa: E402 - celery is imported only once the skip for a missing extra has run
from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ..services import require_module

# The celery extra (part of the test extra); without it this module skips, naming it.
require_module("celery", "celery")
from celery import Celery

from relationclient import ConfigurationError, samples
from relationclient.composer import Composer
from relationclient.contrib.celery import OutboxTasks, install
from relationclient.messages import Email
from relationclient.transports import MemoryTransport

from ..transports.sample_messages import emails
from ..transports.smtp_server import SMTPServer
from .conftest import StartWorker
from .shop_app import make_app

TIMEOUT = 20


@pytest.fixture
def make_shop(shop_settings: dict[str, str]) -> Iterator[Callable[..., OutboxTasks]]:
    """Build the shop's app and outbox tasks, as its web process has them, with extra settings.

    The same settings then reach the workers started afterwards.
    """
    apps: list[tuple[Celery, OutboxTasks]] = []

    def make(**settings: str) -> OutboxTasks:
        shop_settings.update(settings)
        apps.append(make_app(shop_settings))
        return apps[-1][1]

    yield make
    for app, tasks in apps:
        tasks.close()
        app.close()


@pytest.fixture(scope="module")
def composed() -> list[Email]:
    """Three emails from the Composer: two transactional, one marketing (promo, consent)."""
    composer = Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    built = [
        composer.email("order_confirmation", order=samples.order("fr")),
        composer.email("shipment_sent", shipment=samples.shipment()),
        composer.email(
            "delivery_check",
            order=samples.order("de"),
            promo=samples.promo(),
            review_url=samples.REVIEW_URL,
        ),
    ]
    assert [e.purpose for e in built] == ["transactional", "transactional", "marketing"]
    return built


def wait_for(condition: Any, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def test_enqueued_messages_arrive_once_each(
    make_shop: Callable[..., OutboxTasks],
    start_worker: StartWorker,
    smtp_server: SMTPServer,
    composed: list[Email],
) -> None:
    tasks = make_shop()
    worker = start_worker()
    results = []
    for message in composed:
        entry = tasks.enqueue(message)
        assert entry.state == "queued"
    for message in composed:
        # A shop job that runs twice, and a task the broker delivers twice.
        tasks.enqueue(message)
        results.append(tasks.send_entry.delay(message.idempotency_key))
        results.append(tasks.send_entry.delay(message.idempotency_key))
    answers = [result.get(timeout=TIMEOUT) for result in results]

    # The worker takes tasks in order: by then the first task of each key had sent it.
    assert [(a["state"], a["action"]) for a in answers] == [("sent", "skipped")] * 6
    received = sorted(smtp_server.received, key=lambda r: r.message_id)
    expected = sorted(composed, key=lambda m: m.message_id)
    assert [r.message_id for r in received] == [m.message_id for m in expected]
    for got, built in zip(received, expected, strict=True):
        assert got.rcpt_tos == [built.to.address]
        assert got.message["Subject"] == built.subject
    assert tasks.outbox.counts() == {
        "queued": 0,
        "sending": 0,
        "sent": 3,
        "dead": 0,
        "suppressed": 0,
    }
    for message in composed:
        entry = tasks.outbox.get(message.idempotency_key)
        assert entry is not None
        assert entry.state == "sent"
        assert entry.attempts == 1
        assert entry.receipt is not None
        assert entry.receipt.transport == "smtp"
    assert worker.stop() == 0
    assert len(smtp_server.received) == 3


def test_dispatch_outbox_sends_what_is_due(
    make_shop: Callable[..., OutboxTasks], start_worker: StartWorker, smtp_server: SMTPServer
) -> None:
    tasks = make_shop()
    batch = emails(12)
    for message in batch:
        tasks.outbox.put(message)  # stored only: no send_entry queued
    start_worker()
    report = tasks.dispatch_outbox.delay().get(timeout=TIMEOUT)
    assert (report["claimed"], report["sent"], report["dead"]) == (12, 12, 0)
    assert sorted(r.message_id for r in smtp_server.received) == sorted(m.message_id for m in batch)
    again = tasks.dispatch_outbox.delay(limit=5).get(timeout=TIMEOUT)
    assert again["claimed"] == 0
    assert tasks.outbox.counts()["sent"] == 12


def test_a_sweep_in_parts_sends_each_entry_once(
    make_shop: Callable[..., OutboxTasks], start_worker: StartWorker, smtp_server: SMTPServer
) -> None:
    tasks = make_shop()
    batch = emails(12)
    for message in batch:
        tasks.outbox.put(message)
    start_worker("first")
    start_worker("second")
    first = tasks.dispatch_outbox.delay(parts=3).get(timeout=TIMEOUT)
    assert len(first["parts"]) == 2  # the two other sweeps it queued
    others = [tasks.app.AsyncResult(i).get(timeout=TIMEOUT) for i in first["parts"]]
    assert all(other["parts"] == [] for other in others)  # they queue no more
    reports = [first, *others]
    assert sum(r["claimed"] for r in reports) == sum(r["sent"] for r in reports) == 12
    assert sorted(r.message_id for r in smtp_server.received) == sorted(m.message_id for m in batch)
    assert tasks.outbox.counts()["sent"] == 12


def test_a_transient_failure_is_retried_by_the_task(
    make_shop: Callable[..., OutboxTasks],
    start_worker: StartWorker,
    smtp_server: SMTPServer,
    composed: list[Email],
) -> None:
    tasks = make_shop(SHOP_OUTBOX_BACKOFF="0.5")
    start_worker()
    smtp_server.reply("DATA", "451 4.3.0 Mailbox busy, try again later")
    message = composed[1]
    tasks.outbox.put(message)
    # The first attempt fails; the task retries itself when the backoff ends.
    answer = tasks.send_entry.delay(message.idempotency_key).get(timeout=TIMEOUT)
    assert (answer["state"], answer["action"]) == ("sent", "dispatched")
    assert [r.message_id for r in smtp_server.received] == [message.message_id]
    entry = tasks.outbox.get(message.idempotency_key)
    assert entry is not None
    assert entry.attempts == 2
    assert entry.last_error is not None
    assert "451" in entry.last_error


def test_a_worker_killed_mid_send_loses_nothing(
    make_shop: Callable[..., OutboxTasks],
    start_worker: StartWorker,
    smtp_server: SMTPServer,
    composed: list[Email],
) -> None:
    # Short leases, so the entry the dead worker held comes back quickly.
    tasks = make_shop(SHOP_OUTBOX_LEASE="2")
    first = start_worker("doomed")
    smtp_server.handler.stall = 30  # accepts the data, then never answers
    message = composed[0]
    tasks.outbox.put(message)
    result = tasks.send_entry.delay(message.idempotency_key)  # the only task: no enqueue
    wait_for(lambda: len(smtp_server.received) == 1, "the message to reach the server")
    first.kill()  # SIGKILL while the task waits for the server's 250
    smtp_server.handler.stall = 0
    entry = tasks.outbox.get(message.idempotency_key)
    assert entry is not None
    assert entry.state == "sending"

    start_worker("survivor")
    # The broker delivers the unacknowledged task again (after its visibility timeout);
    # the dead worker's lease has lapsed, so the task sends the message once more, with
    # the same Message-ID for receivers to drop: the one duplicate the design allows.
    answer = result.get(timeout=TIMEOUT)
    assert answer == {
        "idempotency_key": message.idempotency_key,
        "state": "sent",
        "action": "dispatched",
    }
    assert [r.message_id for r in smtp_server.received] == [message.message_id] * 2
    entry = tasks.outbox.get(message.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.attempts) == ("sent", 2)
    # Delivered again (as a broker may), the task finds it sent and does nothing.
    again = tasks.send_entry.delay(message.idempotency_key).get(timeout=TIMEOUT)
    assert again["action"] == "skipped"
    assert len(smtp_server.received) == 2


# -- without a worker --------------------------------------------------------------------
def test_install_registers_late_acknowledged_tasks(tmp_path: Any) -> None:
    app = Celery("shop", set_as_current=False)
    tasks = install(
        app,
        outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}",
        transport_factory=MemoryTransport,
        name_prefix="mail",
        dispatch_every=15,
    )
    for task in (tasks.send_entry, tasks.dispatch_outbox):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.name in app.tasks
    assert (tasks.send_entry.name, tasks.dispatch_outbox.name) == (
        "mail.send_entry",
        "mail.dispatch_outbox",
    )
    assert app.conf.beat_schedule["mail.dispatch_outbox"] == {
        "task": "mail.dispatch_outbox",
        "schedule": 15,
    }
    app.close()


def test_task_bodies_run_in_process(tmp_path: Any, composed: list[Email]) -> None:
    app = Celery("shop", set_as_current=False)
    transport = MemoryTransport()
    tasks = install(
        app,
        outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}",
        transport_factory=lambda: transport,
        dispatch_every=None,
    )
    try:
        assert "beat_schedule" not in app.conf or not app.conf.beat_schedule
        assert tasks.send_entry("no-such-key-000") == {
            "idempotency_key": "no-such-key-000",
            "state": None,
            "action": "skipped",
        }
        first, second, third = composed
        for message in composed:
            tasks.outbox.put(message)
        # Each task sends its own entry, alone; the others wait for theirs.
        assert tasks.send_entry(third.idempotency_key) == {
            "idempotency_key": third.idempotency_key,
            "state": "sent",
            "action": "dispatched",
        }
        assert transport.outbox == [third]
        assert tasks.send_entry(third.idempotency_key)["action"] == "skipped"
        assert tasks.send_entry(first.idempotency_key)["action"] == "dispatched"
        assert transport.outbox == [third, first]
        assert tasks.dispatch_outbox()["claimed"] == 1  # the sweep finds the second
        assert transport.outbox == [third, first, second]
    finally:
        tasks.close()
        app.close()


def test_a_forked_process_makes_its_own_transport(tmp_path: Any) -> None:
    app = Celery("shop", set_as_current=False)
    made: list[MemoryTransport] = []

    def factory() -> MemoryTransport:
        made.append(MemoryTransport())
        return made[-1]

    tasks = install(
        app, outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}", transport_factory=factory
    )
    try:
        assert tasks.transport() is tasks.transport() is made[0]
        tasks._pid = -1  # as if this process were a fork of the one that made it
        assert tasks.transport() is made[1]
        assert made[0].closed is False  # the parent's connections are left alone
        tasks.close()
        assert made[1].closed is True
    finally:
        tasks.close()
        app.close()


def test_bad_schedule_is_refused(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="dispatch_every"):
        install(
            Celery("shop", set_as_current=False),
            outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}",
            transport_factory=MemoryTransport,
            dispatch_every=0,
        )
    for parts in (0, 2.5, "4"):
        with pytest.raises(ConfigurationError, match="sweep_parts"):
            install(
                Celery("shop", set_as_current=False),
                outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}",
                transport_factory=MemoryTransport,
                sweep_parts=parts,
            )


def test_the_scheduled_sweep_runs_in_parts(tmp_path: Any) -> None:
    app = Celery("shop", set_as_current=False)
    tasks = install(
        app,
        outbox_url=f"sqlite:///{tmp_path / 'outbox.db'}",
        transport_factory=MemoryTransport,
        dispatch_every=30,
        sweep_parts=4,
    )
    try:
        assert app.conf.beat_schedule[tasks.dispatch_outbox.name] == {
            "task": tasks.dispatch_outbox.name,
            "schedule": 30,
            "kwargs": {"parts": 4},
        }
        # Called directly (no worker, no broker) it sweeps alone and queues nothing.
        assert tasks.dispatch_outbox(parts=4)["parts"] == []
        with pytest.raises(ValueError, match="parts"):
            tasks.dispatch_outbox(parts=0)
    finally:
        tasks.close()
        app.close()


def test_missing_celery_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "relationclient.contrib.celery")
    monkeypatch.setitem(sys.modules, "celery", None)
    monkeypatch.setitem(sys.modules, "celery.signals", None)
    with pytest.raises(ConfigurationError, match=r"relationclient\[celery\]"):
        importlib.import_module("relationclient.contrib.celery")
