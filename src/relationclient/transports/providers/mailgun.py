"""Mailgun: email through the ``/v3/{domain}/messages`` API.

What Mailgun documents (https://documentation.mailgun.com):

* ``POST /v3/{domain_name}/messages`` on ``https://api.mailgun.net`` for US
  domains or ``https://api.eu.mailgun.net`` for EU ones (a domain lives in one
  region only), with HTTP basic auth ``api:<API key>`` and a
  ``multipart/form-data`` body: ``from``, ``to``, ``subject``, ``text``,
  ``html``, ``h:<Header>`` for any header, ``v:<name>`` for custom variables
  (repeated in webhooks) and one ``attachment`` file part per attachment.
* Success: ``200 {"id": "<…@domain>", "message": "Queued. Thank you."}``.
* Errors: ``{"message": "…"}`` (400…); a bad key answers 401 or 403 (the docs
  name both), sometimes with a bare text body. No code of their own, so the
  HTTP status stands for it.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import quote

import httpx

from ...errors import ConfigurationError
from ...messages import Email, Message
from ..base import HTTPRequest, HTTPTransport
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import email_only, headers_of

__all__ = ["MailgunTransport"]

_REGIONS = {"us": "https://api.mailgun.net", "eu": "https://api.eu.mailgun.net"}


class MailgunTransport(HTTPTransport):
    """Send :class:`~relationclient.Email` through Mailgun.

    The message's idempotency key travels as the custom variable
    ``v:idempotency_key``.

    Args:
        api_key: A Mailgun API key (or a domain sending key).
        domain: The sending domain, as set up in Mailgun.
        region: ``"us"`` or ``"eu"``, where the domain was created.
        base_url: Another endpoint than the region's (a test server…).
        timeout: Seconds to wait for Mailgun, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).

    Raises:
        ConfigurationError: ``region`` is neither ``"us"`` nor ``"eu"``, or
            ``domain`` is empty.
    """

    name = "mailgun"
    channels = frozenset({"email"})
    default_base_url: ClassVar[str] = _REGIONS["us"]

    def __init__(
        self,
        api_key: str,
        domain: str,
        region: Literal["us", "eu"] = "us",
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
    ) -> None:
        if region not in _REGIONS:
            raise ConfigurationError(f"mailgun: region must be 'us' or 'eu', not {region!r}")
        if not domain:
            raise ConfigurationError("mailgun: the sending domain is empty")
        super().__init__(
            base_url=base_url or _REGIONS[region],
            timeout=timeout,
            client=client,
            retry=retry,
            concurrency=concurrency,
        )
        self._api_key = api_key
        self.domain = domain
        self.region = region

    def auth(self) -> httpx.Auth:
        """Basic auth, user ``api``, password the API key."""
        return httpx.BasicAuth("api", self._api_key)

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /v3/{domain}/messages`` with the documented multipart form."""
        email = email_only(message, self.name)
        # Text fields go in as file parts without a file name, so that the body is
        # multipart/form-data as documented even when there is no attachment.
        parts: list[tuple[str, tuple[str | None, str | bytes, str | None]]] = [
            (name, (None, value, None)) for name, value in self._fields(email)
        ]
        parts += [("attachment", (a.filename, a.content, a.mimetype)) for a in email.attachments]
        return HTTPRequest("POST", f"/v3/{quote(self.domain, safe='')}/messages", files=parts)

    @staticmethod
    def _fields(email: Email) -> list[tuple[str, str]]:
        fields = [
            ("from", str(email.sender)),
            ("to", str(email.to)),
            ("subject", email.subject),
            ("text", email.text),
            ("html", email.html),
            ("v:idempotency_key", email.idempotency_key),
        ]
        if email.reply_to is not None:
            fields.append(("h:Reply-To", str(email.reply_to)))
        fields += [(f"h:{name}", value) for name, value in headers_of(email).items()]
        return fields

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The ``id`` of the ``200`` answer (Mailgun's ``<…@domain>`` message id)."""
        with reading_answer(self.name):
            return str(response.json()["id"])

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Mailgun's ``{"message"}`` error body; the HTTP status stands for the code."""
        body = json_object(response)
        if body is None or "message" not in body:
            return super().parse_error(response)
        return None, str(body["message"])
