"""What every transport is: ``send``, ``send_many``, ``close``, a context manager, and async twins.

A transport is an object the shop passes in, never discovered. The base class
owns the loop — check the message can travel, send, retry transient failures
per the :class:`RetryPolicy`, build the :class:`Receipt` — so a provider
module says only how to build its request and how to read its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Literal, Protocol, Self, overload, runtime_checkable

import httpx

from ..__about__ import __version__
from ..errors import TransportError, UnsupportedMessageError
from ..messages import Email, Message, Sms
from ._errors import http_status_error, map_httpx_errors
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "AsyncTransport",
    "BaseTransport",
    "HTTPRequest",
    "HTTPTransport",
    "Receipt",
    "Transport",
]


@dataclass(frozen=True)
class Receipt:
    """Proof that a provider accepted a message.

    Attributes:
        message_id: The provider's id for the message (for SMTP and files, the
            ``Message-ID`` or the file name).
        transport: The name of the transport that delivered it.
        accepted_at: When the provider accepted it (UTC).
        idempotency_key: The message's key, to match receipts with messages.
        recipient: Where it went (email address or E.164 number).
        raw: The provider's answer, as decoded JSON or text, for audits.
    """

    message_id: str
    transport: str
    idempotency_key: str
    recipient: str
    accepted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: Any = None


@runtime_checkable
class Transport(Protocol):
    """Anything that can send messages: the protocol the outbox and the CLI accept."""

    name: str

    def send(self, message: Message) -> Receipt:
        """Send one message, or raise :class:`~relationclient.TransportError`."""
        ...

    def send_many(self, messages: Iterable[Message]) -> list[Receipt]:
        """Send several messages, reusing one connection; one receipt each, in order."""
        ...

    def close(self) -> None:
        """Release connections; the transport may be used again afterwards."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """The asyncio twin of :class:`Transport`."""

    name: str

    async def asend(self, message: Message) -> Receipt:
        """Send one message."""
        ...

    async def asend_many(self, messages: Iterable[Message]) -> list[Receipt]:
        """Send several messages."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class BaseTransport:
    """The send loop every built-in transport shares.

    Subclasses set :attr:`name` and :attr:`channels`, implement :meth:`_send`
    (one message, connection already open) and, when they hold a connection,
    :meth:`open` and :meth:`close`.

    ``send_many`` checks every message before the first is sent — a batch with
    one message this transport cannot carry is refused whole — then sends them
    in order over one connection. On a failure it raises the error with
    ``error.receipts`` holding the receipts of the messages already accepted;
    with ``return_exceptions=True`` it returns the error in that message's place
    and goes on.
    """

    name: str = "transport"
    #: The channels this transport carries; an instance may narrow or widen it.
    channels: frozenset[str] = frozenset({"email", "sms"})
    supports_attachments: ClassVar[bool] = True

    def __init__(self, *, retry: RetryPolicy | None = None) -> None:
        self.retry = retry or NO_RETRY

    # -- what subclasses provide ------------------------------------------------
    def _send(self, message: Message) -> Receipt:
        raise NotImplementedError

    def open(self) -> None:
        """Open the connection, if the transport keeps one. Called by ``send`` as needed."""

    def close(self) -> None:
        """Close the connection, if any."""

    # -- the loop -----------------------------------------------------------------
    def check(self, message: Message) -> None:
        """Refuse, before any traffic, a message this transport cannot carry."""
        if not isinstance(message, Email | Sms):
            raise UnsupportedMessageError(
                f"{self.name}: cannot send {type(message).__name__}, only Email and Sms",
                transport=self.name,
            )
        if message.channel not in self.channels:
            raise UnsupportedMessageError(
                f"{self.name} sends {' and '.join(sorted(self.channels))} only, "
                f"not {message.channel} ({message.kind} to {message.recipient})",
                transport=self.name,
            )
        if isinstance(message, Email) and message.attachments and not self.supports_attachments:
            raise UnsupportedMessageError(
                f"{self.name} cannot send attachments", transport=self.name
            )

    def receipt(self, message: Message, message_id: str, raw: Any = None) -> Receipt:
        """Build the receipt of an accepted ``message``."""
        return Receipt(
            message_id=message_id,
            transport=self.name,
            idempotency_key=message.idempotency_key,
            recipient=message.recipient,
            raw=raw,
        )

    def send(self, message: Message) -> Receipt:
        """Send one message, retrying transient failures per ``self.retry``."""
        self.check(message)
        return self._attempt(message)

    def _attempt(self, message: Message) -> Receipt:
        """Send one checked message, retrying per ``self.retry``.

        What ``send`` and ``send_many`` do for each message; a wrapper such as
        failover overrides it.
        """
        return self.retry.call(lambda: self._send(message))

    @overload
    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[False] = ...
    ) -> list[Receipt]: ...

    @overload
    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[True]
    ) -> list[Receipt | TransportError]: ...

    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: bool = False
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """Send ``messages`` in order over one connection; see the class docstring."""
        batch = list(messages)
        for message in batch:
            self.check(message)
        results: list[Receipt | TransportError] = []
        for message in batch:
            try:
                results.append(self._attempt(message))
            except TransportError as exc:
                if not return_exceptions:
                    exc.receipts = [r for r in results if isinstance(r, Receipt)]
                    raise
                results.append(exc)
        return results

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- asyncio twins: the blocking loop in a worker thread ------------------------
    async def asend(self, message: Message) -> Receipt:
        """Send one message without blocking the event loop."""
        return await asyncio.to_thread(self.send, message)

    async def asend_many(self, messages: Iterable[Message]) -> list[Receipt]:
        """Send several messages without blocking the event loop."""
        return await asyncio.to_thread(self.send_many, list(messages))

    async def aclose(self) -> None:
        """Close without blocking the event loop."""
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


