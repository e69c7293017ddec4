"""Local stand-ins for the servers documentation examples talk to.

The SMTP examples read ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USERNAME`` and
``SMTP_PASSWORD`` from the environment, as a shop's code would. Here they
point at a real aiosmtpd server on 127.0.0.1 that requires STARTTLS and AUTH,
whose self-signed certificate is made trusted through ``SSL_CERT_FILE`` (which
OpenSSL reads when :func:`ssl.create_default_context` loads the default
authorities), so the examples run unchanged against it.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from relationclient.testing import make_certificate

USERNAME, PASSWORD = "shop", "local-test-password"


class _Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope.original_content or b"")
        return "250 2.0.0 OK: queued"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == USERNAME.encode()
    ok = ok and data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False, auth_data=data)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_environment(directory: Path) -> Iterator[dict[str, str]]:
    """Run a STARTTLS + AUTH SMTP server on loopback; yield the variables that reach it."""
    cert, key = make_certificate(directory)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    controller = _Controller(
        _Sink(),
        hostname="127.0.0.1",
        port=0,
        server_hostname="mx.loopback.test",
        tls_context=tls,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(controller.port),
            "SMTP_USERNAME": USERNAME,
            "SMTP_PASSWORD": PASSWORD,
            "SSL_CERT_FILE": str(cert),
        }
    finally:
        controller.stop()
