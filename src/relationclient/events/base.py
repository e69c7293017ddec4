"""The base of every provider's webhook parser: verify first, then decode, then translate.

:class:`EventParser` owns the loop — headers normalised, the signature or
credentials checked before a byte of the body is trusted, the body decoded,
each of the provider's items translated into :class:`~.event.Event` objects,
every reading error turned into a :class:`~relationclient.WebhookPayloadError`
naming the provider and the field — so that a provider's module only says
how its webhook is signed and what its fields mean.

Adding a provider
-----------------

One module under ``relationclient/events/``, 100–250 lines, then one line in
:data:`relationclient.events.parsers.PARSERS`:

1. Subclass :class:`EventParser`; set :attr:`~EventParser.name` (the path the
   webhook apps serve it at, ``/sendgrid``), :attr:`~EventParser.secret_help`
   (what the shop passes as ``secret``, in the provider's words) and
   :attr:`~EventParser.needs_url` when the signature covers the public URL
   (Twilio, Vonage).
2. :meth:`~EventParser.check_secret`: turn what the shop passes into what
   :meth:`~EventParser.verify` needs (an HMAC key as bytes, a public key
   loaded once); raise :class:`~relationclient.ConfigurationError` for a
   wrong kind. Import an optional library here, lazily, naming the extra
   (SendGrid's ECDSA check uses ``cryptography`` from the ``webhooks`` extra:
   ``pip install 'relationclient[webhooks]'``) — never a hand-rolled check.
3. :meth:`~EventParser.verify`: exactly what the provider documents, with
   :func:`hmac.compare_digest` for every comparison; raise
   :class:`~relationclient.WebhookSignatureError` (through :meth:`refuse`).
   A timestamped signature (Mailgun, SendGrid) also refuses an old timestamp.
4. :meth:`~EventParser.decode` when the body is not a JSON object or array
   (the default): Twilio's is a form. Return the provider's items.
5. :meth:`~EventParser.events_of`: one item to zero or more events, with the
   field meanings of the provider's documentation (say which page in the
   module docstring). Read fields with :meth:`text`, :meth:`optional_text`
   and :meth:`instant`, which name the field when it is missing or garbled.
   Set ``event_id`` to the provider's event id when it has one (SendGrid's
   ``sg_event_id``, Mailgun's ``id``): that is what makes a retried webhook
   record once. An item that says nothing about delivery gives no event.
6. Tests under ``tests/events/``: sample payloads written from the
   provider's documented format, signed with real keys made in the test,
   POSTed to both apps; and a section on the docs' events page (URL, secret,
   which events to tick).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn
from urllib.parse import parse_qsl

from pydantic import ValidationError

from ..errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from .event import Event

__all__ = ["BasicAuth", "EventParser", "Payload"]

Payload = dict[str, Any]
"""One item of a provider's webhook body: a JSON object, or a form's fields."""

# ISO 8601 with more than six digits of fraction (.NET's seven: Postmark).
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BasicAuth:
    """HTTP basic-auth credentials, for providers that call ``https://user:password@host/…``.

    Put the same two in the webhook URL you give the provider
    (``https://hooks:s3cret@shop.example/webhooks/postmark``); the parser
    checks the ``Authorization`` header they become, in constant time.
    """

    username: str
    password: str = field(repr=False)

    @classmethod
    def of(cls, secret: object, provider: str) -> BasicAuth:
        """``secret`` as credentials: a :class:`BasicAuth`, a pair, or ``"user:password"``."""
        if isinstance(secret, BasicAuth):
            return secret
        if isinstance(secret, tuple) and len(secret) == 2:
            username, password = secret
            if isinstance(username, str) and isinstance(password, str):
                return cls(username, password)
        if isinstance(secret, str) and ":" in secret:
            username, _, password = secret.partition(":")
            return cls(username, password)
        raise ConfigurationError(
            f"{provider} webhooks are checked with basic-auth credentials: pass "
            "BasicAuth(username, password), a (username, password) pair or 'username:password'"
        )


class EventParser(ABC):
    """Reads one provider's webhooks: verifies, decodes, translates into :class:`Event` objects.

    Args:
        secret: What the provider documents for checking its webhooks (see
            :attr:`secret_help`); None only with ``verify=False`` (a payload
            replayed from a file you trust).
        clock: Returns the current aware datetime, for providers that send no
            time of their own.
    """

    #: The provider's name: ``Event.provider`` and the apps' path (``/postmark``).
    name: ClassVar[str]
    #: What ``secret`` is, in the provider's words, for errors and the docs.
    secret_help: ClassVar[str]
    #: Whether the signature covers the URL the provider called (the apps' ``public_url``).
    needs_url: ClassVar[bool] = False

    def __init__(self, secret: Any, *, clock: Callable[[], datetime] = _utc_now) -> None:
        #: The secret as :meth:`check_secret` made it; None when not verifying.
        self.secret: Any = None if secret is None else self.check_secret(secret)
        self.clock = clock

    # -- what a provider says ------------------------------------------------------------
    @abstractmethod
    def check_secret(self, secret: Any) -> Any:
        """``secret`` as :meth:`verify` uses it; :class:`ConfigurationError` for a wrong kind."""

    @abstractmethod
    def verify(self, headers: Mapping[str, str], body: bytes, url: str | None) -> None:
        """Check the request's signature or credentials, or :meth:`refuse` it.

        Args:
            headers: The request's headers, names in lower case.
            body: The raw body, as received.
            url: The full URL the provider called, query string included
                (for providers whose signature covers it).
        """

    @abstractmethod
    def events_of(self, item: Payload, headers: Mapping[str, str]) -> list[Event]:
        """The events one item of the body stands for (none for an item about nothing we track)."""

    def decode(self, headers: Mapping[str, str], body: bytes) -> list[Payload]:
        """The body's items: a JSON object is one, a JSON array of objects many."""
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.unreadable(f"the body is not JSON ({exc})")
        items = data if isinstance(data, list) else [data]
        for item in items:
            if not isinstance(item, dict):
                self.unreadable(f"expected JSON objects, got {type(item).__name__}")
        return items

    def decode_form(self, body: bytes) -> list[Payload]:
        """A form-encoded body (``a=1&b=2``, as Twilio and Vonage post) as one item."""
        try:
            text = body.decode("utf-8")
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        except (UnicodeDecodeError, ValueError) as exc:
            self.unreadable(f"the body is not a form ({exc})")
        return [fields]

    # -- the loop ------------------------------------------------------------------------
    def parse(
        self,
        *,
        headers: Mapping[str, str],
        body: bytes,
        url: str | None = None,
        verify: bool = True,
    ) -> list[Event]:
        """Verify, decode and translate one webhook request.

        Raises:
            WebhookSignatureError: A bad or missing signature or credentials;
                nothing in the body was read.
            WebhookPayloadError: A body or field that cannot be read.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        if verify:
            if self.secret is None:
                self.refuse("no secret to check the webhook with (pass secret=…)")
            if self.needs_url and not url:
                self.refuse("its signature covers the URL it was sent to: pass url=…")
            self.verify(lowered, body, url)
        events: list[Event] = []
        for item in self.decode(lowered, body):
            with self.reading():
                events.extend(self.events_of(item, lowered))
        return events

    # -- for the provider modules -------------------------------------------------------
    def refuse(self, reason: str, *, challenge: str | None = None) -> NoReturn:
        """Raise :class:`WebhookSignatureError`: the request is not the provider's."""
        raise WebhookSignatureError(
            f"{self.name} webhook refused: {reason}", provider=self.name, challenge=challenge
        )

    def check_basic_auth(self, headers: Mapping[str, str], expected: BasicAuth) -> None:
        """Refuse a request whose ``Authorization`` header is not ``expected``'s.

        Without the header at all, the refusal carries a ``Basic`` challenge:
        the apps answer ``401``, and a client that waits for one (as Twilio's
        does) sends the credentials again.
        """
        given = headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if not given:
            self.refuse("no Authorization header", challenge='Basic realm="webhooks"')
        if scheme.lower() != "basic":
            self.refuse(f"Authorization is {scheme!r}, not Basic")
        try:
            decoded = base64.b64decode(token.strip(), validate=True)
        except (binascii.Error, ValueError):
            self.refuse("Authorization is not valid base64")
        wanted = f"{expected.username}:{expected.password}".encode()
        if not hmac.compare_digest(decoded, wanted):
            self.refuse("wrong basic-auth credentials")

    def unreadable(self, reason: str, field: str | None = None) -> NoReturn:
        """Raise :class:`WebhookPayloadError` naming the provider and the field."""
        where = f" field {field!r}" if field else ""
        raise WebhookPayloadError(
            f"{self.name} webhook{where}: {reason}", provider=self.name, field=field
        )

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Turn a value the :class:`Event` model refuses into a :class:`WebhookPayloadError`."""
        try:
            yield
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or None
            self.unreadable(first["msg"], field)

    def text(self, item: Payload, field: str) -> str:
        """The non-empty text of ``field``, or a :class:`WebhookPayloadError` naming it."""
        value = item.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.unreadable("missing", field)
        if not isinstance(value, str | int):
            self.unreadable(f"expected text, got {type(value).__name__}", field)
        return str(value).strip()

    def optional_text(self, item: Payload, field: str) -> str | None:
        """The text of ``field``, None when absent or empty."""
        value = item.get(field)
        if value is None or value == "":
            return None
        return self.text(item, field)

    def instant(self, item: Payload, field: str) -> datetime:
        """``field`` as an aware datetime: ISO 8601 (any fraction) or epoch seconds."""
        value = item.get(field)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                self.unreadable(f"{value!r} is not a time", field)
        text = self.text(item, field)
        try:
            parsed = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", text))
        except ValueError:
            self.unreadable(f"{text!r} is not an ISO 8601 time", field)
        if parsed.tzinfo is None:
            self.unreadable(f"{text!r} has no time zone", field)
        return parsed
