"""Webhook endpoints to mount in any web framework: :func:`asgi_app` and :func:`wsgi_app`.

Both serve one path per provider named in ``secrets`` (``…/postmark``,
``…/twilio``): a POST there is verified, parsed and recorded into the outbox
(:meth:`~relationclient.outbox.Outbox.record_events`: attached to its entry,
fed to the suppression list, in one transaction), and answered:

``200``
    Recorded, or recorded before (a provider's retry records nothing twice):
    ``{"recorded": 1, "duplicates": 0}``.
``400``
    A body or field that cannot be read (the answer names it).
``401``
    Basic-auth credentials missing, with a ``WWW-Authenticate`` challenge.
``403``
    A signature or credentials that do not check out. Nothing is recorded.
``404`` / ``405`` / ``413``
    Another path, another method, a body over ``max_body`` bytes.
``500``
    The outbox's database failed: nothing was recorded, and the provider
    retries later.

No web framework is needed: they speak ASGI 3 and WSGI (PEP 3333) directly,
so FastAPI or Starlette mount the first (``app.mount("/webhooks", …)``),
Flask or Django route to the second, and any server — uvicorn, gunicorn,
the standard library's :mod:`wsgiref` — serves either. The ASGI app records
in a worker thread, so the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from .base import EventParser
from .parsers import parser_for

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from ..outbox import Outbox

__all__ = ["DEFAULT_MAX_BODY", "WebhookEndpoint", "asgi_app", "wsgi_app"]

#: The largest body accepted: SendGrid's batches of a thousand events fit, with room.
DEFAULT_MAX_BODY = 5 * 1024 * 1024

ASGIScope = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApplication = Callable[[ASGIScope, ASGIReceive, ASGISend], Awaitable[None]]

_log = logging.getLogger("relationclient.events")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Answer:
    """What the endpoint answers: a status, extra headers, a JSON body."""

    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)

    def encoded(self) -> bytes:
        """The body as UTF-8 JSON."""
        return json.dumps(self.body, ensure_ascii=False).encode()

    def header_list(self) -> list[tuple[str, str]]:
        """Content type and length, then the extra headers."""
        body = self.encoded()
        return [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *self.headers,
        ]


class WebhookEndpoint:
    """What both apps do with a request, apart from speaking ASGI or WSGI.

    Args:
        outbox: Where events are recorded.
        secrets: Each provider to serve, by name, with what it documents for
            checking its webhooks (see :func:`relationclient.events.parse`).
        public_url: The public URL the apps are mounted at
            (``https://shop.example/webhooks``): the provider's path is added
            to it. Needed for providers whose signature covers the URL
            (Twilio), since behind a proxy the server sees another one.
        shop_id: The shop an event belongs to when no outbox entry says so
            (see :meth:`~relationclient.outbox.Outbox.record_events`).
        max_body: The largest body accepted, in bytes.

    Raises:
        ConfigurationError: An unknown provider, a secret of the wrong kind,
            or a provider that needs ``public_url`` without it.
    """

    def __init__(
        self,
        outbox: Outbox,
        secrets: Mapping[str, Any],
        *,
        public_url: str | None = None,
        shop_id: str | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        if not secrets:
            raise ConfigurationError("webhook apps need at least one provider in secrets")
        self.outbox = outbox
        self.parsers: dict[str, EventParser] = {}
        for name, secret in secrets.items():
            if secret is None:
                raise ConfigurationError(f"no secret for {name}: webhooks are always verified")
            parser = parser_for(name)(secret)
            if parser.needs_url and not public_url:
                raise ConfigurationError(
                    f"{parser.name}'s signature covers the public URL it calls: pass "
                    "public_url='https://…/webhooks', where the apps are mounted"
                )
            self.parsers[parser.name] = parser
        self.public_url = public_url.rstrip("/") if public_url else None
        self.shop_id = shop_id
        self.max_body = max_body

    def provider_of(self, path: str) -> str:
        """The provider a path names: its last segment (whatever the mount point)."""
        return path.rstrip("/").rpartition("/")[2].lower()

    def handle(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Answer:
        """Verify, parse and record one request; what to answer."""
        name = self.provider_of(path)
        parser = self.parsers.get(name)
        if parser is None:
            return Answer(404, {"error": f"no webhook here; serving {sorted(self.parsers)}"})
        if method != "POST":
            return Answer(405, {"error": "webhooks are POSTed"}, [("Allow", "POST")])
        url = None
        if self.public_url:
            url = f"{self.public_url}/{name}{'/' if path.endswith('/') else ''}"
            url += f"?{query}" if query else ""
        try:
            events = parser.parse(headers=headers, body=body, url=url)
        except WebhookSignatureError as exc:
            if exc.challenge:
                return Answer(401, {"error": str(exc)}, [("WWW-Authenticate", exc.challenge)])
            return Answer(403, {"error": str(exc)})
        except WebhookPayloadError as exc:
            return Answer(400, {"error": str(exc), "field": exc.field})
        try:
            report = self.outbox.record_events(events, shop_id=self.shop_id)
        except Exception:
            _log.exception("recording %d %s event(s) failed; nothing recorded", len(events), name)
            return Answer(500, {"error": "the events could not be recorded; try again"})
        return Answer(200, {"recorded": report.recorded, "duplicates": report.duplicates})

    def too_large(self) -> Answer:
        """The answer to a body over :attr:`max_body`."""
        return Answer(413, {"error": f"bodies over {self.max_body} bytes are refused"})


def asgi_app(
    outbox: Outbox,
    secrets: Mapping[str, Any],
    *,
    public_url: str | None = None,
    shop_id: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> ASGIApplication:
    """An ASGI 3 application serving each provider of ``secrets`` at its own path.

    Mount it (``fastapi_app.mount("/webhooks", asgi_app(…))``) or serve it
    (``uvicorn module:app``). Arguments as :class:`WebhookEndpoint`'s.
    """
    endpoint = WebhookEndpoint(
        outbox, secrets, public_url=public_url, shop_id=shop_id, max_body=max_body
    )

    async def app(scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            raise ValueError(f"the webhook app serves HTTP, not {scope['type']}")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > endpoint.max_body:
                break
            chunks.append(chunk)
            more = message.get("more_body", False)
        if size > endpoint.max_body:
            answer = endpoint.too_large()
        else:
            answer = await asyncio.get_running_loop().run_in_executor(
                None,
                endpoint.handle,
                scope["method"],
                scope["path"],
                scope.get("query_string", b"").decode("latin-1"),
                headers,
                b"".join(chunks),
            )
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.lower().encode(), v.encode()) for k, v in answer.header_list()],
            }
        )
        await send({"type": "http.response.body", "body": answer.encoded()})

    return app


def wsgi_app(
    outbox: Outbox,
    secrets: Mapping[str, Any],
    *,
    public_url: str | None = None,
    shop_id: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
) -> WSGIApplication:
    """A WSGI application serving each provider of ``secrets`` at its own path.

    Route to it from Flask or Django, or serve it with any WSGI server.
    Arguments as :class:`WebhookEndpoint`'s.
    """
    endpoint = WebhookEndpoint(
        outbox, secrets, public_url=public_url, shop_id=shop_id, max_body=max_body
    )

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = environ[key]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > endpoint.max_body:
            answer = endpoint.too_large()
        else:
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            answer = endpoint.handle(
                environ["REQUEST_METHOD"], path, environ.get("QUERY_STRING", ""), headers, body
            )
        status = f"{answer.status} {_REASONS.get(answer.status, '')}".strip()
        start_response(status, answer.header_list())
        return [answer.encoded()]

    return app
