"""Celery tasks that send the outbox: for volume beyond one process (``relationclient[celery]``).

The outbox already guarantees one send per idempotency key, whoever asks; Celery
only spreads the asking over worker processes and machines. :func:`install`
registers two tasks on the shop's own Celery app and returns an
:class:`OutboxTasks` to enqueue messages with::

    # yourshop/tasks.py
    import os

    from celery import Celery
    from relationclient.contrib.celery import install
    from relationclient.transports import SMTPTransport

    app = Celery("yourshop", broker="redis://localhost:6379/0")
    outbox = install(
        app,
        outbox_url="postgresql://shop@db/shop",   # or sqlite:////var/lib/shop/outbox.sqlite3
        transport_factory=lambda: SMTPTransport("smtp.example.net", username="shop",
                                                password=os.environ["SMTP_PASSWORD"]),
    )

    # in the order flow (a web request, another task):
    outbox.enqueue(composer.email("order_confirmation", order=order))

Set ``worker_prefetch_multiplier = 1`` (tasks acknowledged late are best
taken one at a time), then run the workers, with beat for the periodic sweep
(one beat per deployment: ``-B`` embeds it in a worker, or run
``celery -A yourshop.tasks beat`` apart)::

    celery -A yourshop.tasks worker -B --loglevel=INFO

Each worker process sends one task at a time; ``--concurrency=N`` (prefork,
the default pool) runs N of them, and ``install(sweep_parts=N)`` lets the
periodic sweep use them all (docs/celery.rst, "Several workers").

The tasks, named ``relationclient.send_entry`` and
``relationclient.dispatch_outbox`` (``name_prefix`` changes the prefix):

``send_entry(idempotency_key)``
    The fast path, queued by :meth:`OutboxTasks.enqueue` right after the
    message is stored. If the entry is still ``queued`` and due (or was being
    sent by a worker whose lease lapsed), it is sent now, alone
    (``Outbox.dispatch(key=…)``): other entries wait for their own tasks or
    the sweep. Otherwise (already sent, being sent, dead, held by quiet
    hours or waiting for a retry) it sends nothing. When the entry will be due
    again soon — a retry backoff, the lease of a worker that may have died, a
    quiet hour ending within 15 minutes — the task retries itself for that
    moment; longer waits are left to the sweep. It returns
    ``{"idempotency_key", "state", "action"}`` where ``action`` is
    ``"dispatched"`` or ``"skipped"``.

``dispatch_outbox(limit=None, parts=1)``
    The sweep: sends everything due — messages held by quiet hours once their
    hour comes, transient failures once their backoff ends, entries of a
    crashed worker once its lease lapses — in batches of 100 through the
    transport's ``send_many`` (a provider's batch endpoint where it has one).
    Beat runs it every ``dispatch_every`` seconds (60 by default). With
    ``parts=N`` (``install(sweep_parts=N)`` for beat's) it first queues
    ``N - 1`` more sweeps, so that N worker processes drain a backlog
    together; the outbox's claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
    gives each batch to one of them. It returns the
    :class:`~relationclient.outbox.DispatchReport` as a dict, with ``parts``
    the ids of the sweeps it queued.

Both are ``acks_late`` with ``reject_on_worker_lost``: a worker killed
mid-task leaves the task message unacknowledged and the broker delivers it
again (with Redis, after its ``visibility_timeout``). The redelivered task is
harmless by construction: it finds the entry ``sent`` and does nothing, or
still leased by the dead worker and looks again when the lease lapses; the
outbox's claim decides who sends. The one duplicate the
design allows — a worker killed after the provider accepted, before the outbox
recorded it — carries the same ``Message-ID``.

Each worker process opens its own outbox connection and one transport (made by
``transport_factory`` on first use, kept for the next tasks, closed when the
worker shuts down); with a thread pool the tasks share the transport, which the
built-in transports allow.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..errors import ConfigurationError
from ..messages import Email, Sms
from ..outbox import Outbox, OutboxEntry
from ..transports.base import Transport

__all__ = ["OutboxTasks", "install"]

logger = logging.getLogger(__name__)

_EXTRA = 'relationclient.contrib.celery needs Celery: pip install "relationclient[celery]"'


def _import_celery() -> ModuleType:
    """Celery's ``signals`` module, or a :class:`ConfigurationError` naming the extra."""
    try:
        return importlib.import_module("celery.signals")
    except ImportError as exc:
        raise ConfigurationError(f"{_EXTRA} ({exc})") from exc


_signals = _import_celery()

#: ``send_entry`` looks again at an entry that becomes due within this many
#: seconds (a lapsing lease, a retry backoff), well inside Redis's default
#: one-hour visibility timeout; later ones are ``dispatch_outbox``'s.
_FOLLOW_UP_WITHIN = 900.0
_MARGIN = 0.5


