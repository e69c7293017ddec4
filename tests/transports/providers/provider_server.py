"""A real HTTP server on 127.0.0.1 standing in for a provider: scripted answers, requests kept.

Each test scripts the server's answers (``server.script(201, {"messageId": …})``),
sends through a real transport pointed at ``server.url``, then checks what the
server received (``server.requests``) against the provider's documentation. An
answer may come late (``delay=``), as from a provider or gateway that keeps the
client waiting past its timeout.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Mapping
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


class ProviderServer:
    """A threaded HTTP/1.1 server that records requests and plays scripted answers in order."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
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

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                server.requests.append(Received(self.command, self.path, headers, body))
                answer = (
                    server._answers.popleft() if server._answers else Scripted(599, "unscripted")
                )
                if answer.delay:
                    time.sleep(answer.delay)
                payload, content_type = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        return Handler
