"""The outbox sent by Celery workers, on a real Redis broker — all on this machine.

The top of this file is what a shop's ``yourshop/tasks.py`` holds: a Celery app
with relationclient's outbox tasks installed on it. Settings come from the
environment, as in production.

Run ``python examples/outbox_celery.py`` to see it work: it starts
``redis-server`` on a free loopback port in a temporary directory, starts a
``celery worker`` process on this very module, stores messages as a web
process would (``tasks.enqueue``), waits until the worker has sent them into
a Maildir, then stops everything. It needs Redis installed
(``apt-get install redis-server``) and the ``relationclient[celery]`` extra.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from celery import Celery

from relationclient.contrib.celery import OutboxTasks, install
from relationclient.transports import MaildirTransport


# -- yourshop/tasks.py ----------------------------------------------------------------------
def make_app(settings: Mapping[str, str]) -> tuple[Celery, OutboxTasks]:
    """The shop's Celery app with the outbox tasks installed, from its settings."""
    app = Celery("yourshop", broker=settings.get("SHOP_BROKER_URL", "redis://127.0.0.1:6379/0"))
    app.conf.update(
        worker_prefetch_multiplier=1,  # tasks are acknowledged late: take one at a time
        broker_connection_retry_on_startup=True,
    )
    maildir = settings.get("SHOP_MAILDIR", "sent-messages")
    tasks = install(
        app,
        # PostgreSQL when workers run on several machines; SQLite serves one machine.
        outbox_url=settings.get("SHOP_OUTBOX_URL", "sqlite:///relationclient-outbox.sqlite3"),
        # Each worker process makes its own transport, once; SMTP or a provider in production.
        transport_factory=lambda: MaildirTransport(maildir),
        dispatch_every=60.0,  # beat's sweep: retries, quiet hours, crashed workers
    )
    return app, tasks


app, tasks = make_app(os.environ)  # what "celery -A yourshop.tasks worker" finds
# -------------------------------------------------------------------------------------------


def main() -> None:
    """Start Redis and a worker locally, enqueue messages, watch them being sent."""
    import mailbox
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    import redis

    import relationclient as rc
    from relationclient import samples

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("this example needs Redis: apt-get install redis-server")

    def free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    def wait(condition: object, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            time.sleep(0.05)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        port = free_port()
        redis_command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", tmp]
        redis_command += ["--save", "", "--appendonly", "no"]
        redis_command += ["--logfile", str(folder / "redis.log")]
        redis_server = subprocess.Popen(redis_command, stdin=subprocess.DEVNULL)
        settings = {
            "SHOP_BROKER_URL": f"redis://127.0.0.1:{port}/0",
            "SHOP_OUTBOX_URL": f"sqlite:///{folder / 'outbox.sqlite3'}",
            "SHOP_MAILDIR": str(folder / "maildir"),
        }
        log = folder / "worker.log"
        worker = None
        try:
            client = redis.Redis(host="127.0.0.1", port=port)

            def redis_answers() -> bool:
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    return False

            wait(redis_answers, "redis-server")
            client.close()
            print(f"Redis on 127.0.0.1:{port}")

            # The worker: what runs in production as
            #   celery -A yourshop.tasks worker -B --loglevel=INFO
            here = Path(__file__).resolve().parent
            env = {**os.environ, **settings, "PYTHONPATH": str(here)}
            command = [sys.executable, "-m", "celery", "-A", Path(__file__).stem, "worker", "-B"]
            command += ["--schedule", str(folder / "beat-schedule"), "--loglevel=INFO"]
            command += ["--pool=solo", "--without-heartbeat", "--without-gossip"]
            command += ["--without-mingle"]
            with log.open("wb") as out:
                worker = subprocess.Popen(
                    command, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
                )
            try:
                wait(lambda: b"ready." in log.read_bytes(), "the worker")
            except SystemExit:
                print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
                raise
            print(f"Worker ready (pid {worker.pid})")

            # The web process: build messages, enqueue them; the worker sends them.
            producer, shop_tasks = make_app(settings)
            composer = rc.Composer(samples.shop())
            order = samples.order("fr")
            messages = [
                composer.email("order_confirmation", order=order),
                composer.sms("order_confirmation", order=order),
                composer.email("shipment_sent", shipment=samples.shipment("fr", order=order)),
            ]
            for message in messages:
                entry = shop_tasks.enqueue(message)
                print(f"Stored {entry.kind} {entry.channel} for {entry.recipient}: {entry.state}")
            again = shop_tasks.enqueue(messages[0])
            print(f"Enqueued the confirmation again: same entry {again.id}, stored once")

            outbox = shop_tasks.outbox
            wait(lambda: outbox.counts()["sent"] == len(messages), "the worker to send")
            print(f"Outbox: {outbox.counts()}")
            box = mailbox.Maildir(settings["SHOP_MAILDIR"], create=False)
            sms_log = Path(settings["SHOP_MAILDIR"], "sms.jsonl").read_text(encoding="utf-8")
            print(f"Maildir: {len(box)} emails, {len(sms_log.splitlines())} SMS")
            shop_tasks.close()
            producer.close()
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)  # warm shutdown: finish the task at hand
                worker.wait(timeout=30)
                print(f"Worker stopped (exit status {worker.returncode})")
            redis_server.terminate()
            redis_server.wait(timeout=10)


if __name__ == "__main__":
    main()
