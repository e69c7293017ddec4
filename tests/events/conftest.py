"""Fixtures of the webhook tests: outboxes (the outbox tests' own), real servers on loopback.

``webhook_server`` serves the apps over HTTP on 127.0.0.1: the ASGI app under
uvicorn (the ``test`` extra brings it) and the WSGI app under the standard
library's :mod:`wsgiref`, so each test runs against both. ``provider`` is the
transport tests' stand-in for a provider's API, which the outbox sends to.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from relationclient import events
from relationclient.outbox import Outbox

from ..outbox.conftest import clock, make_outbox, outbox, outbox_url, postgres_server
from ..services import require_module
from ..transports.providers.provider_server import ProviderServer

__all__ = ["clock", "make_outbox", "outbox", "outbox_url", "postgres_server"]

#: Where the tests mount the apps: any prefix works, the provider is the last segment.
PREFIX = "/hooks"

StartApp = Callable[..., str]


class QuietHandler(WSGIRequestHandler):
    """No access log in the test output."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve_wsgi(build: Callable[[str], Any]) -> tuple[str, Callable[[], None]]:
    server: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: [], handler_class=QuietHandler)
    base = f"http://127.0.0.1:{server.server_port}{PREFIX}"
    server.set_app(build(base))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    return base, stop


def _serve_asgi(build: Callable[[str], Any]) -> tuple[str, Callable[[], None]]:
    uvicorn = require_module("uvicorn", "test")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}{PREFIX}"
    config = uvicorn.Config(build(base), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join()
        sock.close()

    return base, stop


@pytest.fixture(params=["asgi", "wsgi"])
def webhook_server(request: pytest.FixtureRequest) -> Iterator[StartApp]:
    """Start the ASGI (uvicorn) or WSGI (wsgiref) app; returns the base URL of the providers."""
    stops: list[Callable[[], None]] = []

    def start(outbox: Outbox, secrets: Mapping[str, Any], **options: Any) -> str:
        factory = events.asgi_app if request.param == "asgi" else events.wsgi_app
        serve = _serve_asgi if request.param == "asgi" else _serve_wsgi
        base, stop = serve(lambda url: factory(outbox, secrets, public_url=url, **options))
        stops.append(stop)
        return base

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def provider() -> Iterator[ProviderServer]:
    """A provider's API stand-in on 127.0.0.1 (Postmark's and Twilio's answers are scripted)."""
    server = ProviderServer()
    server.start()
    yield server
    server.stop()
