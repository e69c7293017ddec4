"""A dispatcher process for the outbox tests: drain an outbox into a loopback SMTP server.

Run as ``python tests/outbox/dispatcher.py URL PORT [options]``. It dispatches
until no entry is queued or being sent (by anyone), sleeping briefly while the
only entries left wait for their backoff or for another dispatcher's lease,
then prints its totals as one JSON line. The tests start two at once, kill one
with SIGKILL in the middle of a batch, hold messages at the server for longer
than the lease, or run one with its clock set ahead (``--skew``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta

from relationclient.outbox import NO_QUIET_HOURS, Outbox
from relationclient.transports import RetryPolicy, SMTPTransport


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="the outbox URL")
    parser.add_argument("port", type=int, help="the SMTP server's port on 127.0.0.1")
    parser.add_argument("--lease", type=float, default=30.0, help="lease seconds")
    parser.add_argument("--batch", type=int, default=50, help="entries per batch")
    parser.add_argument("--pool", type=int, default=4, help="concurrent SMTP connections")
    parser.add_argument("--attempts", type=int, default=30, help="tries before dead")
    parser.add_argument("--base", type=float, default=0.01, help="first backoff step, seconds")
    parser.add_argument("--cap", type=float, default=0.2, help="longest backoff, seconds")
    parser.add_argument("--deadline", type=float, default=120.0, help="give up after, seconds")
    parser.add_argument("--timeout", type=float, default=5.0, help="SMTP timeout, seconds")
    parser.add_argument(
        "--skew", type=float, default=0.0, help="seconds this process's clock runs ahead"
    )
    args = parser.parse_args(argv)

    retry = RetryPolicy(attempts=args.attempts, base=args.base, cap=args.cap)
    skew = timedelta(seconds=args.skew)
    outbox = Outbox(
        args.url,
        retry=retry,
        lease_seconds=args.lease,
        quiet_hours=NO_QUIET_HOURS,
        clock=lambda: datetime.now(UTC) + skew,
    )
    totals = dict.fromkeys(("claimed", "sent", "retried", "dead", "lost"), 0)
    give_up = time.monotonic() + args.deadline
    smtp = SMTPTransport(
        "127.0.0.1", args.port, security="none", timeout=args.timeout, pool_size=args.pool
    )
    with outbox, smtp:
        while time.monotonic() < give_up:
            report = outbox.dispatch(smtp, batch_size=args.batch)
            for name in totals:
                totals[name] += getattr(report, name)
            counts = outbox.counts()
            if counts["queued"] == 0 and counts["sending"] == 0:
                print(json.dumps(totals), flush=True)
                return 0
            if report.claimed == 0:
                time.sleep(0.02)
    print(json.dumps({"error": "deadline passed", **totals}), flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
