"""Brevo (formerly Sendinblue): transactional email and SMS through its v3 API.

What Brevo documents (https://developers.brevo.com):

* Email: ``POST /v3/smtp/email`` with JSON ``sender``, ``to``, ``subject``,
  ``htmlContent``, ``textContent``, ``replyTo``, ``headers`` and ``attachment``
  (``[{"name", "content"}]``, base64); answers ``201 {"messageId": "<…>"}``.
* SMS: ``POST /v3/transactionalSMS/send`` (``/v3/transactionalSMS/sms`` is
  deprecated since May 2025) with JSON ``sender``, ``recipient`` (digits with the
  country code), ``content``, ``type`` (``transactional`` or ``marketing``),
  ``tag`` and ``unicodeEnabled``; answers ``201 {"messageId": 1511882900176220}``.
* Both authenticate with an ``api-key`` header; errors are
  ``{"code": "invalid_parameter", "message": "…"}``.

Brevo drops a repeated email whose ``headers.idempotencyKey`` it has seen in the
last 30 minutes, and wants a UUID there: the message's key becomes a name-based
UUID, the same on every attempt. The key itself travels in ``X-Mailin-custom``,
which Brevo hands back in its webhooks, and as the ``tag`` of an SMS.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx

from ...messages import Email, Mailbox, Message
from ..base import HTTPRequest, HTTPTransport
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import base64_of, digits_of, email_only, headers_of, sms_only

__all__ = ["BrevoEmailTransport", "BrevoSmsTransport"]

_KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "idempotency.relationclient")


class _BrevoAPI(HTTPTransport):
    """What Brevo's email and SMS APIs share: base URL, ``api-key`` header, answers, errors."""

    default_base_url: ClassVar[str] = "https://api.brevo.com"

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
        """Brevo's ``api-key`` header."""
        return {"api-key": self._api_key}

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The ``messageId`` of the ``201`` answer (a string for email, a number for SMS)."""
        with reading_answer(self.name):
            return str(response.json()["messageId"])

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Brevo's ``{"code", "message"}`` error body."""
        body = json_object(response)
        if body is None or "message" not in body:
            return super().parse_error(response)
        return body.get("code"), str(body["message"])


class BrevoEmailTransport(_BrevoAPI):
    """Send :class:`~relationclient.Email` through Brevo's transactional email API.

    Args:
        api_key: A Brevo v3 API key.
        base_url: Another endpoint than ``https://api.brevo.com`` (a test server…).
        timeout: Seconds to wait for Brevo, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "brevo-email"
    channels = frozenset({"email"})

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /v3/smtp/email`` with the documented JSON body."""
        email = email_only(message, self.name)
        payload: dict[str, Any] = {
            "sender": self._contact(email.sender),
            "to": [self._contact(email.to)],
            "subject": email.subject,
            "htmlContent": email.html,
            "textContent": email.text,
            "headers": self._mail_headers(email),
        }
        if email.reply_to is not None:
            payload["replyTo"] = self._contact(email.reply_to)
        if email.attachments:
            payload["attachment"] = [
                {"name": attachment.filename, "content": base64_of(attachment)}
                for attachment in email.attachments
            ]
        return HTTPRequest("POST", "/v3/smtp/email", json=payload)

    @staticmethod
    def _contact(mailbox: Mailbox) -> dict[str, str]:
        contact = {"email": mailbox.address}
        if mailbox.name:
            contact["name"] = mailbox.name
        return contact

    @staticmethod
    def _mail_headers(email: Email) -> dict[str, str]:
        return {
            **headers_of(email),
            "X-Mailin-custom": email.idempotency_key,
            "idempotencyKey": str(uuid.uuid5(_KEY_NAMESPACE, email.idempotency_key)),
        }


class BrevoSmsTransport(_BrevoAPI):
    """Send :class:`~relationclient.Sms` through Brevo's transactional SMS API.

    ``type`` follows the message's purpose, so Brevo holds marketing SMS outside
    its allowed hours; ``unicodeEnabled`` is set for UCS-2 bodies, which Brevo
    would otherwise transliterate.

    Args:
        api_key: A Brevo v3 API key.
        base_url: Another endpoint than ``https://api.brevo.com`` (a test server…).
        timeout: Seconds to wait for Brevo, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "brevo-sms"
    channels = frozenset({"sms"})

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /v3/transactionalSMS/send`` with the documented JSON body."""
        sms = sms_only(message, self.name)
        payload = {
            "sender": sms.sender,
            "recipient": digits_of(sms.to),
            "content": sms.body,
            "type": sms.purpose,
            "tag": sms.idempotency_key,
            "unicodeEnabled": sms.encoding == "UCS-2",
        }
        return HTTPRequest("POST", "/v3/transactionalSMS/send", json=payload)
