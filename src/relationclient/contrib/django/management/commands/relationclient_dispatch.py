"""``manage.py relationclient_dispatch``: send what the outbox holds that is due.

Run it from cron, a systemd timer, or as a long-lived process with ``--loop``.
Several may run at once (on several machines, against PostgreSQL): the
outbox's leases keep them from sending one entry twice.

The exit status is 0 when nothing was parked dead during the run, 1 when some
entries were (refused for good, or out of attempts: ``relationclient outbox
show KEY`` says why) or when the settings are unusable.
"""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from .....errors import ConfigurationError
from .....outbox import DispatchReport
from ...conf import get_outbox, get_transport


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ArgumentTypeError(f"must be seconds > 0, not {text!r}")
    return value


def summary(report: DispatchReport) -> str:
    """One line saying what a dispatch did."""
    return (
        f"claimed {report.claimed}, sent {report.sent}, retried {report.retried}, "
        f"dead {report.dead}, suppressed {report.suppressed}, deferred {report.deferred}"
    )


class Command(BaseCommand):
    """Send the due entries of the outbox through ``RELATIONCLIENT["TRANSPORT"]``."""

    help = (
        'Send what is due in RELATIONCLIENT["OUTBOX"] through RELATIONCLIENT["TRANSPORT"]; '
        "exit status 1 when entries were parked dead."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """``--limit``, ``--workers``, ``--loop [SECONDS]``, ``--rounds``."""
        parser.add_argument(
            "--limit",
            type=_positive_int,
            default=None,
            help="send at most this many entries a round",
        )
        parser.add_argument(
            "--workers", type=_positive_int, default=1, help="threads sending at once (default 1)"
        )
        parser.add_argument(
            "--loop",
            type=_seconds,
            nargs="?",
            const=5.0,
            default=None,
            metavar="SECONDS",
            help="keep running, dispatching again every SECONDS (default 5) until stopped",
        )
        parser.add_argument(
            "--rounds",
            type=_positive_int,
            default=None,
            help="with --loop, stop after this many rounds",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Dispatch once, or round after round with ``--loop``."""
        interval: float | None = options["loop"]
        rounds: int | None = options["rounds"] if interval is not None else 1
        try:
            outbox = get_outbox()
            transport = get_transport()
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from exc
        dead = done = 0
        stop = threading.Event()
        previous: Any = None
        handles_term = (
            interval is not None and threading.current_thread() is threading.main_thread()
        )
        if handles_term:
            # systemd, Docker and Kubernetes stop with SIGTERM: end after the round under way.
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                try:
                    report = outbox.dispatch(
                        transport, limit=options["limit"], workers=options["workers"]
                    )
                finally:
                    transport.close()  # a fresh connection each round: idle ones go stale
                done += 1
                dead += report.dead
                if report.claimed or interval is None:
                    self.stdout.write(f"Dispatched: {summary(report)}")
                if rounds is not None and done >= rounds:
                    break
                assert interval is not None
                stop.wait(interval)
            else:
                self.stdout.write("Stopped.")
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            if handles_term:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
        if dead:
            raise CommandError(
                f"{dead} entr{'y' if dead == 1 else 'ies'} parked dead; "
                "`relationclient outbox show KEY` says why",
                returncode=1,
            )
