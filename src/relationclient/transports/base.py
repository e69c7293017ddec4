"""What every transport is: ``send``, ``send_many``, ``close``, a context manager, and async twins.

A transport is an object the shop passes in, never discovered. The base class
owns the loop — check the message can travel, send, retry transient failures
per the :class:`RetryPolicy`, build the :class:`Receipt` — so a provider
module says only how to build its request and how to read its answer.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Literal, Protocol, Self, overload, runtime_checkable

import httpx

from ..__about__ import __version__
from ..errors import ConfigurationError, TransportError, UnsupportedMessageError
from ..messages import Email, MailMessage, Message, Sms
from ._errors import http_status_error, map_httpx_errors
from .concurrency import Engine, RateGate, run_units
from .retry import NO_RETRY, RetryPolicy

__all__ = [
    "AsyncTransport",
    "BaseTransport",
    "BatchLimits",
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

    async def asend_many(
        self, messages: Iterable[Message], *, return_exceptions: bool = False
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """Send several messages; with ``return_exceptions``, errors in their messages' places."""
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
    #: Whether it also carries a :class:`~relationclient.messages.MailMessage` (a framework's
    #: email kept in its own shape: several recipients, cc and bcc); HTTP providers do not.
    carries_mail: ClassVar[bool] = False

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
        carried = Email | Sms | MailMessage if self.carries_mail else Email | Sms
        if not isinstance(message, carried):
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

    def _checked(self, messages: Iterable[Message]) -> list[Message]:
        """``messages`` as a list, every one checked before any is sent (see :meth:`check`).

        What every ``send_many`` does first: a batch holding one message this
        transport cannot carry is refused whole, before any traffic.
        """
        batch = list(messages)
        for message in batch:
            self.check(message)
        return batch

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
        batch = self._checked(messages)
        return self._in_order(batch, return_exceptions, threading.Event())

    def _in_order(
        self, batch: list[Message], return_exceptions: bool, stop: threading.Event
    ) -> list[Receipt | TransportError]:
        """The sequential loop of ``send_many``; takes no new message once ``stop`` is set."""
        results: list[Receipt | TransportError] = []
        for message in batch:
            if stop.is_set():
                break
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
    # (Transports that send concurrently, HTTP providers and SMTP, override these to
    # run on their concurrency engine instead.)
    async def asend(self, message: Message) -> Receipt:
        """Send one message without blocking the event loop."""
        return await asyncio.to_thread(self.send, message)

    @overload
    async def asend_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[False] = ...
    ) -> list[Receipt]: ...

    @overload
    async def asend_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[True]
    ) -> list[Receipt | TransportError]: ...

    async def asend_many(
        self, messages: Iterable[Message], *, return_exceptions: bool = False
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """Send several messages without blocking the event loop, in a worker thread.

        Cancelling the call stops the thread from taking a new message and
        raises :class:`asyncio.CancelledError` once the message in progress
        (if any) is done.
        """
        batch = self._checked(messages)
        stop = threading.Event()
        work = asyncio.ensure_future(
            asyncio.to_thread(self._in_order, batch, return_exceptions, stop)
        )
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            stop.set()
            await asyncio.gather(work, return_exceptions=True)
            raise

    async def aclose(self) -> None:
        """Close without blocking the event loop."""
        await asyncio.to_thread(self.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def each_result(
    transport: Transport, messages: Sequence[Message]
) -> list[Receipt | TransportError]:
    """One result per message, in order, from any transport: its receipt or its error.

    A :class:`BaseTransport` gets one ``send_many(..., return_exceptions=True)``
    (its batch endpoint, pool or concurrency); should it still refuse the batch
    whole, see :func:`refused_whole`. Any other :class:`Transport` is sent one
    message at a time.
    """
    if not messages:
        return []
    if isinstance(transport, BaseTransport):
        try:
            return transport.send_many(messages, return_exceptions=True)
        except TransportError as exc:  # refused the batch whole, despite return_exceptions
            return refused_whole(exc, messages)
    results: list[Receipt | TransportError] = []
    for message in messages:
        try:
            results.append(transport.send(message))
        except TransportError as exc:
            results.append(exc)
    return results


def refused_whole(
    error: TransportError, messages: Sequence[Message]
) -> list[Receipt | TransportError]:
    """One result per message when a batch was refused whole: the receipts it still carries."""
    accepted = {r.idempotency_key: r for r in error.receipts if isinstance(r, Receipt)}
    return [accepted.get(m.idempotency_key, error) for m in messages]


@dataclass
class HTTPRequest:
    """One provider API call, as a provider module describes it."""

    method: str
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    files: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: A body already encoded (a batch of pre-encoded JSON messages); headers say its type.
    content: bytes | None = None


@dataclass(frozen=True)
class BatchLimits:
    """What one call of a provider's batch endpoint may carry.

    Attributes:
        messages: Messages per call, at most.
        bytes: Bytes of request body per call, at most (the JSON as sent).
    """

    messages: int
    bytes: int

    def __post_init__(self) -> None:
        if self.messages < 1 or self.bytes < 1:
            raise ValueError("batch limits must be at least 1 message and 1 byte")


#: Seconds the rate gate stays shut after a 429 that did not say Retry-After.
DEFAULT_RATE_LIMIT_WAIT = 1.0


async def _close_owned_client(state: dict[str, Any]) -> None:
    """The engine's clean-up: close the transport's own client, never the shop's."""
    client = state.get("client")
    if client is not None and state.get("owned"):
        await client.aclose()


class HTTPTransport(BaseTransport):
    """Base of the HTTP API providers: one pooled client, the engine, batches, 429s and errors.

    A provider subclass sets :attr:`default_base_url`, and implements
    :meth:`build_request` (message → :class:`HTTPRequest`), :meth:`auth` and
    :meth:`parse_response` (success answer → provider message id); it may
    override :meth:`parse_error` to read its documented error body. A provider
    with a batch endpoint where every message keeps its own headers also sets
    :attr:`batch_limits` and implements :meth:`build_batch_request` and
    :meth:`parse_batch_response`.

    All sending runs on the transport's :class:`~relationclient.transports.concurrency.Engine`
    — a loop of its own in one thread — with one pooled :class:`httpx.AsyncClient`,
    whether the shop calls ``send``/``send_many`` or ``asend``/``asend_many``:

    * ``send_many`` splits the messages into units — provider batches cut at
      :attr:`batch_limits` (count and bytes), else one message each — and sends
      them with at most ``concurrency`` requests in flight for the whole
      transport, results in input order, one per message, partial failures of
      a batch included.
    * A 429 (or one of :attr:`rate_limit_codes`) shuts the transport's rate gate
      until its ``Retry-After`` (:data:`DEFAULT_RATE_LIMIT_WAIT` when it said
      none): no request of this transport starts before then, from any thread
      or loop. The throttled messages are retried after it per ``retry``;
      without retries they fail transient with ``retry_after`` set, for the
      outbox to reschedule.
    * A transient failure is retried per ``retry`` for the messages it
      concerns only: one refused message of a batch does not resend the others.

    Args:
        base_url: Another endpoint than the provider's (a regional one, a test server).
        timeout: Seconds to wait for the provider, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, used on the
            engine's loop only and left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once for this transport, at most
            (default :attr:`default_concurrency`).
    """

    default_base_url: ClassVar[str] = ""
    #: Requests in flight at once when the shop does not say.
    default_concurrency: ClassVar[int] = 8
    #: The provider's batch endpoint limits; None when it has no suitable batch endpoint.
    #: An instance may lower them (a proxy that caps request bodies…).
    batch_limits: BatchLimits | None = None
    #: The path of the batch endpoint (``/email/batch``…).
    batch_path: ClassVar[str] = ""
    #: Provider error codes (in a 2xx answer or per message) that mean "slow down", like a 429.
    rate_limit_codes: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(retry=retry)
        if client is not None and not isinstance(client, httpx.AsyncClient):
            raise ConfigurationError(
                f"client must be an httpx.AsyncClient (every send runs on the transport's "
                f"event loop), not {type(client).__name__}"
            )
        if concurrency is not None and concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, not {concurrency}")
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.concurrency = concurrency or self.default_concurrency
        self._given_client = client
        self._engine = Engine(self.name, cleanup=_close_owned_client)
        weakref.finalize(self, self._engine.halt)  # a transport dropped unclosed stops its loop

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

    def batch_item(self, message: Message) -> Any:
        """The JSON of ``message`` inside a batch call; by default its single request's body."""
        return self.build_request(message).json

    def batch_body(self, items: Sequence[bytes]) -> bytes:
        """The body of a batch call from its encoded items; by default a JSON list of them."""
        return b"[" + b",".join(items) + b"]"

    def build_batch_request(self, messages: Sequence[Message]) -> HTTPRequest:
        """The batch API call that sends ``messages`` (within :attr:`batch_limits`).

        By default ``POST`` :attr:`batch_path` with :meth:`batch_body` of every
        message's :meth:`batch_item`, each encoded once as httpx would encode it.
        """
        return self._batch_request([self._encoded(self.batch_item(m)) for m in messages])

    def _batch_request(self, encoded: Sequence[bytes]) -> HTTPRequest:
        return HTTPRequest(
            "POST",
            self.batch_path,
            content=self.batch_body(encoded),
            headers={"Content-Type": "application/json"},
        )

    @staticmethod
    def _encoded(item: Any) -> bytes:
        return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()

    def parse_batch_response(
        self, response: httpx.Response, messages: Sequence[Message]
    ) -> list[Receipt | TransportError]:
        """One result per message, in order, from the answer to a batch call.

        An answer that refuses the call whole gives every message that error
        (:meth:`batch_refused`); a message the provider refused on its own gets
        its own error, and the others their receipts. Raising
        :class:`~relationclient.TransportError` (as :func:`reading_answer` does
        for an answer not in the documented form) gives every message that error.
        """
        raise NotImplementedError

    def batch_size(self, message: Message) -> int:
        """Bytes ``message`` adds to a batch call: its item's JSON, as sent (comma aside)."""
        return len(self._encoded(self.batch_item(message)))

    def batch_refused(
        self, response: httpx.Response, messages: Sequence[Message]
    ) -> list[Receipt | TransportError]:
        """Every message of a batch the provider refused whole gets the answer's error."""
        code, detail = self.parse_error(response)
        return [http_status_error(self.name, response, code, detail) for _ in messages]

    # -- requests -------------------------------------------------------------------
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

    def _arguments(self, request: HTTPRequest) -> dict[str, Any]:
        """The keyword arguments of the httpx call for ``request``."""
        headers, auth = self._headers(request)
        return {
            "method": request.method,
            "url": self.base_url + request.path,
            "json": request.json,
            "data": request.data,
            "files": request.files,
            "content": request.content,
            "headers": headers,
            "auth": auth or httpx.USE_CLIENT_DEFAULT,
        }

    def _finish(self, response: httpx.Response, message: Message) -> Receipt:
        if response.status_code >= 400:
            code, detail = self.parse_error(response)
            raise http_status_error(self.name, response, code, detail)
        try:
            raw: Any = response.json()
        except ValueError:
            raw = response.text
        return self.receipt(message, self.parse_response(response, message), raw)

    # -- the engine's side (all of it runs on the engine's loop) ----------------------
    def _state(self) -> dict[str, Any]:
        """The engine's loop-bound state: client, request slots, rate gate (made on the loop)."""
        state = self._engine.state
        if "client" not in state:
            limits = httpx.Limits(
                max_connections=self.concurrency, max_keepalive_connections=self.concurrency
            )
            state["owned"] = self._given_client is None
            state["client"] = self._given_client or httpx.AsyncClient(
                timeout=self.timeout, limits=limits
            )
            state["slots"] = asyncio.Semaphore(self.concurrency)
            state["gate"] = RateGate()
        return state

    @property
    def rate_gate(self) -> RateGate | None:
        """The transport's rate gate while its engine runs (None before the first send)."""
        return self._engine.state.get("gate")

    async def _call(self, request: HTTPRequest) -> httpx.Response:
        """One HTTP call: waits for a slot and for the rate gate, then sends."""
        state = self._state()
        arguments = self._arguments(request)
        async with state["slots"]:
            await state["gate"].wait()
            with map_httpx_errors(self.name):
                response: httpx.Response = await state["client"].request(**arguments)
        return response

    async def _post(
        self, messages: Sequence[Message], encoded: Sequence[bytes] | None = None
    ) -> list[Receipt | TransportError]:
        """Send ``messages`` in one call (one message, or one batch): one result each.

        ``encoded`` holds the batch items already encoded when splitting, so
        that no message is encoded twice.
        """
        batch = len(messages) > 1
        try:
            if not batch:
                request = self.build_request(messages[0])
            elif encoded is not None:
                request = self._batch_request(encoded)
            else:
                request = self.build_batch_request(messages)
            response = await self._call(request)
        except TransportError as exc:
            return [exc, *(self._copy(exc) for _ in messages[1:])]
        results: list[Receipt | TransportError]
        if batch:
            try:
                results = self.parse_batch_response(response, messages)
                if len(results) != len(messages):
                    raise ValueError(f"{len(results)} results for {len(messages)} messages")
            except TransportError as exc:
                results = [exc, *(self._copy(exc) for _ in messages[1:])]
            except ValueError as exc:
                results = [self._unreadable(exc) for _ in messages]
        else:
            try:
                results = [self._finish(response, messages[0])]
            except TransportError as exc:
                results = [exc]
        self._slow_down(response, results)
        return results

    def _unreadable(self, cause: Exception) -> TransportError:
        error = TransportError(
            f"{self.name}: the provider answered the batch, but not in its documented form "
            f"({cause!r}); it may have taken the messages",
            transport=self.name,
            accepted=None,
        )
        error.__cause__ = cause
        return error

    @staticmethod
    def _copy(error: TransportError) -> TransportError:
        """The same error for another message of the batch (each message owns its error)."""
        twin = copy.copy(error)
        twin.receipts = []
        twin.__cause__ = error.__cause__
        return twin

    def _slow_down(self, response: httpx.Response, results: list[Receipt | TransportError]) -> None:
        """On a 429 or a rate-limit code, shut the gate; the errors say how long to wait."""
        throttled = [
            r
            for r in results
            if isinstance(r, TransportError)
            and (response.status_code == 429 or str(r.code) in self.rate_limit_codes)
        ]
        if not throttled:
            return
        wait = max((r.retry_after for r in throttled if r.retry_after is not None), default=None)
        gate: RateGate = self._state()["gate"]
        gate.close_for(DEFAULT_RATE_LIMIT_WAIT if wait is None else wait)
        for error in throttled:
            if error.retry_after is None:
                error.retry_after = wait if wait is not None else DEFAULT_RATE_LIMIT_WAIT

    async def _deliver(
        self, messages: Sequence[Message], encoded: Sequence[bytes] | None = None
    ) -> list[Receipt | TransportError]:
        """Send one unit, retrying per ``self.retry`` only the messages whose failure allows it."""
        results: list[Receipt | TransportError] = [
            TransportError("not sent", transport=self.name) for _ in messages
        ]
        pending = list(range(len(messages)))
        attempt = 1
        while True:
            items = None if encoded is None else [encoded[i] for i in pending]
            done = await self._post([messages[i] for i in pending], items)
            for i, result in zip(pending, done, strict=True):
                results[i] = result
            again = [
                i
                for i in pending
                if isinstance(error := results[i], TransportError)
                and self.retry.should_retry(error, attempt)
            ]
            if not again:
                return results
            waits = [
                self.retry.backoff(attempt, error.retry_after)
                for i in again
                if isinstance(error := results[i], TransportError)
            ]
            await asyncio.sleep(max(waits))
            pending, attempt = again, attempt + 1

    def _units(self, messages: Sequence[Message]) -> tuple[list[list[int]], list[bytes] | None]:
        """Cut ``messages`` into calls: batches within :attr:`batch_limits`, else one each.

        Returns the calls (indexes into ``messages``) and, for batches, every
        message's item encoded once, to be sent as it is.
        """
        limits = self.batch_limits
        if limits is None or len(messages) < 2:
            return [[i] for i in range(len(messages))], None
        encoded = [self._encoded(self.batch_item(m)) for m in messages]
        envelope = len(self.batch_body([]))
        units: list[list[int]] = []
        unit: list[int] = []
        size = envelope
        for i, item in enumerate(encoded):
            more = len(item) + (1 if unit else 0)  # and its comma
            if unit and (len(unit) >= limits.messages or size + more > limits.bytes):
                units.append(unit)
                unit, size, more = [], envelope, len(item)
            unit.append(i)
            size += more
        units.append(unit)
        return units, encoded

    async def _many(
        self,
        messages: Sequence[Message],
        return_exceptions: bool,
        concurrency: int | None,
    ) -> list[Receipt | TransportError]:
        units, encoded = self._units(messages)

        async def work(unit: Sequence[int]) -> list[Receipt | TransportError]:
            items = None if encoded is None or len(unit) < 2 else [encoded[i] for i in unit]
            return await self._deliver([messages[i] for i in unit], items)

        results: list[Receipt | TransportError] = await run_units(
            units,
            work,
            count=len(messages),
            concurrency=concurrency or self.concurrency,
            return_exceptions=return_exceptions,
        )
        return results

    @staticmethod
    def _one(results: list[Receipt | TransportError]) -> Receipt:
        [result] = results
        if isinstance(result, TransportError):
            raise result
        return result

    # -- the public API: sync and async over the same engine -------------------------
    def _send(self, message: Message) -> Receipt:
        """One attempt at ``message``, no retry (what :meth:`send` retries)."""
        return self._one(self._engine.run(lambda: self._post([message])))

    def send(self, message: Message) -> Receipt:
        """Send one message, retrying transient failures per ``self.retry``."""
        self.check(message)
        return self._one(self._engine.run(lambda: self._deliver([message])))

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
        """Send ``messages`` through batches and concurrent requests; one result each, in order.

        Every message is checked before the first request. ``concurrency``
        narrows this call's requests in flight (the transport's own bound
        still holds). See the class docstring and :class:`BaseTransport`
        for ``return_exceptions``.
        """
        batch = self._checked(messages)
        return self._engine.run(lambda: self._many(batch, return_exceptions, concurrency))

    async def asend(self, message: Message) -> Receipt:
        """Send one message without blocking the event loop; see :meth:`send`."""
        self.check(message)
        return self._one(await self._engine.arun(lambda: self._deliver([message])))

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
        """:meth:`send_many` without blocking the event loop, on the same engine and client.

        Cancelling the call cancels its requests in flight and raises
        :class:`asyncio.CancelledError` once they have stopped; which of them
        the provider took by then is unknown, so their messages count as not sent.
        """
        batch = self._checked(messages)
        return await self._engine.arun(lambda: self._many(batch, return_exceptions, concurrency))

    def open(self) -> None:
        """Start the engine now rather than at the first message."""
        self._engine.run(self._opened)

    async def _opened(self) -> None:
        self._state()

    def close(self) -> None:
        """Close the connection pool and stop the engine's thread; usable again afterwards."""
        self._engine.close()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await self._engine.aclose()
