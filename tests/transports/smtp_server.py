"""A real SMTP server on 127.0.0.1 for the transport tests: aiosmtpd, recording and scriptable.

It records every envelope and parsed message, counts connections, and can be
told to answer a command with a scripted reply (``451`` once, ``550``…), to drop
each connection after N messages, or to stall before answering ``DATA``.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import ssl
import time
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USERNAME, PASSWORD = "shop", "s3cret-p4ss word"


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    smtp_utf8: bool
    data: bytes
    connection: int
    tls: bool
    login: bytes | None

    @property
    def message_id(self) -> str:
        """The ``Message-ID`` header, read straight from the bytes (fast, for big batches)."""
        found = re.search(rb"^Message-ID: *(\S+)\r$", self.data, re.IGNORECASE | re.MULTILINE)
        assert found is not None
        return found.group(1).decode()

    @cached_property
    def message(self) -> EmailMessage:
        """The message as parsed by the standard library (parsed on first use: it is slow)."""
        if self.smtp_utf8:  # RFC 6532: the headers themselves are UTF-8
            parsed = email.message_from_string(self.data.decode(), policy=email.policy.default)
        else:
            parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class RecordingSMTP(SMTP):
    """aiosmtpd's SMTP session, counting connections for the handler."""

    number = 0
    delivered = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._original_transport is None:  # a new TCP connection, not the STARTTLS upgrade
            handler: Recorder = self.event_handler
            handler.connections += 1
            self.number = handler.connections
            handler.active.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.active.discard(self)
        super().connection_lost(error)


class Recorder:
    """The aiosmtpd handler: records messages and plays scripted replies."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.connections = 0
        self.active: set[RecordingSMTP] = set()
        self.replies: dict[str, list[str]] = defaultdict(list)
        self.drop_after: int | None = None
        self.stall = 0.0

    def _scripted(self, command: str, default: str = "250 OK") -> str:
        """The next scripted answer to ``command``; a 250 one lets the command through."""
        return self.replies[command].pop(0) if self.replies[command] else default

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        answer = self._scripted("MAIL")
        if answer.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return answer

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        answer = self._scripted("RCPT")
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server: RecordingSMTP, session: Session, envelope: Envelope) -> str:
        answer = self._scripted("DATA", "250 2.0.0 OK: queued")
        if not answer.startswith("250"):
            return answer
        self.received.append(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                mail_options=list(envelope.mail_options),
                smtp_utf8=envelope.smtp_utf8,
                data=envelope.original_content or b"",
                connection=server.number,
                tls=session.ssl is not None,
                login=session.auth_data.login if session.authenticated else None,
            )
        )
        if self.stall:
            await asyncio.sleep(self.stall)  # accepted, but the client will not hear it in time
        server.delivered += 1
        if self.drop_after and server.delivered >= self.drop_after and server.transport:
            server.loop.call_soon(server.transport.close)  # after the 250 below is written
        return answer


def authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    """Accept :data:`USERNAME` / :data:`PASSWORD` only."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=data)


class _LoopbackController(Controller):
    def factory(self) -> SMTP:
        return RecordingSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # port 0 asked for a free one
        super()._trigger_server()


class SMTPServer:
    """A running aiosmtpd server; ``received`` and ``connections`` say what it saw.

    Keyword arguments go to aiosmtpd's ``SMTP`` (``tls_context``,
    ``require_starttls``, ``authenticator``, ``enable_SMTPUTF8``…) and
    ``ssl_context`` makes it speak TLS from the first byte.
    """

    host = "127.0.0.1"

    def __init__(self, **options: Any) -> None:
        self.handler = Recorder()
        options.setdefault("server_hostname", "mx.loopback.test")
        self.controller = _LoopbackController(self.handler, hostname=self.host, port=0, **options)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def connections(self) -> int:
        return self.handler.connections

    def reply(self, command: str, *answers: str) -> None:
        """Answer the next ``command`` (MAIL, RCPT or DATA) with ``answers``, one per use."""
        self.handler.replies[command].extend(answers)

    def start(self) -> SMTPServer:
        self.controller.start()
        self.handler.connections = 0  # forget the controller's own readiness probe
        return self

    def stop(self) -> None:
        """Close the sessions still open, then stop the server thread."""
        loop = self.controller.loop
        for session in list(self.handler.active):
            if session.transport is not None:
                loop.call_soon_threadsafe(session.transport.close)
        deadline = time.monotonic() + 2
        while self.handler.active and time.monotonic() < deadline:
            time.sleep(0.005)
        self.controller.stop()


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
