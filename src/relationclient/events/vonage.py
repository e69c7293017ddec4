"""Vonage's SMS API webhooks: delivery receipts of our SMS, and inbound STOP / START.

What Vonage documents (https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts,
…/sms/guides/inbound-sms, …/getting-started/concepts/signing-messages and its
support article "SMS Delivery Error Codes"):

* The SMS API calls the delivery-receipt and inbound URLs with ``GET``, a
  ``POST`` form or ``POST-JSON``, as set in the dashboard; the apps take POSTs.
* **Security**: once signing is on for the account, every request carries
  ``sig``, ``timestamp`` (Unix seconds) and ``nonce`` beside its own
  parameters. ``sig`` is computed over every other parameter, sorted by name,
  each written ``&name=value`` with ``&`` and ``=`` inside a value replaced by
  ``_``: with the dashboard's default *MD5 hash*, the hex MD5 of that text
  followed by the signature secret; with *MD5, SHA-1, SHA-256 or SHA-512
  HMAC*, the hex HMAC of that text keyed by the secret (Vonage writes it in
  upper case; the comparison ignores case). ``secret`` is the signature
  secret and the method (:class:`VonageSignature`). It covers the parameters,
  not the URL. A ``timestamp`` over a day old is refused (a replay within the
  day records nothing twice). The Messages API signs with a JWT: not here.
* **Delivery receipts**: ``messageId`` (one per part of a long message; the
  first is our :class:`~relationclient.transports.Receipt`'s), ``msisdn`` (the
  recipient, digits), ``to`` (our sender), ``status`` (``delivered``,
  ``expired``, ``failed``, ``rejected``, ``accepted``, ``buffered``,
  ``unknown``), ``err-code`` (``0`` when delivered), ``client-ref`` (what the
  send set: our :class:`~relationclient.transports.VonageSmsTransport` sends
  the idempotency key), ``message-timestamp`` (``2020-01-01 12:00:00``, UTC),
  ``scts``, ``network-code``, ``price``, ``api-key``. A part reaches each
  status once: its ``messageId`` and the status name the event.
* **Inbound messages**: ``msisdn`` (the customer), ``to`` (our number),
  ``messageId``, ``text``, ``keyword`` (its first word, upper case), ``type``,
  ``message-timestamp``. A message that is exactly an opt-out keyword (any
  case, accents ignored) — STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  REVOKE, OPTOUT, ARRET — is a STOP; START or UNSTOP lift it. Anything else
  gives no event.

``err-code`` meanings after which the number cannot receive SMS (a hard
bounce): 3 absent subscriber, permanent (the number is no longer active), 4
call barred by the user, 9 illegal number (the user asked not to receive
messages from this service), 12 destination unreachable (no route to the
number), 14 number blocked by its carrier. 2 (absent subscriber, temporary), 7
(handset busy) and an ``expired`` receipt are soft bounces; any other code
(anti-spam rejection, illegal message, unroutable, filters, a general error) is
a failure that says nothing about the number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ..errors import ConfigurationError, WebhookPayloadError
from .base import EventParser, Payload
from .event import Event, EventType

__all__ = ["KEYWORD_EVENTS", "VonageParser", "VonageSignature", "e164", "keyword_of"]

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ARRET"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
#: What a message that is exactly one of those keywords stands for.
KEYWORD_EVENTS = dict.fromkeys(OPT_OUT_KEYWORDS, EventType.OPTED_OUT) | dict.fromkeys(
    OPT_IN_KEYWORDS, EventType.OPTED_IN
)
#: ``err-code`` values after which the number cannot receive SMS.
UNDELIVERABLE_CODES = frozenset({"3", "4", "9", "12", "14"})
#: ``err-code`` values of a handset that was only away for now.
TEMPORARY_CODES = frozenset({"2", "7"})
#: The dashboard's signature methods, by the names this parser takes.
METHODS = {"md5hash": None, "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}


def e164(number: str) -> str:
    """Bare digits as Vonage and Brevo write them (``33612345678``) as E.164; a name as it is."""
    digits = number.strip().removeprefix("+")
    return f"+{digits}" if digits.isdigit() else number.strip()


def keyword_of(text: str) -> str:
    """A whole message as a keyword: trimmed, upper case, accents dropped (``Arrêt``: ``ARRET``)."""
    decomposed = unicodedata.normalize("NFKD", text.strip().upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class VonageSignature:
    """The account's signature secret and the method chosen for it in Vonage's dashboard.

    ``method`` is ``"md5hash"`` (the dashboard's default, *MD5 hash*) or an
    HMAC: ``"md5"``, ``"sha1"``, ``"sha256"``, ``"sha512"`` (``"SHA-256 HMAC"``
    is read as ``"sha256"``).
    """

    secret: str = field(repr=False)
    method: str = "md5hash"

    def __post_init__(self) -> None:
        if not self.secret:
            raise ConfigurationError("vonage webhooks need the account's signature secret")
        words = self.method.lower().replace("-", "").replace("_", "").replace(" ", "")
        method = words if words == "md5hash" else words.removesuffix("hmac")
        if method not in METHODS:
            expected = ", ".join(METHODS)
            raise ConfigurationError(f"vonage signature method {self.method!r}: one of {expected}")
        object.__setattr__(self, "method", method)

    def sign(self, params: Mapping[str, str]) -> str:
        """The lower-case hex signature of ``params`` (without ``sig``), as Vonage computes it."""
        text = "".join(
            f"&{name}={params[name].replace('&', '_').replace('=', '_')}" for name in sorted(params)
        ).encode()
        digest = METHODS[self.method]
        if digest is None:
            return hashlib.md5(text + self.secret.encode()).hexdigest()
        return hmac.new(self.secret.encode(), text, digest).hexdigest()


class VonageParser(EventParser):
    """Vonage's SMS API delivery receipts and inbound messages, checked by their ``sig``."""

    name: ClassVar[str] = "vonage"
    secret_help: ClassVar[str] = (
        "the account's signature secret and method: VonageSignature(secret, 'sha256')"
    )
    #: How old a signed ``timestamp`` may be (and how far ahead, for clocks apart).
    max_age: ClassVar[timedelta] = timedelta(days=1)
    max_ahead: ClassVar[timedelta] = timedelta(minutes=5)

    def check_secret(self, secret: Any) -> VonageSignature:
        """A :class:`VonageSignature`, a ``(secret, method)`` pair, or a secret (MD5 hash)."""
        if isinstance(secret, VonageSignature):
            return secret
        if isinstance(secret, str):
            return VonageSignature(secret)
        if isinstance(secret, tuple) and [type(part) for part in secret] == [str, str]:
            return VonageSignature(*secret)
        raise ConfigurationError(f"vonage webhooks are checked with {self.secret_help}")

    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """``sig`` must be the signature of every other parameter, and ``timestamp`` recent."""
        try:
            [params] = self.decode(headers, body)
        except WebhookPayloadError:
            self.refuse("the body is not a form or a JSON object of signed parameters")
        signed = {
            name: value if isinstance(value, str) else json.dumps(value)
            for name, value in params.items()
            if name != "sig"
        }
        given = params.get("sig")
        if not isinstance(given, str) or not given:
            self.refuse("no sig parameter (is signing on for the account?)")
        if not hmac.compare_digest(self.secret.sign(signed).encode(), given.lower().encode()):
            self.refuse("sig does not match (wrong signature secret or method?)")
        try:
            at = datetime.fromtimestamp(int(signed.get("timestamp", "")), UTC)
        except (ValueError, OverflowError, OSError):
            self.refuse("no valid timestamp among the signed parameters")
        now = self.clock()
        if not now - self.max_age <= at <= now + self.max_ahead:
            self.refuse(f"its timestamp {at.isoformat()} is too old (or ahead)")

    def decode(self, headers: Mapping[str, str], body: bytes) -> list[Payload]:
        """A form, or a JSON object (``POST-JSON``)."""
        if headers.get("content-type", "").startswith("application/json"):
            items = super().decode(headers, body)
            if len(items) != 1:
                self.unreadable("expected one JSON object")
            return items
        return self.decode_form(body)

    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """A delivery receipt (it has a ``status``), or an inbound message."""
        if "status" in item:
            return self._receipt(item)
        if "text" in item or "keyword" in item:
            return self._inbound(item)
        self.unreadable("missing", "status")

    def _receipt(self, item: Payload) -> list[Event]:
        status = self.text(item, "status").lower()
        code = self.optional_text(item, "err-code")
        if status == "delivered":
            kind, hard = EventType.DELIVERED, False
        elif status in ("failed", "rejected", "expired"):
            hard = code in UNDELIVERABLE_CODES
            soft = status == "expired" or code in TEMPORARY_CODES
            kind = EventType.BOUNCED if hard or soft else EventType.FAILED
        else:
            return []  # accepted, buffered: on the way; unknown: no verdict
        message_id = self.text(item, "messageId")
        key = self.optional_text(item, "client-ref")
        return [
            Event(
                type=kind,
                hard=hard,
                channel="sms",
                recipient=e164(self.text(item, "msisdn")),
                provider=self.name,
                provider_message_id=message_id,
                idempotency_key=key if key and len(key) <= 128 else None,
                occurred_at=self._when(item),
                description=status + (f" (err-code {code})" if code and code != "0" else ""),
                raw=item,
                event_id=f"{message_id}:{status}",
                shop_address=self._ours(item),
            )
        ]

    def _inbound(self, item: Payload) -> list[Event]:
        word = keyword_of(str(item.get("text") or item.get("keyword") or ""))
        kind = KEYWORD_EVENTS.get(word)
        if kind is None:
            return []  # a customer's message: not a delivery event
        message_id = self.text(item, "messageId")
        return [
            Event(
                type=kind,
                channel="sms",
                recipient=e164(self.text(item, "msisdn")),
                provider=self.name,
                provider_message_id=message_id,
                occurred_at=self._when(item),
                description=f"texted {word} to {item.get('to', 'our number')}",
                raw=item,
                event_id=message_id,
                shop_address=self._ours(item),
            )
        ]

    def _when(self, item: Payload) -> datetime:
        """``message-timestamp`` (UTC), else when we received it."""
        text = self.optional_text(item, "message-timestamp")
        if text is None:
            return self.clock()
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            self.unreadable(f"{text!r} is not a 'YYYY-MM-DD HH:MM:SS' time", "message-timestamp")

    def _ours(self, item: Payload) -> str | None:
        to = self.optional_text(item, "to")
        return None if to is None else e164(to)
