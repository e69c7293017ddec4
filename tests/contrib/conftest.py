"""Fixtures of the Celery tests: a real Redis server, a loopback SMTP server, a real worker.

Nothing is mocked: ``redis_url`` starts ``redis-server`` (looked up on the PATH,
see :mod:`tests.services`) on a free loopback port in a temporary directory (no
persistence); without it the tests that need it skip, naming Debian's package
``redis-server`` (they fail under ``RELATIONCLIENT_REQUIRE_SERVICES=1``). ``start_worker``
runs ``python -m celery -A shop_tasks worker`` as a separate process configured
by environment variables, as a shop would run it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..services import require, require_module
from ..transports.smtp_server import SMTPServer

HERE = Path(__file__).resolve().parent
READY = "ready."


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fail_with_log(what: str, log: Path) -> None:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"{what}; its log ({log}):\n{text[-4000:]}", pytrace=False)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server on 127.0.0.1 for this module: its ``redis://`` URL."""
    # The celery extra (part of the test extra) brings the client; without it the Celery
    # tests skip, naming it (the Django tests beside them need neither).
    redis = require_module("redis", "celery")
    binary = require("redis")
    directory = tmp_path_factory.mktemp("redis")
    log = directory / "redis.log"
    port = free_port()
    command = [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory)]
    command += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(log)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                _fail_with_log(f"redis-server exited with status {process.returncode}", log)
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                _fail_with_log("redis-server did not answer PING within 10 s", log)
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A plain loopback SMTP server (aiosmtpd) recording what it receives."""
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def shop_settings(redis_url: str, smtp_server: SMTPServer, tmp_path: Path) -> dict[str, str]:
    """The settings the shop's producer and worker share: broker, outbox file, SMTP server."""
    return {
        "SHOP_BROKER_URL": redis_url,
        "SHOP_OUTBOX_URL": f"sqlite:///{tmp_path / 'outbox.db'}",
        "SHOP_SMTP_HOST": smtp_server.host,
        "SHOP_SMTP_PORT": str(smtp_server.port),
    }


class Worker:
    """A ``celery worker`` process; :meth:`stop` asks for a warm shutdown and waits for it."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while READY not in self.text():
            if self.process.poll() is not None:
                _fail_with_log(f"the worker exited with status {self.process.returncode}", self.log)
            if time.monotonic() > deadline:
                self.kill()
                _fail_with_log(f"the worker was not ready within {timeout} s", self.log)
            time.sleep(0.05)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 15) -> int:
        """Warm shutdown (SIGTERM: finish the task at hand, then exit); the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                _fail_with_log(f"the worker did not stop within {timeout} s of SIGTERM", self.log)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task, as on a power cut or an OOM kill."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


StartWorker = Callable[..., Worker]


@pytest.fixture
def start_worker(shop_settings: dict[str, str], tmp_path: Path) -> Iterator[StartWorker]:
    """Start ``celery -A shop_tasks worker`` processes; any still running are stopped after."""
    workers: list[Worker] = []

    def start(name: str = "worker", **extra_env: str) -> Worker:
        log = tmp_path / f"{name}-{len(workers)}.log"
        env = {**os.environ, **shop_settings, **extra_env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "celery", "-A", "shop_tasks", "worker"]
        command += ["--pool=solo", "-c", "1", "--loglevel=INFO", f"--hostname={name}@%h"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )
        worker = Worker(process, log)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()
