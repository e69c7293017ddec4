"""A real HTTP server on 127.0.0.1 standing in for a provider: scripted answers, requests kept.

Each test scripts the server's answers (``server.script(201, {"messageId": …})``),
sends through a real transport pointed at ``server.url``, then checks what the
server received (``server.requests``) against the provider's documentation. An
answer may come late (``delay=``), as from a provider or gateway that keeps the
client waiting past its timeout.

When nothing is scripted, a server told to :meth:`ProviderServer.play` a
provider answers as that provider documents, for any number of requests:
Postmark (``POST /email`` and ``POST /email/batch``, up to 500 messages and
50 MB a call) and Mailjet Send API v3.1 (``POST /v3.1/send``, up to 50
messages a call). Addresses in ``bad`` are refused one by one, the way the
provider refuses one message of a batch while sending the others. Scripted
answers still come first, so a test can put a 429 or a 502 before the
provider's own answers. The server records when each request arrived
(``Received.at``, :func:`time.monotonic`), when each answer started to leave
(``server.answered``: no client can have read it earlier), what the player
answered (``server.played``) and the most requests it held at once
(``server.max_in_flight``) and which client connection each came on
(``Received.peer``); :meth:`ProviderServer.hold` keeps the played answers
waiting (scripted ones still go at once) until :meth:`ProviderServer.release`.

Exposed: :class:`ProviderServer`, :class:`Received`, :class:`Scripted`,
:func:`postmark_answer`, :func:`mailjet_answer` and :data:`PLAYERS`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message as MimePart
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: a status, a body (JSON when not a string), extra headers."""

    status: int
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (the request is recorded at once)

    def encoded(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "text/plain"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float = 0.0  # time.monotonic() when the request had arrived whole
    peer: tuple[str, int] = ("", 0)  # the client's address and port: one per connection

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    def json(self) -> Any:
        assert self.content_type == "application/json"
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body, one value per field."""
        assert self.content_type == "application/x-www-form-urlencoded"
        fields = parse_qs(self.body.decode(), keep_blank_values=True, strict_parsing=True)
        assert all(len(values) == 1 for values in fields.values()), fields
        return {name: values[0] for name, values in fields.items()}

    def multipart(self) -> list[MimePart]:
        """The parts of a ``multipart/form-data`` body, parsed by the standard library."""
        assert self.content_type == "multipart/form-data"
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        document = BytesParser(policy=HTTP).parsebytes(head + self.body)
        assert document.is_multipart()
        return list(document.iter_parts())  # type: ignore[attr-defined]

    def fields(self) -> Any:
        """The body's content, whatever its encoding: equal when two requests say the same."""
        if self.content_type == "application/json":
            return self.json()
        if self.content_type == "multipart/form-data":
            return [
                (part.get_param("name", header="content-disposition"), part.get_filename(),
                 part.get_payload(decode=True))
                for part in self.multipart()
            ]  # fmt: skip
        return self.form()

    def basic_auth(self) -> tuple[str, str]:
        scheme, _, encoded = self.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


#: Postmark's documented batch limits: 500 messages, 50 MB of payload a call.
POSTMARK_BATCH_MESSAGES = 500
POSTMARK_BATCH_BYTES = 50 * 1000 * 1000
#: Mailjet Send API v3.1: 50 messages a call.
MAILJET_BATCH_MESSAGES = 50


def _postmark_one(message: dict[str, Any], bad: frozenset[str]) -> tuple[bool, dict[str, Any]]:
    to = str(message.get("To", ""))
    address = to.rpartition("<")[2].rstrip(">").strip()
    if address in bad:
        return False, {
            "ErrorCode": 406,
            "Message": f"You tried to send to recipient(s) that have been marked as inactive. "
            f"Found inactive addresses: {address}.",
        }
    return True, {
        "To": to,
        "SubmittedAt": "2026-11-22T16:05:01.1794748+01:00",
        "MessageID": str(uuid.uuid4()),
        "ErrorCode": 0,
        "Message": "OK",
    }


def postmark_answer(request: Received, bad: frozenset[str]) -> Scripted:
    """Postmark's answer to ``POST /email`` or ``POST /email/batch``, as documented.

    A batch answers ``200`` with one result per message, in order, even when some
    were refused (``ErrorCode`` other than 0); more than 500 messages or 50 MB is
    refused whole with ``422``. A single ``/email`` refused answers ``422``.
    """
    if request.path == "/email/batch":
        messages = request.json()
        if len(messages) > POSTMARK_BATCH_MESSAGES or len(request.body) > POSTMARK_BATCH_BYTES:
            return Scripted(422, {"ErrorCode": 300, "Message": "Batch too large"})
        return Scripted(200, [_postmark_one(m, bad)[1] for m in messages])
    if request.path == "/email":
        ok, answer = _postmark_one(request.json(), bad)
        return Scripted(200 if ok else 422, answer)
    return Scripted(404, {"ErrorCode": 404, "Message": f"no such endpoint {request.path}"})


def mailjet_answer(request: Received, bad: frozenset[str]) -> Scripted:
    """Mailjet Send API v3.1's answer to ``POST /v3.1/send``, as documented.

    Every message gets its own ``Status``; one refused message does not stop the
    others, and the call then answers ``400`` with the results of all. More than
    50 messages is refused whole, with one top-level error.
    """
    if request.path != "/v3.1/send":
        return Scripted(404, {"ErrorMessage": f"no such endpoint {request.path}"})
    messages = request.json()["Messages"]
    if len(messages) > MAILJET_BATCH_MESSAGES:
        return Scripted(
            400,
            {
                "ErrorIdentifier": str(uuid.uuid4()),
                "ErrorCode": "send-0001",
                "StatusCode": 400,
                "ErrorMessage": "Too many messages in the Messages array (50 maximum).",
            },
        )
    results: list[dict[str, Any]] = []
    for message in messages:
        to = message["To"][0]["Email"]
        if to in bad:
            error = {
                "ErrorIdentifier": str(uuid.uuid4()),
                "ErrorCode": "mj-0013",
                "StatusCode": 400,
                "ErrorMessage": f'"{to}" is an invalid email address.',
                "ErrorRelatedTo": ["To[0].Email"],
            }
            results.append({"Status": "error", "Errors": [error]})
            continue
        number = uuid.uuid4().int >> 70
        results.append(
            {
                "Status": "success",
                "CustomID": message.get("CustomID", ""),
                "To": [
                    {
                        "Email": to,
                        "MessageUUID": str(uuid.uuid4()),
                        "MessageID": number,
                        "MessageHref": f"https://api.mailjet.com/v3/REST/message/{number}",
                    }
                ],
                "Cc": [],
                "Bcc": [],
            }
        )
    refused = any(result["Status"] == "error" for result in results)
    return Scripted(400 if refused else 200, {"Messages": results})


Player = Callable[[Received, frozenset[str]], Scripted]

#: The providers a server can play: name -> answer(request, bad addresses).
PLAYERS: dict[str, Player] = {"postmark": postmark_answer, "mailjet": mailjet_answer}


class ProviderServer:
    """A threaded HTTP/1.1 server that records requests and plays scripted answers in order."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        #: (request, status, time.monotonic() just before the answer was written), in order.
        self.answered: list[tuple[Received, int, float]] = []
        #: (request, body) of every answer the player gave, in order.
        self.played: list[tuple[Received, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._player: Player | None = None
        self._bad: frozenset[str] = frozenset()
        self._play_delay = 0.0
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._open.set()
        self._answers: deque[Scripted] = deque()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        # A short poll interval keeps shutdown (once per test) quick.
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def script(
        self,
        status: int,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> None:
        """Queue the next answer: ``status``, a JSON (or, if a string, text) body, headers.

        ``delay`` holds the answer back that many seconds after the request arrived.
        """
        self._answers.append(Scripted(status, body, headers or {}, delay))

    def play(self, provider: str, *, bad: Iterable[str] = (), delay: float = 0.0) -> None:
        """Answer as ``provider`` documents (a key of :data:`PLAYERS`) once the script is empty.

        Messages to an address in ``bad`` are refused, each on its own; ``delay``
        holds every such answer back that many seconds.
        """
        self._player = PLAYERS[provider]
        self._bad = frozenset(bad)
        self._play_delay = delay

    def hold(self) -> None:
        """Keep the requests the player answers waiting, unanswered, until :meth:`release`.

        Scripted answers still go at once, so a test can let a 429 through and
        hold the rest.
        """
        self._open.clear()

    def release(self) -> None:
        """Answer the held requests, and those to come at once."""
        self._open.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._open.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The head and the body of an answer are written apart; with Nagle's algorithm
            # the body would wait for the client's delayed acknowledgement (40-60 ms behind
            # the benchmarks' latency proxy), which no provider's server adds.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                peer = (str(self.client_address[0]), int(self.client_address[1]))
                received = Received(self.command, self.path, headers, body, time.monotonic(), peer)
                with server._lock:
                    server.requests.append(received)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    scripted = server._answers.popleft() if server._answers else None
                try:
                    self._answer(received, scripted)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, received: Received, scripted: Scripted | None) -> None:
                if scripted is not None:
                    answer = scripted
                elif server._player is not None:
                    server._open.wait()
                    played = server._player(received, server._bad)
                    with server._lock:
                        server.played.append((received, played.body))
                    answer = Scripted(
                        played.status, played.body, played.headers, server._play_delay
                    )
                else:
                    answer = Scripted(599, "unscripted")
                if answer.delay:
                    time.sleep(answer.delay)
                payload, content_type = answer.encoded()
                leaving = time.monotonic()  # before the first byte: the client reads it later
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                with server._lock:
                    server.answered.append((received, answer.status, leaving))

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        return Handler
