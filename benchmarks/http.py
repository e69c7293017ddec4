"""HTTP bulk benchmark: emails to a provider's API through a local proxy adding 20 ms of round trip.

Side by side in one run, on the same order confirmations (the sample shop's,
a fresh order each, rendered before timing starts):

* one request per message: a plain ``httpx.Client`` (connections kept alive,
  as Anymail and most shop code send) posting each message to Postmark's
  ``/email``, with the very body relationclient would build for it
  (``PostmarkTransport.build_request``);
* ``PostmarkTransport.send_many``: Postmark's ``/email/batch``;
* ``MailjetTransport.send_many``: Mailjet Send API v3.1, many ``Messages`` a call;
* ``SendGridTransport.send_many``: SendGrid has no batch that keeps every
  message's own headers, so one request per message, many in flight: the
  default bound of 8, and 32.

Each provider is played by the tests' provider server
(``tests/transports/providers/provider_server.py``: the documented endpoints,
limits and answers), in a process of its own so that it does not share the
interpreter lock with the client, behind the send benchmark's TCP proxy, which
delays every chunk by 10 ms each way — in a process of its own too, as the
network costs the client nothing (in the client's process it took 12-14 % off
the batch rates). Every message must come back with its own receipt, or the
run fails. Each row gives the CPU time per message of the client, the server
and the proxy, read from ``/proc``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from relationclient import Email, samples
from relationclient.composer import Composer
from relationclient.transports import HTTPTransport, Receipt
from relationclient.transports.providers import (
    MailjetTransport,
    PostmarkTransport,
    SendGridTransport,
)

from .render import fresh_order
from .send import latency_proxy

Row = tuple[str, float, str]


def emails(count: int) -> list[Email]:
    """``count`` order confirmations of the sample shop, each from a fresh order."""
    composer = Composer(samples.shop())
    return [composer.email("order_confirmation", order=fresh_order(seed)) for seed in range(count)]


# -- the provider, in a process of its own ------------------------------------------------
def _sendgrid_answer(request: Any, bad: frozenset[str]) -> Any:
    """SendGrid's documented success: ``202``, no body, the id in ``X-Message-Id``."""
    from tests.transports.providers.provider_server import Scripted

    return Scripted(202, None, {"X-Message-Id": uuid.uuid4().hex})


def _serve(provider: str, pipe: Any, stop: Any) -> None:
    from tests.transports.providers.provider_server import PLAYERS, ProviderServer

    PLAYERS.setdefault("sendgrid", _sendgrid_answer)
    server = ProviderServer()
    server.play(provider)
    server.start()
    pipe.send(int(server.url.rpartition(":")[2]))
    stop.wait()
    pipe.send(len(server.requests))
    server.stop()


@contextmanager
def _forked(target: Any, *args: Any, what: str) -> Iterator[tuple[int, Any, Any]]:
    """Run ``target(*args, pipe, stop)`` in a forked process until the block is left.

    ``target`` sends its loopback port down the pipe once it listens, then waits
    for ``stop``. Yields the port, the process and our end of the pipe, which
    stays readable after the block for what the target sends once stopped.
    """
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    stop = context.Event()
    process = context.Process(target=target, args=(*args, theirs, stop), daemon=True)
    process.start()
    if not ours.poll(20):
        process.kill()
        raise RuntimeError(f"{what} did not start")
    try:
        yield int(ours.recv()), process, ours
    finally:
        stop.set()
        process.join(timeout=10)


@contextmanager
def provider_server(provider: str) -> Iterator[tuple[int, dict[str, int]]]:
    """The test provider server playing ``provider`` on a loopback port, in a forked process.

    Yields the port and a dict holding the server's ``pid`` and, once the block
    is left, ``requests``: how many requests the server received.
    """
    tally: dict[str, int] = {}
    with _forked(_serve, provider, what=f"the {provider} server") as (port, process, pipe):
        tally["pid"] = int(process.pid or 0)
        yield port, tally
    if pipe.poll(1):
        tally["requests"] = int(pipe.recv())


def _relay(port: int, pipe: Any, stop: Any) -> None:
    with latency_proxy(port) as slow:
        pipe.send(slow)
        stop.wait()


@contextmanager
def slow_link(port: int) -> Iterator[tuple[int, int]]:
    """The send benchmark's 20 ms proxy to ``port``, in a forked process of its own.

    Batches move megabytes; in the client's process, the proxy would take the
    interpreter lock from the client for each chunk, which a network does not.
    Yields the proxy's port and its pid.
    """
    with _forked(_relay, port, what="the proxy") as (slow, process, _):
        yield slow, int(process.pid or 0)