@dataclass
class HTTPRequest:
    """One provider API call, as a provider module describes it."""

    method: str
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class HTTPTransport(BaseTransport):
    """Base of the HTTP API providers: owns the httpx client, timeouts, User-Agent and errors.

    A provider subclass sets :attr:`default_base_url`, and implements
    :meth:`build_request` (message → :class:`HTTPRequest`), :meth:`auth` and
    :meth:`parse_response` (success answer → provider message id); it may
    override :meth:`parse_error` to read its documented error body.

    ``base_url`` points the transport elsewhere (a regional endpoint, a local
    test server); ``client`` lets a shop pass its own :class:`httpx.Client`.
    """

    default_base_url: ClassVar[str] = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(retry=retry)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self._client = client
        self._owns_client = client is None
        self._aclient: httpx.AsyncClient | None = None

    # -- what providers provide -----------------------------------------------
    def build_request(self, message: Message) -> HTTPRequest:
        """The API call that sends ``message``."""
        raise NotImplementedError

    def auth(self) -> httpx.Auth | dict[str, str]:
        """Credentials: an :class:`httpx.Auth` or headers to add to every call."""
        raise NotImplementedError

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The provider's message id from a successful answer."""
        raise NotImplementedError

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """The provider's error code and text from an error answer."""
        try:
            body = response.json()
        except ValueError:
            return None, response.text[:500] or response.reason_phrase
        if isinstance(body, dict):
            code = body.get("code") or body.get("ErrorCode") or body.get("error_code")
            text = body.get("message") or body.get("Message") or body.get("error") or str(body)
            return code, str(text)
        return None, str(body)[:500]

    # -- the loop -----------------------------------------------------------------
    def _headers(self, request: HTTPRequest) -> tuple[dict[str, str], httpx.Auth | None]:
        headers = {"User-Agent": f"relationclient/{__version__}", "Accept": "application/json"}
        credentials = self.auth()
        auth = None
        if isinstance(credentials, dict):
            headers.update(credentials)
        else:
            auth = credentials
        headers.update(request.headers)
        return headers, auth

    def open(self) -> None:
        """Create the HTTP client (connection pool) if the shop did not pass one."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)

    def close(self) -> None:
        """Close the client this transport created."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def _finish(self, response: httpx.Response, message: Message) -> Receipt:
        if response.status_code >= 400:
            code, detail = self.parse_error(response)
            raise http_status_error(self.name, response, code, detail)
        try:
            raw: Any = response.json()
        except ValueError:
            raw = response.text
        return self.receipt(message, self.parse_response(response, message), raw)

    def _request(self, message: Message) -> dict[str, Any]:
        """The keyword arguments of the httpx call that sends ``message``."""
        request = self.build_request(message)
        headers, auth = self._headers(request)
        return {
            "method": request.method,
            "url": self.base_url + request.path,
            "json": request.json,
            "data": request.data,
            "files": request.files,
            "headers": headers,
            "auth": auth or httpx.USE_CLIENT_DEFAULT,
        }

    def _send(self, message: Message) -> Receipt:
        self.open()
        assert self._client is not None
        arguments = self._request(message)
        with map_httpx_errors(self.name):
            response = self._client.request(**arguments)
        return self._finish(response, message)

    async def asend(self, message: Message) -> Receipt:
        """Send one message with :class:`httpx.AsyncClient`, retrying per the policy."""
        self.check(message)
        if self._aclient is None:
            self._aclient = httpx.AsyncClient(timeout=self.timeout)
        attempt = 1
        while True:
            arguments = self._request(message)
            try:
                with map_httpx_errors(self.name):
                    response = await self._aclient.request(**arguments)
                return self._finish(response, message)
            except TransportError as exc:
                if not self.retry.should_retry(exc, attempt):
                    raise
                await asyncio.sleep(self.retry.backoff(attempt, exc.retry_after))
                attempt += 1

    async def asend_many(self, messages: Iterable[Message]) -> list[Receipt]:
        """Send several messages concurrently over one async connection pool."""
        batch = list(messages)
        for message in batch:
            self.check(message)
        return list(await asyncio.gather(*(self.asend(m) for m in batch)))

    async def aclose(self) -> None:
        """Close the async client and the sync one."""
        if self._aclient is not None:
            await self._aclient.aclose()
            self._aclient = None
        self.close()
