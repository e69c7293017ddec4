"""Durable sending: store every message before it leaves, send it later, lose nothing.

A shop puts a message in the outbox where it used to send it, ideally in the
same database transaction as the order it confirms; a dispatcher (a cron job, a
Celery task, a loop) sends what is due::

    from relationclient.outbox import Outbox
    from relationclient.transports import SMTPTransport

    outbox = Outbox("sqlite:///var/lib/shop/outbox.sqlite3")   # or postgresql://…
    outbox.put(email)                       # stored, not sent; same key → same entry
    with SMTPTransport("smtp.example.net", username="shop", password="…") as smtp:
        report = outbox.dispatch(smtp)      # sends what is due, records every result

Transient failures come back after a capped, jittered exponential backoff
(honouring ``Retry-After``); permanent ones are parked as ``dead`` with the
provider's reason, for :meth:`Outbox.dead` and :meth:`Outbox.requeue`.
Marketing SMS respect :class:`QuietHours` (strict French practice by default).
Dispatchers hold what they claimed under leases measured by the database's
clock, renewed while they send and fenced by a token, so two live dispatchers
never send one entry twice (:mod:`.heartbeat`, :mod:`.store`). Delivery events
come back through :meth:`Outbox.record_events` and feed each shop's
suppression list (:mod:`.suppression`), which ``put`` and ``dispatch`` obey.

asyncio shops (FastAPI…) call ``await outbox.aput(message)`` and ``await
outbox.adispatch(transport)``: the same outbox, the event loop never blocked
(:mod:`.aio`).

Why the standard library's :mod:`sqlite3` and psycopg 3 rather than SQLAlchemy:
the outbox needs about ten statements, and their correctness rests on details
an abstraction layer would hide or make awkward — ``BEGIN IMMEDIATE`` to take
SQLite's write lock before reading due rows, ``FOR UPDATE SKIP LOCKED`` in
PostgreSQL, ``INSERT … ON CONFLICT DO NOTHING RETURNING`` for a race-free
idempotent ``put``, the exact ``synchronous`` and WAL pragmas. Written
directly, every statement is visible in :mod:`.sqlite` and :mod:`.postgres`
and reviewable on its own. The embedded default then needs no dependency at
all, PostgreSQL needs one small driver (the ``relationclient[postgres]``
extra), and the shop's own connection — a plain :class:`sqlite3.Connection`
or :class:`psycopg.Connection` — is what :meth:`Outbox.put` joins, with no
engine or session for the shop to adapt to. The cost is two short dialect
modules instead of one; the schema has four tables and does not need
SQLAlchemy's breadth.
"""

from ..errors import LockTimeoutError as LockTimeoutError
from .entry import DispatchReport as DispatchReport
from .entry import OutboxEntry as OutboxEntry
from .entry import State as State
from .outbox import DEFAULT_BATCH_BYTES as DEFAULT_BATCH_BYTES
from .outbox import Outbox as Outbox
from .quiet_hours import DEFAULT_QUIET_HOURS as DEFAULT_QUIET_HOURS
from .quiet_hours import NO_QUIET_HOURS as NO_QUIET_HOURS
from .quiet_hours import QuietHours as QuietHours
from .suppression import RecordReport as RecordReport
from .suppression import Scope as Scope
from .suppression import Suppression as Suppression

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_QUIET_HOURS",
    "NO_QUIET_HOURS",
    "DispatchReport",
    "LockTimeoutError",
    "Outbox",
    "OutboxEntry",
    "QuietHours",
    "RecordReport",
    "Scope",
    "State",
    "Suppression",
]