# -- the senders ---------------------------------------------------------------------------
def one_request_per_message(base_url: str, batch: list[Email]) -> list[str]:
    """A plain ``httpx.Client``, one ``POST /email`` per message, the connection kept alive."""
    describer = PostmarkTransport("bench-token")  # only builds the bodies: no traffic
    ids = []
    headers = {"X-Postmark-Server-Token": "bench-token", "Accept": "application/json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for email in batch:
            response = client.post("/email", json=describer.build_request(email).json)
            response.raise_for_status()
            ids.append(response.json()["MessageID"])
    return ids


def _transport(provider: str, base_url: str, concurrency: int | None) -> HTTPTransport:
    options: dict[str, Any] = {"base_url": base_url, "timeout": 60, "concurrency": concurrency}
    if provider == "postmark":
        return PostmarkTransport("bench-token", **options)
    if provider == "mailjet":
        return MailjetTransport("bench-key", "bench-secret", **options)
    return SendGridTransport("bench-key", **options)


def ours(
    provider: str, base_url: str, concurrency: int | None, batch: list[Email]
) -> list[Receipt]:
    """relationclient's transport for ``provider``: ``send_many`` of the whole batch."""
    with _transport(provider, base_url, concurrency) as transport:
        return transport.send_many(batch)


def _check(name: str, batch: list[Email], ids: list[Any]) -> None:
    """Every message answered with an id of its own, in order."""
    if len(ids) != len(batch) or len(set(map(str, ids))) != len(batch):
        raise RuntimeError(
            f"{name}: {len(ids)} answers, {len(set(ids))} distinct, {len(batch)} sent"
        )
    for email, receipt in zip(batch, ids, strict=True):
        if isinstance(receipt, Receipt) and receipt.idempotency_key != email.idempotency_key:
            raise RuntimeError(f"{name}: receipts out of order")


def _timed(name: str, batch: list[Email], fn: Any, *args: Any) -> float:
    """Seconds ``fn(*args, batch)`` took; its answers checked."""
    start = time.perf_counter()
    answers = fn(*args, batch)
    elapsed = time.perf_counter() - start
    _check(name, batch, answers)
    return elapsed


# -- the benchmark -------------------------------------------------------------------------
def _cpu(*pids: int) -> list[float]:
    """CPU seconds so far of this process, then of each of ``pids``."""
    from .celery import _tree_cpu

    mine = os.times()
    return [mine.user + mine.system, *(_tree_cpu(pid) for pid in pids)]


def run(count: int, naive_count: int | None = None) -> list[Row]:
    """Messages per second: one request per message against each provider's ``send_many``."""
    batch = emails(count)
    naive_batch = batch[: naive_count or count]
    rows: list[Row] = []
    ways: list[tuple[str, str, str, int | None]] = [
        ("postmark", "one request per message", "", None),
        ("postmark", "/email/batch", " (target >= 20)", None),
        ("mailjet", "v3.1 Messages", " (target >= 20)", None),
        ("sendgrid", "8 requests in flight", "", None),
        ("sendgrid", "32 requests in flight", "", 32),
    ]
    naive = 0.0
    for provider, how, target, concurrency in ways:
        with provider_server(provider) as (port, tally), slow_link(port) as (slow, relay):
            url = f"http://127.0.0.1:{slow}"
            before = _cpu(tally["pid"], relay)
            if not naive:
                sent = len(naive_batch)
                span = _timed("one request per message", naive_batch, one_request_per_message, url)
            else:
                sent = count
                span = _timed(provider, batch, ours, provider, url, concurrency)
            used = [
                (b - a) * 1000 / sent
                for a, b in zip(before, _cpu(tally["pid"], relay), strict=True)
            ]
        rate = sent / span
        cpu = "CPU ms/msg: client {:.2f}, server {:.2f}, proxy {:.2f}".format(*used)
        if not naive:
            naive = rate
            rows.append((f"http 20 ms RTT: httpx, {how}", rate, f"msg/s; {cpu}"))
            continue
        calls = tally.get("requests", 0)
        rows.append(
            (
                f"http 20 ms RTT: {provider}, send_many ({how})",
                rate,
                f"msg/s, {rate / naive:.1f}x one-per-message{target}; {calls} requests; {cpu}",
            )
        )
    return rows
