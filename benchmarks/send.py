"""Send benchmark: bulk SMTP over STARTTLS, through a local proxy adding 20 ms of round trip.

* naive: ``smtplib`` opening one connection (EHLO, STARTTLS, EHLO, MAIL, RCPT,
  DATA, QUIT) per message;
* relationclient: ``SMTPTransport.send_many`` — connections reused, a small
  pool of them working at once.

The server is aiosmtpd on loopback with a throw-away certificate; the proxy
delays every chunk by 10 ms each way, as a provider far away would. (The cost
of one message's bytes and of one Maildir delivery is in the render
benchmark, beside the render it compares with.)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import smtplib
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from relationclient import Email, samples
from relationclient.composer import Composer
from relationclient.testing import make_certificate
from relationclient.transports import SMTPTransport


class _Counter:
    """Counts accepted messages in a number shared with the benchmark process."""

    def __init__(self, shared: Any) -> None:
        self.shared = shared

    @property
    def count(self) -> int:
        return int(self.shared.value)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.shared.get_lock():
            self.shared.value += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(cert: Path, key: Path, port: int, shared: Any, stop: Any) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        _Counter(shared),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    stop.wait()
    controller.stop()


@contextmanager
def smtp_server() -> Iterator[tuple[int, _Counter]]:
    """An aiosmtpd server with STARTTLS on a free loopback port, in a process of its own
    (as a real server is: it must not compete with the client for the interpreter lock)."""
    context = multiprocessing.get_context("fork")
    shared, stop = context.Value("i", 0), context.Event()
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = make_certificate(Path(tmp))
        port = _free_port()
        process = context.Process(target=_serve, args=(cert, key, port, shared, stop))
        process.start()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        try:
            yield port, _Counter(shared)
        finally:
            stop.set()
            process.join(timeout=10)


@contextmanager
def latency_proxy(target_port: int, one_way: float = 0.010) -> Iterator[int]:
    """A TCP proxy on loopback delaying every chunk by ``one_way`` seconds each way."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((loop.time() + one_way, data))
        except ConnectionError:
            pass
        queue.put_nowait((0.0, b""))
        await sender

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        try:
            await asyncio.gather(pump(client_r, server_w), pump(server_r, client_w))
        except (asyncio.CancelledError, ConnectionError):
            pass  # the benchmark is over, or a side hung up
        finally:
            client_w.close()
            server_w.close()

    async def start() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        state["port"] = server.sockets[0].getsockname()[1]
        state["server"] = server

    async def shutdown() -> None:
        state["server"].close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def serve() -> None:
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait()
    try:
        yield int(state["port"])
    finally:
        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


def _client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the benchmark's own throw-away certificate
    return context


def naive_send(port: int, emails: list[Email]) -> None:
    """smtplib, one connection per message."""
    context = _client_context()
    for email in emails:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.starttls(context=context)
            smtp.sendmail(email.sender.address, [email.to.address], email.as_bytes())


def ours_send(port: int, emails: list[Email], concurrency: int) -> None:
    """relationclient's SMTPTransport, connections reused and pooled."""
    with SMTPTransport(
        "127.0.0.1", port, security="starttls", ssl_context=_client_context(), pool_size=concurrency
    ) as transport:
        transport.send_many(emails, concurrency=concurrency)


def _emails(count: int) -> list[Email]:
    composer = Composer(samples.shop())
    first = composer.email("order_confirmation", order=samples.order("fr"))
    # Distinct keys (so distinct Message-IDs) without rendering 2,000 orders.
    return [
        first.model_copy(update={"idempotency_key": f"{first.idempotency_key}-{i:05d}"})
        for i in range(count)
    ]


def _rate(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run(count: int, naive_count: int, concurrency: int = 4) -> list[tuple[str, float, str]]:
    """Messages per second, naive against ours, over the 20 ms link and bare loopback."""
    emails = _emails(count)
    rows = []
    with smtp_server() as (port, counter):
        with latency_proxy(port) as slow_port:
            t_naive = _rate(naive_send, slow_port, emails[:naive_count]) / naive_count
            t_reuse = _rate(ours_send, slow_port, emails, 1) / count
            t_ours = _rate(ours_send, slow_port, emails, concurrency) / count
        b_naive = _rate(naive_send, port, emails[:naive_count]) / naive_count
        b_ours = _rate(ours_send, port, emails, concurrency) / count
        expected = 2 * naive_count + 2 * count + count
        if counter.count != expected:
            raise RuntimeError(f"server received {counter.count} messages, expected {expected}")
    rows.append(("smtp 20 ms RTT: smtplib, one connection per message", 1 / t_naive, "msg/s"))
    rows.append(
        (
            "smtp 20 ms RTT: SMTPTransport, one reused connection",
            1 / t_reuse,
            f"msg/s, {t_naive / t_reuse:.1f}x naive",
        )
    )
    rows.append(
        (
            f"smtp 20 ms RTT: SMTPTransport, {concurrency} pooled connections",
            1 / t_ours,
            f"msg/s, {t_naive / t_ours:.1f}x naive (target >= 8)",
        )
    )
    rows.append(("smtp loopback: smtplib, one connection per message", 1 / b_naive, "msg/s"))
    rows.append(
        (
            f"smtp loopback: SMTPTransport, {concurrency} pooled connections",
            1 / b_ours,
            f"msg/s, {b_naive / b_ours:.1f}x naive",
        )
    )
    return rows
