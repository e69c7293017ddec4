"""Twilio: SMS through the Programmable Messaging REST API (2010-04-01).

What Twilio documents (https://www.twilio.com/docs/messaging/api/message-resource):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` on
  ``https://api.twilio.com``, with HTTP basic auth (Account SID, Auth Token)
  and a form-encoded body: ``To`` (E.164), ``From`` (a Twilio number or an
  alphanumeric sender ID) and ``Body``.
* ``StatusCallback``: the URL Twilio posts the message's status changes to
  (``queued``, ``sent``, ``delivered``, ``undelivered``, ``failed``), which
  :mod:`relationclient.events` reads; without it Twilio reports only to a
  Messaging Service's own callback, if one is set.
* Success: ``201`` with the Message resource, whose ``sid`` (``SM…``) names it.
* Errors: ``{"code": 21211, "message": "…", "more_info": "https://www.twilio.com/docs/errors/21211",
  "status": 400}``; a bad token is ``401`` with code 20003, too many requests
  ``429`` with code 20429.

Twilio offers no custom reference or idempotency field on this resource, so the
message's key stays on the :class:`~relationclient.transports.Receipt` only.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from ...errors import ConfigurationError
from ...messages import Message
from ...models._types import HttpUrl
from ..base import HTTPRequest, HTTPTransport
from ..retry import RetryPolicy
from ._answers import json_object, reading_answer
from ._fields import sms_only

__all__ = ["TwilioSmsTransport"]

_URL: TypeAdapter[str] = TypeAdapter(HttpUrl)


class TwilioSmsTransport(HTTPTransport):
    """Send :class:`~relationclient.Sms` through Twilio.

    Args:
        account_sid: The Twilio Account SID (``AC…``).
        auth_token: The account's Auth Token.
        base_url: Another endpoint than ``https://api.twilio.com``.
        timeout: Seconds to wait for Twilio, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
        status_callback: The shop's webhook URL for this SMS's status changes
            (``https://shop.example/webhooks/twilio``), sent as Twilio's
            ``StatusCallback``; https only (http for loopback hosts).

    Raises:
        ConfigurationError: ``status_callback`` is not an absolute https URL.
    """

    name = "twilio"
    channels = frozenset({"sms"})
    default_base_url: ClassVar[str] = "https://api.twilio.com"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
        status_callback: str | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url, timeout=timeout, client=client, retry=retry, concurrency=concurrency
        )
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.status_callback = None
        if status_callback is not None:
            try:
                self.status_callback = _URL.validate_python(status_callback)
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"]
                raise ConfigurationError(f"twilio: status_callback: {reason}") from None

    def auth(self) -> httpx.Auth:
        """Basic auth with the Account SID and the Auth Token."""
        return httpx.BasicAuth(self.account_sid, self._auth_token)

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST …/Messages.json`` with the documented form."""
        sms = sms_only(message, self.name)
        path = f"/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json"
        form = {"To": sms.to, "From": sms.sender, "Body": sms.body}
        if self.status_callback is not None:
            form["StatusCallback"] = self.status_callback
        return HTTPRequest("POST", path, data=form)

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The ``sid`` of the created Message resource."""
        with reading_answer(self.name):
            return str(response.json()["sid"])

    def parse_error(self, response: httpx.Response) -> tuple[int | str | None, str]:
        """Twilio's ``{"code", "message", "more_info", "status"}`` error body."""
        body = json_object(response)
        if body is None or "message" not in body:
            return super().parse_error(response)
        return body.get("code"), str(body["message"])
