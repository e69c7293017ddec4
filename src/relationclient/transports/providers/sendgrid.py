"""Twilio SendGrid: email through the v3 Mail Send API.

What SendGrid documents (https://www.twilio.com/docs/sendgrid/api-reference/mail-send):

* ``POST /v3/mail/send`` on ``https://api.sendgrid.com`` (EU subusers:
  ``https://api.eu.sendgrid.com``), authenticated by ``Authorization: Bearer <key>``,
  with JSON ``personalizations`` (``[{"to": [{"email", "name"}]}]``), ``from``,
  ``reply_to``, ``subject``, ``content`` (``text/plain`` first, then
  ``text/html``, as SendGrid requires), ``headers``, ``custom_args`` (string
  values only) and ``attachments`` (``[{"content", "type", "filename", "disposition"}]``).
* Success: ``202 Accepted`` with an empty body; the message's id is the
  ``X-Message-Id`` response header.
* Errors: ``{"errors": [{"message": "…", "field": "from.email", "help": …}]}``,
  without a code of their own, so the HTTP status stands for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from ...messages import Mailbox, Message
from ..base import HTTPRequest, HTTPTransport
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import base64_of, email_only, headers_of

__all__ = ["SendGridTransport"]


class SendGridTransport(HTTPTransport):
    """Send :class:`~relationclient.Email` through SendGrid.

    The message's idempotency key travels as the custom argument
    ``idempotency_key``, which SendGrid repeats in every event webhook.

    Args:
        api_key: A SendGrid API key with the "Mail Send" permission.
        base_url: Another endpoint than ``https://api.sendgrid.com``
            (``https://api.eu.sendgrid.com`` for EU subusers).
        timeout: Seconds to wait for SendGrid, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "sendgrid"
    channels = frozenset({"email"})
    default_base_url: ClassVar[str] = "https://api.sendgrid.com"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url, timeout=timeout, client=client, retry=retry, concurrency=concurrency
        )
        self._api_key = api_key

    def auth(self) -> dict[str, str]:
        """SendGrid's bearer token."""
        return {"Authorization": f"Bearer {self._api_key}"}

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /v3/mail/send`` with the documented JSON body."""
        email = email_only(message, self.name)
        payload: dict[str, Any] = {
            "personalizations": [{"to": [self._contact(email.to)]}],
            "from": self._contact(email.sender),
            "subject": email.subject,
            "content": [
                {"type": "text/plain", "value": email.text},
                {"type": "text/html", "value": email.html},
            ],
            "headers": headers_of(email),
            "custom_args": {"idempotency_key": email.idempotency_key},
        }
        if email.reply_to is not None:
            payload["reply_to"] = self._contact(email.reply_to)
        if email.attachments:
            payload["attachments"] = [
                {
                    "content": base64_of(a),
                    "type": a.mimetype,
                    "filename": a.filename,
                    "disposition": "attachment",
                }
                for a in email.attachments
            ]
        return HTTPRequest("POST", "/v3/mail/send", json=payload)

    @staticmethod
    def _contact(mailbox: Mailbox) -> dict[str, str]:
        contact = {"email": mailbox.address}
        if mailbox.name:
            contact["name"] = mailbox.name
        return contact

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The ``X-Message-Id`` header of the ``202`` answer."""
        with reading_answer(self.name):
            return response.headers["X-Message-Id"]

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Every ``message`` (and its ``field``) of SendGrid's ``errors`` list."""
        body = json_object(response)
        errors = body.get("errors") if body else None
        if not errors or not isinstance(errors, list):
            return super().parse_error(response)
        texts = [
            f"{e.get('message')} ({e['field']})" if e.get("field") else str(e.get("message"))
            for e in errors
            if isinstance(e, dict)
        ]
        return None, "; ".join(texts)
