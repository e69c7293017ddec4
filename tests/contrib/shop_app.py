"""The Celery app of an imaginary shop, built from settings as its ``yourshop/tasks.py`` would.

The test process builds it to enqueue messages (as the shop's web process
would); :mod:`shop_tasks` builds it in the real worker the test starts.
Settings are environment variables: ``SHOP_BROKER_URL`` (the Redis the test
started), ``SHOP_OUTBOX_URL`` (a SQLite file in the test's temporary
directory), ``SHOP_SMTP_HOST`` and ``SHOP_SMTP_PORT`` (the test's loopback
aiosmtpd server); optionally ``SHOP_OUTBOX_LEASE`` (seconds a worker owns the
entries it claimed) and ``SHOP_OUTBOX_BACKOFF`` (the longest wait, in seconds,
before retrying a transient failure).
"""

from __future__ import annotations

from collections.abc import Mapping

from celery import Celery

from relationclient.contrib.celery import OutboxTasks, install
from relationclient.outbox.outbox import DEFAULT_RETRY
from relationclient.transports import RetryPolicy, SMTPTransport


def make_app(settings: Mapping[str, str]) -> tuple[Celery, OutboxTasks]:
    """Build the app and install relationclient's outbox tasks on it."""
    broker = settings["SHOP_BROKER_URL"]
    app = Celery("shop", broker=broker, backend=broker, set_as_current=False)
    app.conf.update(
        broker_connection_retry_on_startup=True,
        # A task whose worker died is delivered again after this long (default: an
        # hour), and the worker looks for such tasks every second (default: 10 s).
        broker_transport_options={
            "visibility_timeout": 4,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        result_expires=600,
        # With late acknowledgement, take one task at a time (Celery's advice).
        worker_prefetch_multiplier=1,
    )
    host, port = settings["SHOP_SMTP_HOST"], int(settings["SHOP_SMTP_PORT"])
    backoff = float(settings.get("SHOP_OUTBOX_BACKOFF", "0"))
    tasks = install(
        app,
        outbox_url=settings["SHOP_OUTBOX_URL"],
        transport_factory=lambda: SMTPTransport(host, port, security="none", timeout=5),
        lease_seconds=float(settings.get("SHOP_OUTBOX_LEASE", "300")),
        retry=RetryPolicy(attempts=10, base=backoff, cap=backoff) if backoff else DEFAULT_RETRY,
    )
    return app, tasks
