"""Email over SMTP: STARTTLS or implicit TLS, AUTH, reused and pooled connections.

One connection carries message after message; :meth:`SMTPTransport.send_many`
spreads a batch over a few concurrent connections, because a distant provider
makes every SMTP command wait one round trip and only parallel sessions hide
that latency. The batch runs on the transport's concurrency engine, the one the
HTTP providers use, for the blocking and the asyncio API alike. A connection
the server dropped while idle is re-opened once, transparently, before
``MAIL FROM``; a message whose data already left is never
sent again by the transport (its error says ``accepted=None``).
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import socket
import ssl
import threading
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Literal, overload

from ..errors import (
    ConfigurationError,
    PermanentTransportError,
    TransportError,
    UnsupportedMessageError,
)
from ..messages import Email, MailMessage, Message
from ._errors import map_smtp_errors
from .base import BaseTransport, Receipt
from .concurrency import Engine, collect
from .retry import RetryPolicy

__all__ = ["SMTPTransport"]

Security = Literal["starttls", "ssl", "none"]


class _Slot:
    """One place in the pool: an SMTP session, opened on demand."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def discard(self) -> None:
        """Drop a session that cannot be trusted any more, without a word to the server."""
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def quit(self) -> None:
        """End the session politely; a dead server is not an error here."""
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.discard()


