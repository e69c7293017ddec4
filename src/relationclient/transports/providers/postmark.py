"""Postmark: transactional and broadcast email through its ``/email`` API.

What Postmark documents (https://postmarkapp.com/developer):

* ``POST /email`` on ``https://api.postmarkapp.com``, authenticated by the
  ``X-Postmark-Server-Token`` header, with JSON ``From``, ``To``, ``Subject``,
  ``HtmlBody``, ``TextBody``, ``ReplyTo``, ``Headers`` (``[{"Name", "Value"}]``),
  ``MessageStream``, ``Metadata`` and ``Attachments``
  (``[{"Name", "Content", "ContentType"}]``, base64).
* Success: ``200 {"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}``.
* Errors: ``{"ErrorCode": 300, "Message": "Invalid 'To' address…"}``; validation
  failures (invalid request 300, inactive recipient 406…) come as HTTP 422, a
  bad token as 401 with ``ErrorCode`` 10.
* Batches: ``POST /email/batch`` takes a JSON list of the same messages, up to
  500 messages and 50 MB of payload (attachments included) a call, each with
  its own ``Headers``. It answers ``200`` even when some messages were refused:
  a list of results in the order of the messages, each with its ``ErrorCode``
  (0 when accepted, with its ``MessageID``) and ``Message``. A call refused
  whole (bad token, malformed or oversized batch) answers as ``/email`` does.

Postmark keeps transactional and broadcast mail in separate message streams and
requires broadcast (marketing) mail to use a broadcast stream: pass
``broadcast_stream`` and marketing emails go there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from ...errors import PermanentTransportError, TransportError
from ...messages import Email, Message
from ..base import BatchLimits, HTTPRequest, HTTPTransport, Receipt
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import base64_of, email_only, headers_of

__all__ = ["PostmarkTransport"]


class PostmarkTransport(HTTPTransport):
    """Send :class:`~relationclient.Email` through Postmark.

    Args:
        server_token: The Postmark server's API token.
        message_stream: The stream for transactional mail (``"outbound"`` by default).
        broadcast_stream: The broadcast stream for marketing mail; when None,
            marketing mail goes to ``message_stream`` too.
        base_url: Another endpoint than ``https://api.postmarkapp.com``.
        timeout: Seconds to wait for Postmark, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "postmark"
    channels = frozenset({"email"})
    default_base_url: ClassVar[str] = "https://api.postmarkapp.com"
    #: ``/email/batch``: 500 messages and 50 MB a call, as Postmark documents.
    batch_limits = BatchLimits(messages=500, bytes=50 * 1000 * 1000)
    #: Its batch call posts a JSON list of ``/email`` bodies there.
    batch_path: ClassVar[str] = "/email/batch"

    def __init__(
        self,
        server_token: str,
        message_stream: str = "outbound",
        *,
        broadcast_stream: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url, timeout=timeout, client=client, retry=retry, concurrency=concurrency
        )
        self._server_token = server_token
        self.message_stream = message_stream
        self.broadcast_stream = broadcast_stream

    def auth(self) -> dict[str, str]:
        """Postmark's ``X-Postmark-Server-Token`` header."""
        return {"X-Postmark-Server-Token": self._server_token}

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /email`` with the documented JSON body."""
        email = email_only(message, self.name)
        payload: dict[str, Any] = {
            "From": str(email.sender),
            "To": str(email.to),
            "Subject": email.subject,
            "HtmlBody": email.html,
            "TextBody": email.text,
            "Headers": [
                {"Name": name, "Value": value} for name, value in headers_of(email).items()
            ],
            "MessageStream": self._stream(email),
            "Metadata": {"idempotency_key": email.idempotency_key},
        }
        if email.reply_to is not None:
            payload["ReplyTo"] = str(email.reply_to)
        if email.attachments:
            payload["Attachments"] = [
                {"Name": a.filename, "Content": base64_of(a), "ContentType": a.mimetype}
                for a in email.attachments
            ]
        return HTTPRequest("POST", "/email", json=payload)

    def _stream(self, email: Email) -> str:
        if email.purpose == "marketing" and self.broadcast_stream:
            return self.broadcast_stream
        return self.message_stream

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The ``MessageID`` of the ``200`` answer."""
        with reading_answer(self.name):
            return str(response.json()["MessageID"])

    def parse_batch_response(
        self, response: httpx.Response, messages: Sequence[Message]
    ) -> list[Receipt | TransportError]:
        """One result per message from the ``200`` list; a refused call refuses every message."""
        if response.status_code != 200:
            return self.batch_refused(response, messages)
        with reading_answer(self.name):
            answers = response.json()
            if not isinstance(answers, list) or len(answers) != len(messages):
                raise ValueError(f"expected a list of {len(messages)} results")
            results: list[Receipt | TransportError] = []
            for message, answer in zip(messages, answers, strict=True):
                code = int(answer["ErrorCode"])
                if code == 0:
                    results.append(self.receipt(message, str(answer["MessageID"]), answer))
                    continue
                text = str(answer.get("Message") or f"ErrorCode {code}")
                results.append(
                    PermanentTransportError(
                        f"{self.name}: message to {message.recipient} refused: {code} {text}",
                        transport=self.name,
                        code=code,
                        provider_message=text,
                    )
                )
            return results

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Postmark's ``{"ErrorCode", "Message"}`` error body."""
        body = json_object(response)
        if body is None or "Message" not in body:
            return super().parse_error(response)
        return body.get("ErrorCode"), str(body["Message"])
