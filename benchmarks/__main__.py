"""Run every benchmark in one process and print a table: ``python -m benchmarks [--quick]``.

``--quick`` runs each benchmark on a handful of messages to check they work
(CI does this, in well under a minute); its figures mean nothing. Without it,
the figures are the ones the docs report (docs/performance.rst); expect a few
minutes on a 2-core machine. The render part prints whether the targets of
DESIGN.md hold; it never fails on them.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from . import celery, events, http, memory, outbox, render, send


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the benchmarks, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny sizes")
    parser.add_argument(
        "--only",
        choices=["render", "send", "http", "outbox", "events", "memory", "celery"],
        action="append",
        help="run only these (repeatable)",
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or ["render", "send", "http", "outbox", "events", "memory", "celery"])
    quick = args.quick
    print(
        f"relationclient benchmarks — {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {_cores()} cores"
        f"{' (quick: sizes too small for meaningful figures)' if quick else ''}"
    )
    started = time.perf_counter()

    def show(rows: list[tuple[str, float, str]]) -> None:
        for label, value, unit in rows:
            print(f"{label:<58}  {value:10.3f} {unit}", flush=True)

    if "render" in wanted:
        show(render.run(count=20 if quick else 500, repeat=2 if quick else 9, quick=quick))
    if "send" in wanted:
        show(send.run(count=40 if quick else 2000, naive_count=5 if quick else 100))
    if "http" in wanted:
        show(http.run(count=40 if quick else 2000))
    if "outbox" in wanted:
        show(outbox.run(count=40 if quick else 2000))
    if "events" in wanted:
        show(events.run(count=200 if quick else 20_000, entries=100 if quick else 1000))
    if "memory" in wanted:
        show(memory.run(count=500 if quick else 100_000))
    if "celery" in wanted and (not quick or args.only):  # workers start slowly: not in --quick
        show(
            celery.run(
                count=40 if quick else 2000,
                task_count=20 if quick else 500,
                workers=(1, 2) if quick else (1, 2, 4, 8),
            )
        )
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