class OutboxTasks:
    """The outbox tasks installed on one Celery app; made by :func:`install`.

    Attributes:
        app: The Celery app the tasks are registered on.
        send_entry: The ``send_entry(idempotency_key)`` task.
        dispatch_outbox: The ``dispatch_outbox(limit=None, parts=1)`` task.
    """

    def __init__(
        self,
        app: Any,
        *,
        outbox_url: str,
        transport_factory: Callable[[], Transport],
        outbox_options: dict[str, Any],
        name_prefix: str,
    ) -> None:
        self.app = app
        self.outbox_url = outbox_url
        self.transport_factory = transport_factory
        self._outbox_options = outbox_options
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._outbox: Outbox | None = None
        self._transport: Transport | None = None
        self._inherited: list[Transport] = []

        def send_entry(task: Any, idempotency_key: str) -> dict[str, Any]:
            """Send the outbox entry stored under ``idempotency_key`` if it is still queued."""
            answer, wait = self._send_entry(idempotency_key)
            if wait is not None and not task.request.called_directly:
                raise task.retry(countdown=wait, max_retries=None)
            return answer

        def dispatch_outbox(task: Any, limit: int | None = None, parts: int = 1) -> dict[str, Any]:
            """Send every due outbox entry (at most ``limit``); the report as a dict.

            With ``parts`` above 1, a worker first queues ``parts - 1`` more sweeps
            that drain the outbox beside this one (the claim splits the entries).
            """
            if type(parts) is not int or parts < 1:
                raise ValueError(
                    f"dispatch_outbox: parts must be a whole number >= 1, not {parts!r}"
                )
            queued: list[str] = []
            if parts > 1 and not task.request.called_directly:
                queued = [task.apply_async(kwargs={"limit": limit}).id for _ in range(parts - 1)]
            return {**self._dispatch_outbox(limit), "parts": queued}

        # Acknowledged only once done: a worker lost mid-task gets the task again.
        options: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}
        options["shared"] = False  # registered on this app only
        self.send_entry: Any = app.task(name=f"{name_prefix}.send_entry", bind=True, **options)(
            send_entry
        )
        self.dispatch_outbox: Any = app.task(
            name=f"{name_prefix}.dispatch_outbox", bind=True, **options
        )(dispatch_outbox)

    def __repr__(self) -> str:
        return f"<OutboxTasks {self.send_entry.name}, {self.dispatch_outbox.name}>"

    # -- what the shop calls ---------------------------------------------------------------
    @property
    def outbox(self) -> Outbox:
        """This process's :class:`~relationclient.outbox.Outbox`, opened on first use."""
        with self._lock:
            self._forget_if_forked()
            if self._outbox is None:
                self._outbox = Outbox(self.outbox_url, **self._outbox_options)
            return self._outbox

    def enqueue(self, message: Email | Sms, **options: Any) -> OutboxEntry:
        """Store ``message`` in the outbox, then queue ``send_entry`` for it.

        The message is stored before the task is queued: if the broker is
        down, the broker's error propagates, but the entry is already durable
        and waits for the next ``dispatch_outbox``. A message already stored
        under its key is not stored again, and its task is queued again only
        while the entry is still ``queued``.

        Args:
            message: The :class:`~relationclient.Email` or :class:`~relationclient.Sms`.
            **options: Passed to :meth:`Outbox.put <relationclient.outbox.Outbox.put>`
                (``not_before``, ``connection``). With ``connection`` the entry
                is only visible once the shop commits: queue ``send_entry``
                after the commit yourself, or let ``dispatch_outbox`` find it.

        Returns:
            The stored entry.
        """
        entry = self.outbox.put(message, **options)
        if entry.state == "queued" and "connection" not in options:
            self.send_entry.delay(entry.idempotency_key)
        return entry

    def transport(self) -> Transport:
        """This process's transport, made by ``transport_factory`` on first use."""
        with self._lock:
            self._forget_if_forked()
            if self._transport is None:
                self._transport = self.transport_factory()
            return self._transport

    def close(self) -> None:
        """Close this process's transport and outbox connection (the next task reopens them)."""
        with self._lock:
            transport, self._transport = self._transport, None
            outbox, self._outbox = self._outbox, None
        if transport is not None:
            try:
                transport.close()
            except Exception:  # shutting down: report, do not mask the outbox close
                logger.exception("closing the transport failed")
        if outbox is not None:
            outbox.close()

    def _forget_if_forked(self) -> None:
        """In a forked child (a prefork pool process), leave the parent's transport alone.

        Its connections belong to the parent: the child neither uses nor closes
        them, and keeps a reference so that garbage collection does not either.
        The outbox needs nothing: it opens its own connection after a fork.
        """
        if self._pid != os.getpid():
            if self._transport is not None:
                self._inherited.append(self._transport)
            self._pid, self._transport = os.getpid(), None

    # -- the task bodies -----------------------------------------------------------------
    def _send_entry(self, idempotency_key: str) -> tuple[dict[str, Any], float | None]:
        """Send the entry if it is due; the task's answer, and when to look again if ever."""
        outbox = self.outbox
        entry = outbox.get(idempotency_key)
        action = "skipped"
        if entry is not None and self._due(entry, outbox):
            action = "dispatched"
            outbox.dispatch(self.transport(), key=idempotency_key)
            entry = outbox.get(idempotency_key)
        if entry is None:
            logger.warning("send_entry: no outbox entry under key %s", idempotency_key)
            return self._result(idempotency_key, None, action), None
        return self._result(idempotency_key, entry.state, action), self._follow_up(entry, outbox)

    def _dispatch_outbox(self, limit: int | None = None) -> dict[str, Any]:
        report = self.outbox.dispatch(self.transport(), limit=limit)
        if report.claimed:
            logger.info(
                "dispatch_outbox: %d sent, %d to retry, %d dead, %d deferred in %.2f s",
                report.sent,
                report.retried,
                report.dead,
                report.deferred,
                report.elapsed,
            )
        return dataclasses.asdict(report)

    @staticmethod
    def _due(entry: OutboxEntry, outbox: Outbox) -> bool:
        """Queued and due, or claimed by a dispatcher whose lease lapsed (it died)."""
        now = outbox.clock()
        if entry.state == "sending":
            return entry.lease_until is not None and entry.lease_until <= now
        return entry.state == "queued" and entry.not_before <= now

    @staticmethod
    def _follow_up(entry: OutboxEntry, outbox: Outbox) -> float | None:
        """Seconds until the entry is worth another look, when that is soon; else None.

        Soon: the lease of the worker holding it (it may have died), or the
        backoff of a transient failure, within :data:`_FOLLOW_UP_WITHIN`. Longer
        waits (quiet hours) are left to ``dispatch_outbox``: a task delayed for
        hours outlives Redis's visibility timeout and would be delivered twice.
        """
        now = outbox.clock()
        if entry.state == "sending" and entry.lease_until is not None:
            wait = (entry.lease_until - now).total_seconds() + _MARGIN
        elif entry.state == "queued":
            wait = (entry.not_before - now).total_seconds() + _MARGIN
        else:
            return None
        return max(wait, _MARGIN) if wait <= _FOLLOW_UP_WITHIN else None

    @staticmethod
    def _result(key: str, state: str | None, action: str) -> dict[str, Any]:
        return {"idempotency_key": key, "state": state, "action": action}