class SMTPTransport(BaseTransport):
    """Send :class:`~relationclient.Email` through an SMTP server (a relay or a provider).

    Args:
        host: The server's name or address.
        port: 587 for submission with STARTTLS, 465 for implicit TLS, 25 for relays.
        username: Log in with AUTH when given (``password`` is then required).
        password: The password for ``username``.
        security: ``"starttls"`` (refuses a server that does not offer it — never
            a silent downgrade), ``"ssl"`` (TLS from the first byte) or ``"none"``.
        timeout: Seconds to wait for the server at each step.
        ssl_context: Certificates and protocol settings; by default the system's
            trusted authorities with hostname checking.
        local_hostname: The name sent in ``EHLO``; by default the machine's FQDN.
        retry: Retry transient failures (4xx replies, dropped connections).
        pool_size: Idle connections kept open between calls, and the default
            ``concurrency`` of :meth:`send_many`.
        name: What receipts and errors call this transport (``"smtp"``).
    """

    name = "smtp"
    carries_mail = True
    channels = frozenset({"email"})

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        retry: RetryPolicy | None = None,
        pool_size: int = 4,
        name: str | None = None,
    ) -> None:
        super().__init__(retry=retry)
        if security not in ("starttls", "ssl", "none"):
            raise ConfigurationError(
                f"security must be 'starttls', 'ssl' or 'none', not {security!r}"
            )
        if username is not None and password is None:
            raise ConfigurationError("SMTP AUTH needs a password with the username")
        if not f"{username or ''}{password or ''}".isascii():
            raise ConfigurationError("smtplib sends SMTP credentials as ASCII only")
        if pool_size < 1:
            raise ConfigurationError("pool_size must be at least 1")
        self.host, self.port, self.security, self.timeout = host, port, security, timeout
        self.username, self.password = username, password
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.pool_size = pool_size
        self.name = name or self.name
        self._local_hostname = local_hostname
        self._idle: list[_Slot] = []
        self._lock = threading.Lock()
        self._engine = Engine(self.name)
        weakref.finalize(self, self._engine.halt)  # a transport dropped unclosed stops its loop

    # -- connections ------------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        with map_smtp_errors(self.name, stage="connect"):
            where = (self.host, self.port, self._local_hostname)
            smtp = (
                smtplib.SMTP_SSL(*where, timeout=self.timeout, context=self.ssl_context)
                if self.security == "ssl"
                else smtplib.SMTP(*where, timeout=self.timeout)
            )
            try:
                # SMTP is request and answer: without TCP_NODELAY, Nagle's algorithm
                # and the server's delayed ACKs hold a message's last segment back.
                if smtp.sock is not None:
                    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                # smtplib works the FQDN out with DNS lookups: once is enough.
                self._local_hostname = smtp.local_hostname
                smtp.ehlo_or_helo_if_needed()
                if self.security == "starttls":
                    if not smtp.has_extn("starttls"):
                        raise PermanentTransportError(
                            f"{self.name}: {self.host} does not offer STARTTLS; refusing to "
                            "send in clear (security='none' would allow it)",
                            transport=self.name,
                        )
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if self.username is not None and self.password is not None:
                    if not smtp.has_extn("auth"):
                        raise PermanentTransportError(
                            f"{self.name}: {self.host} offers no AUTH on this connection "
                            f"(security={self.security!r})",
                            transport=self.name,
                        )
                    smtp.login(self.username, self.password)
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _acquire(self) -> _Slot:
        with self._lock:
            return self._idle.pop() if self._idle else _Slot()

    def _release(self, slot: _Slot) -> None:
        with self._lock:
            if slot.smtp is not None and len(self._idle) < self.pool_size:
                self._idle.append(slot)
                return
        slot.quit()

    def open(self) -> None:
        """Connect (and log in) now rather than at the first message, to check the settings."""
        slot = self._acquire()
        try:
            if slot.smtp is None:
                slot.smtp = self._connect()
        finally:
            self._release(slot)

    # -- one message ------------------------------------------------------------------

    def _send(self, message: Message) -> Receipt:
        assert isinstance(message, Email | MailMessage)  # check() let only emails through
        data = message.as_bytes()  # before any connection: what cannot be built never leaves
        slot = self._acquire()
        try:
            return self._deliver(slot, message, data)
        finally:
            self._release(slot)

    def _deliver(self, slot: _Slot, email: Email | MailMessage, data: bytes) -> Receipt:
        # Every recipient of a mail with cc and bcc must be accepted, or none is sent.
        recipients = email.recipients if isinstance(email, MailMessage) else (email.to.address,)
        try:
            smtp = self._mail_from(slot, email, len(data))
            with map_smtp_errors(self.name, stage="envelope"):
                for recipient in recipients:
                    code, reply = smtp.rcpt(recipient)
                    if code not in (250, 251):
                        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
            with map_smtp_errors(self.name, stage="send"):
                code, reply = smtp.data(data)
                if code != 250:
                    raise smtplib.SMTPDataError(code, reply)
        except TransportError as exc:
            self._recover(slot, exc)
            raise
        answer = f"{code} {reply.decode('utf-8', 'replace')}"
        return self.receipt(email, email.message_id, raw=answer)

    def _mail_from(self, slot: _Slot, email: Email | MailMessage, size: int) -> smtplib.SMTP:
        """Open or reuse a session and start the transaction.

        A reused session the server closed since its last message fails right
        here, before anything of this message left, so it is re-opened once.
        """
        reused = slot.smtp is not None
        with map_smtp_errors(self.name, stage="envelope"):
            try:
                slot.smtp = slot.smtp or self._connect()
                self._mail(slot.smtp, email, size)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused) as exc:
                gone = not isinstance(exc, smtplib.SMTPSenderRefused) or exc.smtp_code == 421
                if not (reused and gone):
                    raise
                slot.discard()
                slot.smtp = self._connect()
                self._mail(slot.smtp, email, size)
        return slot.smtp

    def _mail(self, smtp: smtplib.SMTP, email: Email | MailMessage, size: int) -> None:
        options = [f"SIZE={size}"] if smtp.has_extn("size") else []
        if email.needs_smtputf8:
            if not smtp.has_extn("smtputf8"):
                raise UnsupportedMessageError(
                    f"{self.name}: {email.recipient} or the sender has a non-ASCII local part, "
                    f"which needs SMTPUTF8, and {self.host} does not offer it",
                    transport=self.name,
                )
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        code, reply = smtp.mail(email.sender.address, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, email.sender.address)

    def _recover(self, slot: _Slot, error: TransportError) -> None:
        """After a failed transaction, keep the session only if it is known to be sane."""
        if slot.smtp is None or isinstance(error, UnsupportedMessageError):
            return  # nothing to undo: refused before MAIL FROM
        if error.accepted is not False or not isinstance(error.code, int) or error.code == 421:
            slot.discard()
            return
        try:
            slot.smtp.rset()
        except (smtplib.SMTPException, OSError):
            slot.discard()

    # -- batches ----------------------------------------------------------------------
    @overload
    def send_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: Literal[False] = ...,
        concurrency: int | None = None,
    ) -> list[Receipt]: ...

    @overload
    def send_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: Literal[True],
        concurrency: int | None = None,
    ) -> list[Receipt | TransportError]: ...

    def send_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """Send a batch over ``concurrency`` connections (default ``pool_size``), in order.

        Receipts come back in the order of ``messages``. With ``concurrency=1``
        every message travels over one connection, one after the other, in the
        calling thread. With more, the batch runs on the transport's
        concurrency engine (:mod:`relationclient.transports.concurrency`, the
        same as the HTTP providers'): ``concurrency`` workers, each sending
        through a pooled connection in a thread of its own (smtplib blocks);
        when a message fails, the workers take no new message and the error of
        the first failed message is raised, its ``receipts`` holding every
        message accepted meanwhile — which, unlike the sequential case, may
        include later ones.
        """
        batch = self._checked(messages)
        workers = min(concurrency or self.pool_size, len(batch))
        if workers <= 1:
            return self._in_order(batch, return_exceptions, threading.Event())
        return self._engine.run(lambda: self._many(batch, return_exceptions, workers))

    async def asend(self, message: Message) -> Receipt:
        """Send one message without blocking the event loop, on the transport's engine."""
        [receipt] = await self.asend_many([message], concurrency=1)
        return receipt

    @overload
    async def asend_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: Literal[False] = ...,
        concurrency: int | None = None,
    ) -> list[Receipt]: ...

    @overload
    async def asend_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: Literal[True],
        concurrency: int | None = None,
    ) -> list[Receipt | TransportError]: ...

    async def asend_many(
        self,
        messages: Iterable[Message],
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """:meth:`send_many` without blocking the event loop, on the same engine and pool.

        Cancelling the call takes no new message, waits for the messages on the
        wire (smtplib cannot be interrupted), then raises
        :class:`asyncio.CancelledError`; those messages count as not sent.
        """
        batch = self._checked(messages)
        workers = max(1, min(concurrency or self.pool_size, len(batch)))
        return await self._engine.arun(lambda: self._many(batch, return_exceptions, workers))

    async def _many(
        self, batch: list[Message], return_exceptions: bool, workers: int
    ) -> list[Receipt | TransportError]:
        """On the engine: ``workers`` threads, each sending message after message.

        Each worker keeps one pooled connection for the whole batch and takes
        the next message itself, so a message costs no trip through the loop
        (which, with the interpreter lock shared by busy threads, is what
        would cost time over a distant link). The loop only waits for them.
        """
        results: list[Receipt | TransportError | None] = [None] * len(batch)
        todo = iter(range(len(batch)))
        lock, stop = threading.Lock(), threading.Event()

        def work() -> None:
            slot = self._acquire()
            try:
                while not stop.is_set():
                    with lock:
                        i = next(todo, None)
                    if i is None:
                        return
                    email = batch[i]
                    assert isinstance(email, Email)
                    try:
                        data = email.as_bytes()
                        results[i] = self.retry.call(partial(self._deliver, slot, email, data))
                    except TransportError as exc:
                        results[i] = exc
                        if not return_exceptions:
                            stop.set()
            except BaseException:
                stop.set()
                raise
            finally:
                self._release(slot)

        threads = ThreadPoolExecutor(workers, thread_name_prefix=f"{self.name}-send")
        jobs = [threads.submit(work) for _ in range(workers)]
        try:
            await asyncio.gather(*map(asyncio.wrap_future, jobs))
        finally:
            # Cancelled: no new message; the ones on the wire finish before we return.
            stop.set()
            ended = asyncio.gather(*map(asyncio.wrap_future, jobs), return_exceptions=True)
            await asyncio.shield(ended)
            threads.shutdown(wait=False)
        return collect(results, return_exceptions=return_exceptions)

    def close(self) -> None:
        """Say QUIT on every idle connection and stop the engine; usable again afterwards."""
        self._engine.close()
        with self._lock:
            idle, self._idle = self._idle, []
        for slot in idle:
            slot.quit()
