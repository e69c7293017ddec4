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

Postmark keeps transactional and broadcast mail in separate message streams and
requires broadcast (marketing) mail to use a broadcast stream: pass
``broadcast_stream`` and marketing emails go there.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from ...messages import Email, Message
from ..base import HTTPRequest, HTTPTransport
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
        client: An :class:`httpx.Client` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
    """

    name = "postmark"
    channels = frozenset({"email"})
    default_base_url: ClassVar[str] = "https://api.postmarkapp.com"

    def __init__(
        self,
        server_token: str,
        message_stream: str = "outbound",
        *,
        broadcast_stream: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout, client=client, retry=retry)
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

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Postmark's ``{"ErrorCode", "Message"}`` error body."""
        body = json_object(response)
        if body is None or "Message" not in body:
            return super().parse_error(response)
        return body.get("ErrorCode"), str(body["Message"])
