"""Vonage (formerly Nexmo): SMS through the SMS API.

What Vonage documents (https://developer.vonage.com/en/messaging/sms/):

* ``POST https://rest.nexmo.com/sms/json`` with a form-encoded body:
  ``api_key``, ``api_secret``, ``from``, ``to`` (international digits, no
  ``+``), ``text``, ``type`` (``unicode`` for text outside GSM-7) and
  ``client-ref`` (your own reference, repeated in delivery receipts).
* The answer is ``200`` even when the message was refused:
  ``{"message-count": "1", "messages": [{"to", "message-id", "status": "0", …}]}``,
  one entry per part of a long message. ``status`` ``"0"`` is success; any
  other value is an error explained by ``error-text``.

Of the documented statuses, 1 (throttled), 5 (internal error), 10 (too many
existing binds) and 13 (communication failed) may pass, so they are transient.
Every other one will repeat, so it is permanent: 2 missing and 3 invalid
parameters, 4 invalid credentials, 6 unroutable message, 7 barred number,
8 barred account, 9 no credit left, 11 account not enabled for HTTP, 12 message
too long, 14 invalid signature, 15 invalid sender, 22 invalid network code,
23 invalid callback URL, 29 non-whitelisted destination, 32 signature and
secret both given, 33 de-activated number.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from ...errors import PermanentTransportError, TransientTransportError, TransportError
from ...messages import Message
from ..base import HTTPRequest, HTTPTransport
from ..retry import RetryPolicy
from ._answers import reading_answer
from ._fields import digits_of, sms_only

__all__ = ["VonageSmsTransport"]

#: Statuses worth another try later: throttled, internal error, too many binds, comms failure.
TRANSIENT_STATUSES = frozenset({"1", "5", "10", "13"})


class VonageSmsTransport(HTTPTransport):
    """Send :class:`~relationclient.Sms` through the Vonage SMS API.

    The credentials travel in the form, as Vonage documents; the message's
    idempotency key is its ``client-ref``.

    Args:
        api_key: The Vonage API key.
        api_secret: The Vonage API secret.
        base_url: Another endpoint than ``https://rest.nexmo.com``.
        timeout: Seconds to wait for Vonage, per request.
        client: An :class:`httpx.AsyncClient` of the shop's own, left open by :meth:`close`.
        retry: When to retry transient failures; never by default.
        concurrency: Requests in flight at once, at most (8 by default).
    """

    name = "vonage"
    channels = frozenset({"sms"})
    default_base_url: ClassVar[str] = "https://rest.nexmo.com"
    #: Status 1, "Throttled": the account's rate, so the whole transport slows down.
    rate_limit_codes: ClassVar[frozenset[str]] = frozenset({"1"})

    def __init__(
        self,
        api_key: str,
        api_secret: str,
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
        self._api_secret = api_secret

    def auth(self) -> dict[str, str]:
        """No header: Vonage's SMS API takes the credentials in the form."""
        return {}

    def build_request(self, message: Message) -> HTTPRequest:
        """``POST /sms/json`` with the documented form."""
        sms = sms_only(message, self.name)
        form = {
            "api_key": self._api_key,
            "api_secret": self._api_secret,
            "from": sms.sender,
            "to": digits_of(sms.to),
            "text": sms.body,
            "type": "unicode" if sms.encoding == "UCS-2" else "text",
            "client-ref": sms.idempotency_key,
        }
        return HTTPRequest("POST", "/sms/json", data=form)

    def parse_response(self, response: httpx.Response, message: Message) -> str:
        """The first part's ``message-id`` when every part has status ``"0"``.

        Raises:
            TransientTransportError: A part has a status worth retrying.
            PermanentTransportError: A part has any other non-zero status.
        """
        with reading_answer(self.name):
            parts: list[dict[str, Any]] = response.json()["messages"]
            refused = [part for part in parts if str(part["status"]) != "0"]
            if refused:
                some_went = len(refused) < len(parts)
                raise self._status_error(refused[0], accepted=None if some_went else False)
            return str(parts[0]["message-id"])

    def _status_error(self, part: dict[str, Any], *, accepted: bool | None) -> TransportError:
        status = str(part["status"])
        text = str(part.get("error-text") or f"status {status}")
        cls = TransientTransportError if status in TRANSIENT_STATUSES else PermanentTransportError
        return cls(
            f"{self.name}: status {status}: {text}",
            transport=self.name,
            code=status,
            provider_message=text,
            accepted=accepted,
        )
