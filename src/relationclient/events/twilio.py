"""Twilio's messaging webhooks: status callbacks of our SMS, and inbound STOP / START.

What Twilio documents (https://www.twilio.com/docs/usage/webhooks/webhooks-security,
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status,
and "Twilio support for opt-out keywords"):

* **Security**: every request carries ``X-Twilio-Signature``: the Base64 of
  the HMAC-SHA1, keyed by the account's Auth Token, of the full URL Twilio
  called (scheme, host, path and query string, exactly as configured)
  followed, for a form POST, by every POST parameter's name and value,
  sorted by name, with no separator. For a JSON body the URL carries a
  ``bodySHA256`` query parameter, the hex SHA-256 of the raw body, and the
  signature covers the URL alone. Twilio's own helper libraries also accept
  the URL with the default port (``:443``, ``:80``) written or left out, as
  Twilio may sign either; so does this parser. ``secret`` is the Auth Token
  (or several, while rotating: the primary then the secondary).
* **Status callbacks** (``application/x-www-form-urlencoded``): ``MessageSid``
  (``SmsSid`` too), ``MessageStatus`` (``queued``, ``sending``, ``sent``,
  ``delivered``, ``undelivered``, ``failed``, ``read``…), ``ErrorCode`` when it
  went wrong, ``To`` (the recipient), ``From`` (our sender). No time and no
  id of the callback itself: the time is when we receive it, and since a
  message reaches each status once, its SID and the status name the event.
* **Inbound messages**: ``MessageSid``, ``From`` (the customer), ``To`` (our
  number), ``Body``. With Advanced Opt-Out, ``OptOutType`` says ``STOP``,
  ``START`` or ``HELP``; otherwise a body that is exactly one of Twilio's
  default keywords (any case) is one: STOP, STOPALL, UNSUBSCRIBE, CANCEL,
  END, QUIT, REVOKE, OPTOUT (and ARRET, which Twilio also treats as an
  opt-out); START, YES, UNSTOP opt back in. Any other message gives no event.

Error codes meaning the number cannot receive SMS (a hard bounce): 30005
(unknown destination handset), 30006 (landline or unreachable carrier),
21211 (invalid 'To' number), 21614 (not a mobile number), 21635 (a landline).
30003 (unreachable handset: off, out of coverage) is a soft one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

from ..errors import ConfigurationError
from .base import EventParser, Payload
from .event import Event, EventType

__all__ = ["TwilioParser"]

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ARRET"}
)
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
#: Error codes after which the number cannot receive SMS at all.
UNDELIVERABLE_CODES = frozenset({"30005", "30006", "21211", "21614", "21635"})
#: Statuses on the way (not an outcome), and a scheduled message we cancelled.
IN_FLIGHT = frozenset(
    {"accepted", "scheduled", "queued", "sending", "sent", "receiving", "canceled"}
)


class TwilioParser(EventParser):
    """Twilio's status callbacks and inbound messages, checked by ``X-Twilio-Signature``."""

    name: ClassVar[str] = "twilio"
    secret_help: ClassVar[str] = "the account's Auth Token (or [primary, secondary] while rotating)"
    needs_url: ClassVar[bool] = True

    def check_secret(self, secret: Any) -> list[bytes]:
        """One Auth Token, or several."""
        tokens = [secret] if isinstance(secret, str) else secret
        if (
            not isinstance(tokens, Sequence)
            or not tokens
            or not all(isinstance(t, str) and t for t in tokens)
        ):
            raise ConfigurationError(f"twilio webhooks are checked with {self.secret_help}")
        return [t.encode() for t in tokens]

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """The signature of the URL (and the sorted form fields, or the body's hash)."""
        assert url is not None  # the base checks it (needs_url)
        given = headers.get("x-twilio-signature", "").encode()
        if not given:
            self.refuse("no X-Twilio-Signature header")
        query = parse_qs(urlsplit(url).query)
        if "bodySHA256" in query:
            digest = hashlib.sha256(body).hexdigest().encode()
            if not hmac.compare_digest(digest, query["bodySHA256"][0].encode()):
                self.refuse("the body does not match its bodySHA256")
            signed_fields = b""
        else:
            pairs = sorted(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            signed_fields = "".join(name + value for name, value in pairs).encode()
        # Every candidate is computed and compared: the time taken tells nothing.
        matches = [
            hmac.compare_digest(
                base64.b64encode(hmac.new(token, candidate + signed_fields, "sha1").digest()),
                given,
            )
            for token in self.secret
            for candidate in _url_forms(url)
        ]
        if not any(matches):
            self.refuse("X-Twilio-Signature does not match (wrong Auth Token or URL?)")

    def decode(self, headers: Mapping[str, str], body: bytes) -> list[Payload]:
        """A form (Twilio's callbacks), or a JSON object."""
        if headers.get("content-type", "").startswith("application/json"):
            return super().decode(headers, body)
        return self.decode_form(body)

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """A status callback, or an inbound message."""
        status = (item.get("MessageStatus") or item.get("SmsStatus") or "").lower()
        if status in ("received", "") and "Body" in item:
            return self._inbound(item)
        if not status:
            self.unreadable("missing", "MessageStatus")
        return self._status(item, status)

    def _status(self, item: Payload, status: str) -> list[Event]:
        code = self.optional_text(item, "ErrorCode")
        hard = code in UNDELIVERABLE_CODES
        if status in IN_FLIGHT:
            return []
        if status == "delivered":
            kind = EventType.DELIVERED
        elif status == "read":
            kind = EventType.OPENED
        elif status == "undelivered" or hard:
            kind = EventType.BOUNCED
        elif status == "failed":
            kind = EventType.FAILED
        else:
            return []  # partially_delivered, or a status Twilio adds later
        sid = self._sid(item)
        description = f"{status}" + (f" (error {code})" if code else "")
        if message := self.optional_text(item, "ErrorMessage"):
            description += f": {message}"
        return [
            Event(
                type=kind,
                hard=hard,
                channel="sms",
                recipient=self.text(item, "To"),
                provider=self.name,
                provider_message_id=sid,
                occurred_at=self.clock(),
                description=description,
                raw=item,
                event_id=f"{sid}:{status}",
                shop_address=self.optional_text(item, "From"),
            )
        ]

    def _inbound(self, item: Payload) -> list[Event]:
        declared = (self.optional_text(item, "OptOutType") or "").upper()
        word = str(item.get("Body", "")).strip().upper()
        if declared == "STOP" or (not declared and word in OPT_OUT_KEYWORDS):
            kind = EventType.OPTED_OUT
        elif declared == "START" or (not declared and word in OPT_IN_KEYWORDS):
            kind = EventType.OPTED_IN
        else:
            return []  # HELP, or a customer's message: not a delivery event
        sid = self._sid(item)
        return [
            Event(
                type=kind,
                channel="sms",
                recipient=self.text(item, "From"),
                provider=self.name,
                provider_message_id=sid,
                occurred_at=self.clock(),
                description=f"texted {word or declared} to {item.get('To', 'our number')}",
                raw=item,
                event_id=sid,
                shop_address=self.optional_text(item, "To"),
            )
        ]

    def _sid(self, item: Payload) -> str:
        if item.get("MessageSid"):
            return self.text(item, "MessageSid")
        if item.get("SmsSid"):
            return self.text(item, "SmsSid")
        self.unreadable("missing", "MessageSid")


def _url_forms(url: str) -> list[bytes]:
    """``url`` as given, and with the scheme's default port written or left out."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    forms = [url]
    if default is not None and parts.hostname:
        host = parts.netloc.rpartition("@")[2]
        userinfo = parts.netloc[: len(parts.netloc) - len(host)]
        if parts.port is None:
            other = f"{userinfo}{host}:{default}"
        elif parts.port == default:
            other = userinfo + host.rsplit(":", 1)[0]
        else:
            other = None
        if other is not None:
            forms.append(urlunsplit(parts._replace(netloc=other)))
    return [form.encode() for form in forms]
