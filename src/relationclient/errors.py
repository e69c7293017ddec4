"""The errors relationclient raises, all under one root.

Catch :class:`RelationClientError` to catch everything the library raises on
purpose. The tree::

    RelationClientError
    ├── ConfigurationError (ValueError)   a setup mistake: bad URL, missing extra…
    ├── RenderError                       a template could not be rendered
    ├── MessageError (ValueError)         a message that must not be sent as built
    │                                     (header injection, recipient unable to
    │                                     receive SMS, HTML over the size limit…)
    ├── UnsubscribeTokenError (ValueError)
    │                                     an unsubscribe token not to honour:
    │                                     forged, expired, another shop's…
    ├── LockTimeoutError (TimeoutError)   the outbox waited too long for a
    │                                     database lock (names the holder where
    │                                     the database can tell)
    ├── WebhookSignatureError             a webhook whose signature or credentials
    │                                     do not check out: nothing is recorded
    ├── WebhookPayloadError (ValueError)  a webhook body we cannot read (names the
    │                                     provider and the field)
    └── TransportError                    a provider did not take the message
        ├── TransientTransportError       may succeed later: network, SMTP 4xx,
        │                                 HTTP 429/5xx (``transient = True``)
        └── PermanentTransportError       will fail again: SMTP 5xx, HTTP 4xx
            │                             (``transient = False``)
            └── UnsupportedMessageError   the transport cannot carry this message
                                          at all; raised before any traffic

Bad model input raises :class:`pydantic.ValidationError`, which names the field;
it is not wrapped, so that shops' existing pydantic handling keeps working.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigurationError",
    "LockTimeoutError",
    "MessageError",
    "PermanentTransportError",
    "RelationClientError",
    "RenderError",
    "TransientTransportError",
    "TransportError",
    "UnsubscribeTokenError",
    "UnsupportedMessageError",
    "WebhookPayloadError",
    "WebhookSignatureError",
]


class RelationClientError(Exception):
    """Root of every error relationclient raises on purpose."""


class ConfigurationError(RelationClientError, ValueError):
    """A setup mistake: an unknown transport URL, a missing optional extra, a bad option."""


class RenderError(RelationClientError):
    """A template could not be rendered: syntax error, missing variable, unsafe access.

    Attributes:
        template: The name of the template at fault, when known.
        lineno: The line in that template, when known.
    """

    def __init__(self, message: str, *, template: str | None = None, lineno: int | None = None):
        super().__init__(message)
        self.template = template
        self.lineno = lineno


class MessageError(RelationClientError, ValueError):
    """A message that must not leave as built; the text names the field or header."""


class LockTimeoutError(RelationClientError, TimeoutError):
    """The outbox waited ``lock_timeout`` seconds for a database lock and gave up.

    The message says who held it when the database can tell (PostgreSQL's
    ``pg_stat_activity``: process id, user, application, client, how long its
    transaction has been open, its last statement) and what to do. SQLite
    cannot name the holder of its write lock: the message lists the usual
    suspects.
    """


class UnsubscribeTokenError(RelationClientError, ValueError):
    """An unsubscribe token that must not be honoured: forged, expired, another shop's, garbled.

    Raised by :func:`relationclient.unsubscribe.verify`; the endpoint answers
    it with a "this link is not valid" page, never with an opt-out.

    Attributes:
        reason: ``"malformed"``, ``"signature"``, ``"expired"``, ``"shop"`` or
            ``"purpose"``: what was wrong, for the page and the logs.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class WebhookSignatureError(RelationClientError):
    """A provider's webhook whose signature or credentials do not check out.

    Raised by :func:`relationclient.events.parse` before anything in the body
    is read; the webhook apps answer it with ``403`` (``401`` with a
    ``WWW-Authenticate`` challenge when basic-auth credentials are missing)
    and record nothing.

    Attributes:
        provider: The provider whose webhook it claims to be (``"twilio"``…).
        challenge: The ``WWW-Authenticate`` value to answer with when the
            request carried no credentials at all, else None.
    """

    def __init__(self, message: str, *, provider: str, challenge: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.challenge = challenge


class WebhookPayloadError(RelationClientError, ValueError):
    """A provider's webhook body that cannot be read: not JSON, a field missing or garbled.

    The webhook apps answer it with ``400``.

    Attributes:
        provider: The provider whose payload it is.
        field: The field at fault (``"BouncedAt"``, ``"MessageSid"``…), or None
            when the body as a whole could not be decoded.
    """

    def __init__(self, message: str, *, provider: str, field: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.field = field


class TransportError(RelationClientError):
    """A transport did not deliver the message to its provider.

    Attributes:
        transient: True when the same message may succeed if tried again later.
        transport: The name of the transport that failed.
        code: The provider's status or error code (SMTP reply code, HTTP status…).
        provider_message: The provider's own explanation, verbatim.
        retry_after: Seconds the provider asked us to wait, when it said so.
        accepted: False when the provider definitely did not take the message,
            None when nobody can tell (a timeout after the request was sent).
        receipts: In ``send_many``, the receipts of the messages sent before this one.
    """

    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        transport: str | None = None,
        code: int | str | None = None,
        provider_message: str | None = None,
        retry_after: float | None = None,
        accepted: bool | None = False,
    ):
        super().__init__(message)
        self.transport = transport
        self.code = code
        self.provider_message = provider_message
        self.retry_after = retry_after
        self.accepted = accepted
        #: Receipts of the messages a ``send_many`` batch delivered before this error.
        self.receipts: list[Any] = []


class TransientTransportError(TransportError):
    """A failure that may pass: network trouble, SMTP 4xx, HTTP 429 or 5xx."""

    transient = True


class PermanentTransportError(TransportError):
    """A failure that will repeat: SMTP 5xx, HTTP 4xx validation or authentication."""

    transient = False


class UnsupportedMessageError(PermanentTransportError):
    """The transport cannot carry this message (an Sms to an email-only provider…).

    Raised before any network traffic, so the message was certainly not sent.
    """
