"""Mailjet: email through Send API v3.1.

What Mailjet documents (https://dev.mailjet.com/email/guides/send-api-v31/):

* ``POST /v3.1/send`` on ``https://api.mailjet.com``, with HTTP basic auth (API
  key, secret key) and JSON ``{"Messages": [{…}]}``, each message with ``From``
  (``{"Email", "Name"}``), ``To`` (a list of those), ``ReplyTo``, ``Subject``,
  ``TextPart``, ``HTMLPart``, ``Headers``, ``Attachments``
  (``[{"ContentType", "Filename", "Base64Content"}]``) and ``CustomID``.
* Success: ``200 {"Messages": [{"Status": "success", "CustomID", "To": [{"Email",
  "MessageUUID", "MessageID", "MessageHref"}], "Cc": [], "Bcc": []}]}``.
* Errors come two ways: a message Mailjet refuses answers ``400`` with
  ``{"Messages": [{"Status": "error", "Errors": [{"ErrorIdentifier",
  "ErrorCode": "mj-0013", "StatusCode", "ErrorMessage", "ErrorRelatedTo"}]}]}``;
  a refused request (bad keys, malformed JSON) answers with one top-level
  ``{"ErrorIdentifier", "ErrorCode", "StatusCode", "ErrorMessage"}``.
* Batches: ``Messages`` takes up to 50 messages a call (Send API v3 takes 100,
  but without per-message results), each with its own ``Headers``. Errors on
  one message do not stop the others: the answer lists every message's
  ``Status`` in order, and is a ``400`` when any was refused. Mailjet documents
  no payload limit per call that we found; a call is cut at 15 MB, our choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from ...errors import PermanentTransportError, TransientTransportError, TransportError
from ...messages import Mailbox, Message
from ..base import BatchLimits, HTTPRequest, HTTPTransport, Receipt
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import base64_of, email_only, headers_of

__all__ = ["MailjetTransport"]


class MailjetTransport(HTTPTransport):
    """Send :class:`~relationclient.Email` through Mailjet.

    The message's idempotency key is its ``CustomID``, which Mailjet repeats in
    its event webhooks.

    Args:
        api_key: The Mailjet API key (public).
        secret_key: The Mailjet secret key.
        base_url: Another endpoint than ``https://api.mailjet.com``.
        timeout: Seconds to wait for Mailjet, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "mailjet"
    channels = frozenset({"email"})
    default_base_url: ClassVar[str] = "https://api.mailjet.com"
    #: Send API v3.1: 50 messages a call, as Mailjet documents; 15 MB a call is our own bound.
    batch_limits = BatchLimits(messages=50, bytes=15 * 1000 * 1000)
    batch_path: ClassVar[str] = "/v3.1/send"

    def __init__(
        self,
        api_key: str,
        secret_key: str,
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
        self._secret_key = secret_key

    def auth(self) -> httpx.Auth:
        """Basic auth with the API key and the secret key."""
        return httpx.BasicAuth(self._api_key, self._secret_key)

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /v3.1/send`` with one message in the documented JSON body."""
        email = email_only(message, self.name)
        one: dict[str, Any] = {
            "From": self._contact(email.sender),
            "To": [self._contact(email.to)],
            "Subject": email.subject,
            "TextPart": email.text,
            "HTMLPart": email.html,
            "Headers": headers_of(email),
            "CustomID": email.idempotency_key,
        }
        if email.reply_to is not None:
            one["ReplyTo"] = self._contact(email.reply_to)
        if email.attachments:
            one["Attachments"] = [
                {"ContentType": a.mimetype, "Filename": a.filename, "Base64Content": base64_of(a)}
                for a in email.attachments
            ]
        return HTTPRequest("POST", "/v3.1/send", json={"Messages": [one]})

    def batch_item(self, message: Message) -> Any:
        """One element of ``Messages``."""
        return self.build_request(message).json["Messages"][0]

    def batch_body(self, items: Sequence[bytes]) -> bytes:
        """``{"Messages": [...]}`` around the encoded messages."""
        return b'{"Messages":[' + b",".join(items) + b"]}"

    def parse_batch_response(
        self, response: httpx.Response, messages: Sequence[Message]
    ) -> list[Receipt | TransportError]:
        """Each message's ``Status``: its receipt, or its own error (``Errors``).

        Mailjet answers ``400`` when any message was refused, with the results of
        all; an answer without one result per message refuses the call whole.
        """
        body = json_object(response)
        results = body.get("Messages") if body is not None else None
        if response.status_code not in (200, 400) or not isinstance(results, list):
            if response.status_code < 300:
                with reading_answer(self.name):
                    raise ValueError("no Messages list in the answer")
            return self.batch_refused(response, messages)
        with reading_answer(self.name):
            if len(results) != len(messages):
                raise ValueError(f"{len(results)} results for {len(messages)} messages")
            return [self._result(m, r) for m, r in zip(messages, results, strict=True)]

    def _result(self, message: Message, result: dict[str, Any]) -> Receipt | TransportError:
        if result["Status"] == "success":
            return self.receipt(message, str(result["To"][0]["MessageID"]), result)
        errors = result.get("Errors") or []
        code, text = self._first_error(errors)
        status = errors[0].get("StatusCode") if errors else None
        transient = isinstance(status, int) and (status == 429 or status >= 500)
        cls = TransientTransportError if transient else PermanentTransportError
        return cls(
            f"{self.name}: message to {message.recipient} refused: {text}",
            transport=self.name,
            code=code,
            provider_message=text,
        )

    @staticmethod
    def _contact(mailbox: Mailbox) -> dict[str, str]:
        contact = {"Email": mailbox.address}
        if mailbox.name:
            contact["Name"] = mailbox.name
        return contact

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The recipient's ``MessageID``, once the message's ``Status`` says success."""
        with reading_answer(self.name):
            result = response.json()["Messages"][0]
            if result["Status"] != "success":
                code, text = self._first_error(result.get("Errors") or [])
                raise PermanentTransportError(
                    f"{self.name}: message refused: {text}",
                    transport=self.name,
                    code=code,
                    provider_message=text,
                )
            return str(result["To"][0]["MessageID"])

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """The top-level error, or the first message's ``Errors``."""
        body = json_object(response)
        if body is None:
            return super().parse_error(response)
        if "ErrorMessage" in body:
            return body.get("ErrorCode") or None, str(body["ErrorMessage"])
        results = body.get("Messages")
        if isinstance(results, list) and results and isinstance(results[0], dict):
            return self._first_error(results[0].get("Errors") or [])
        return super().parse_error(response)

    @staticmethod
    def _first_error(errors: list[dict[str, Any]]) -> tuple[str | None, str]:
        """The first error's code, and every error's text with the fields it concerns."""
        texts = [
            f"{e.get('ErrorMessage')} ({', '.join(e['ErrorRelatedTo'])})"
            if e.get("ErrorRelatedTo")
            else str(e.get("ErrorMessage"))
            for e in errors
        ]
        code = errors[0].get("ErrorCode") if errors else None
        return code or None, "; ".join(texts) or "no error given"
