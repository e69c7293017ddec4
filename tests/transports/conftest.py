"""Fixtures of the transport tests: real SMTP and HTTP servers on loopback, TLS, a closed port."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from relationclient.testing import make_certificate

from .providers.provider_server import ProviderServer
from .smtp_server import SMTPServer, authenticate, server_tls_context

StartServer = Callable[..., SMTPServer]


@pytest.fixture
def start_smtp_server() -> Iterator[StartServer]:
    """Start an SMTP server with the given aiosmtpd options; all are stopped after the test."""
    servers: list[SMTPServer] = []

    def start(**options: Any) -> SMTPServer:
        server = SMTPServer(**options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def start_provider_server() -> Iterator[Callable[[], ProviderServer]]:
    """Start provider stand-ins (as many as a test needs); all are stopped after the test."""
    started: list[ProviderServer] = []

    def start() -> ProviderServer:
        provider = ProviderServer()
        provider.start()
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.stop()


@pytest.fixture
def smtp_server(start_smtp_server: StartServer) -> SMTPServer:
    """A plain SMTP server (SMTPUTF8 on, no TLS, no AUTH)."""
    return start_smtp_server()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert, key) paths."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def client_tls_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context trusting only the test certificate, hostname checked."""
    return ssl.create_default_context(cafile=certificate[0])


@pytest.fixture
def tls_smtp_server(start_smtp_server: StartServer, certificate: tuple[Path, Path]) -> SMTPServer:
    """A submission server: STARTTLS required, then AUTH (only over TLS) required."""
    return start_smtp_server(
        tls_context=server_tls_context(*certificate),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound by nobody's listener: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # held, never listening: no one else can take it
        yield sock.getsockname()[1]