def install(
    app: Any,
    *,
    outbox_url: str,
    transport_factory: Callable[[], Transport],
    name_prefix: str = "relationclient",
    dispatch_every: float | None = 60.0,
    sweep_parts: int = 1,
    **outbox_options: Any,
) -> OutboxTasks:
    """Register the outbox tasks on ``app`` (a :class:`celery.Celery`); see the module docs.

    Call it where the app is defined, so that the web processes that enqueue
    and the workers that send register the same tasks.

    Args:
        app: The shop's Celery app.
        outbox_url: The outbox database, as for :class:`~relationclient.outbox.Outbox`.
            Every process must reach the same database: a SQLite file serves
            workers on one machine only; use PostgreSQL across machines.
        transport_factory: Makes the transport a worker process sends with
            (called once per process, in the worker, never in the enqueuing
            process).
        name_prefix: The tasks are ``<name_prefix>.send_entry`` and
            ``<name_prefix>.dispatch_outbox``; change it to install two outboxes
            on one app.
        dispatch_every: Seconds between two ``dispatch_outbox`` runs scheduled
            for beat (``beat_schedule``), or None to schedule it yourself.
            Without a sweep, held and retried messages are never sent.
        sweep_parts: How many sweeps the scheduled one runs as, side by side
            (its ``parts``): the number of worker processes, so that a backlog
            released at once (quiet hours ending, a campaign stored without
            tasks) is drained by all of them rather than one.
        **outbox_options: More :class:`~relationclient.outbox.Outbox` arguments:
            ``retry``, ``lease_seconds``, ``quiet_hours``.

    Returns:
        The installed tasks, with :meth:`OutboxTasks.enqueue`.

    Raises:
        ConfigurationError: When ``dispatch_every`` is not positive or
            ``sweep_parts`` is not a whole number of at least 1.
    """
    if dispatch_every is not None and dispatch_every <= 0:
        raise ConfigurationError("dispatch_every must be a positive number of seconds, or None")
    if type(sweep_parts) is not int or sweep_parts < 1:
        raise ConfigurationError(f"sweep_parts must be a whole number >= 1, not {sweep_parts!r}")
    tasks = OutboxTasks(
        app,
        outbox_url=outbox_url,
        transport_factory=transport_factory,
        outbox_options=outbox_options,
        name_prefix=name_prefix,
    )
    if dispatch_every is not None:
        schedule = dict(app.conf.beat_schedule or {})
        schedule[tasks.dispatch_outbox.name] = {
            "task": tasks.dispatch_outbox.name,
            "schedule": dispatch_every,
        }
        if sweep_parts > 1:
            schedule[tasks.dispatch_outbox.name]["kwargs"] = {"parts": sweep_parts}
        app.conf.beat_schedule = schedule

    def close(**_: Any) -> None:
        tasks.close()

    for signal in (_signals.worker_process_shutdown, _signals.worker_shutdown):
        signal.connect(close, weak=False, dispatch_uid=f"relationclient-close-{id(tasks)}")
    return tasks
