"""Send relationclient's messages through a Django email backend: any Anymail ESP, Django's SMTP.

A shop that configured its provider for Django (``anymail.backends.mailgun``
with its keys in ``ANYMAIL``) keeps that configuration:
:class:`DjangoTransport` hands each :class:`~relationclient.Email` — and each
:class:`~relationclient.messages.MailMessage` the Django ``EmailBackend``
stored — to the backend named in ``RELATIONCLIENT["EMAIL_BACKEND"]`` as a
Django :class:`~django.core.mail.EmailMultiAlternatives`, headers
(``Message-ID``, ``List-Unsubscribe``…), reply-to, attachments and HTML part
kept. The backend's errors come back as relationclient's: an Anymail API
error by its HTTP status (429 and 5xx transient, other 4xx permanent, 502 and
504 unknown), refused recipients permanent, an SMTP reply by its code.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import encoders
from email.mime.base import MIMEBase
from email.utils import format_datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from ...errors import (
    ConfigurationError,
    PermanentTransportError,
    TransientTransportError,
    TransportError,
    UnsupportedMessageError,
)
from ...messages import Email, MailAttachment, MailMessage, Message
from ...transports._errors import GATEWAY_STATUSES, map_smtp_errors, parse_retry_after
from ...transports.base import BaseTransport, Receipt
from ...transports.retry import RetryPolicy
from .conf import get_settings, is_own_backend, name

try:  # Anymail is what most shops use, but any Django backend works.
    from anymail.exceptions import (
        AnymailAPIError,
        AnymailError,
        AnymailRecipientsRefused,
        AnymailUnsupportedFeature,
    )
except ImportError:  # pragma: no cover - the django extra brings it
    AnymailError = AnymailAPIError = AnymailRecipientsRefused = AnymailUnsupportedFeature = None

__all__ = ["DjangoTransport", "django_message"]

_TRANSIENT_4XX = frozenset({408, 425, 429})


def django_message(message: Email | MailMessage) -> EmailMultiAlternatives:
    """The Django message that carries ``message``: same headers, parts and attachments.

    Its ``Message-ID`` is the message's own, so a resend after a crash carries
    the same one and receivers can drop the copy.
    """
    headers: dict[str, str] = {"Message-ID": message.message_id}
    if message.created_at is not None:
        headers["Date"] = format_datetime(message.created_at)
    headers.update(message.headers)
    if isinstance(message, Email):
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=str(message.sender),
            to=[str(message.to)],
            reply_to=[str(message.reply_to)] if message.reply_to else None,
            headers=headers,
        )
        mail.attach_alternative(message.html, "text/html")
    else:
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=str(message.sender),
            to=[str(m) for m in message.to],
            cc=[str(m) for m in message.cc],
            bcc=[str(m) for m in message.bcc],
            reply_to=[str(m) for m in message.reply_to],
            headers=headers,
        )
        mail.content_subtype = message.body_subtype
        for alternative in message.alternatives:
            mail.attach_alternative(alternative.content, alternative.mimetype)
    for attachment in message.attachments:
        if isinstance(attachment, MailAttachment) and (attachment.content_id or attachment.inline):
            mail.attach(_inline_part(attachment))
        else:
            mail.attach(attachment.filename, attachment.content, attachment.mimetype)
    return mail


def _inline_part(attachment: MailAttachment) -> MIMEBase:
    """The MIME part Django (and Anymail) take for an inline attachment with a Content-ID."""
    maintype, subtype = attachment.mimetype.split("/", 1)
    part = MIMEBase(maintype, subtype)
    part.set_payload(attachment.content)
    encoders.encode_base64(part)
    disposition = "inline" if attachment.inline else "attachment"
    part.add_header("Content-Disposition", disposition, filename=attachment.filename)
    if attachment.content_id:
        part["Content-ID"] = attachment.content_id
    return part


class DjangoTransport(BaseTransport):
    """Send emails through a Django email backend, an Anymail ESP's or Django's own.

    Args:
        backend: The dotted path of the Django backend
            (``"anymail.backends.postmark.EmailBackend"``); by default
            ``RELATIONCLIENT["EMAIL_BACKEND"]``. relationclient's own
            ``EmailBackend`` is refused: it would store the mail back into the
            outbox, and the next dispatch would send it there again.
        retry: Retry transient failures, as the other transports do.
        name: What receipts and errors call this transport (``"django"``).
        **options: Passed to :func:`django.core.mail.get_connection` (an SMTP
            backend's ``host``, an ESP's ``api_key``…).

    One backend connection is opened at the first message and reused for the
    following ones (``send_many`` and the outbox's batches) until
    :meth:`close`; a connection that failed is dropped and opened afresh at the
    next message. A receipt's ``message_id`` is the ESP's id when Anymail
    reports one (what its webhooks name), else the ``Message-ID``.

    Raises:
        ConfigurationError: ``backend`` is relationclient's own, cannot be
            imported, or refuses its settings (an ESP without its API key).
    """

    name = "django"
    carries_mail = True
    channels = frozenset({"email"})

    def __init__(
        self,
        backend: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        name: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(retry=retry)
        self.backend = backend if backend is not None else get_settings().email_backend
        self.name = name or self.name
        if is_own_backend(self.backend):
            raise ConfigurationError(
                f"{self.name}: refusing to send through {self.backend}, relationclient's own "
                "EmailBackend: every mail would go back into the outbox. Set "
                f"{_setting()} to the backend that really sends "
                "(anymail.backends.<esp>.EmailBackend, django.core.mail.backends.smtp.EmailBackend)"
            )
        self.options = options
        self._connection: BaseEmailBackend | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"DjangoTransport({self.backend!r})"

    # -- the connection ---------------------------------------------------------------
    def _connect(self) -> BaseEmailBackend:
        from .backend import EmailBackend

        try:
            connection: BaseEmailBackend = get_connection(
                self.backend, fail_silently=False, **self.options
            )
        except (ImportError, ImproperlyConfigured, TypeError) as exc:
            raise ConfigurationError(
                f"{self.name}: cannot use the Django email backend {self.backend!r} "
                f"({_setting()}): {exc}"
            ) from exc
        if isinstance(connection, EmailBackend):
            raise ConfigurationError(
                f"{self.name}: {self.backend} is relationclient's own EmailBackend "
                f"(or derives from it); {_setting()} must name the backend that really sends"
            )
        return connection

    def open(self) -> None:
        """Open the backend's connection (an SMTP session; nothing for most ESPs)."""
        with self._lock:
            if self._connection is None:
                connection = self._connect()
                with self._mapped("connect"):
                    connection.open()
                self._connection = connection

    def close(self) -> None:
        """Close the backend's connection; the transport can still be used afterwards."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            # A connection already gone is closed enough.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()

    # -- one message ------------------------------------------------------------------

    def _send(self, message: Message) -> Receipt:
        if not isinstance(message, Email | MailMessage):
            raise UnsupportedMessageError(
                f"{self.name} sends email only, not {type(message).__name__}",
                transport=self.name,
            )
        mail = django_message(message)
        with self._lock:
            self.open()
            assert self._connection is not None
            try:
                with self._mapped("send"):
                    sent = self._connection.send_messages([mail])
            except TransportError:
                self.close()  # a connection that failed is not trusted again
                raise
        if not sent:
            raise PermanentTransportError(
                f"{self.name}: {self.backend} sent nothing (no recipient it accepts)",
                transport=self.name,
            )
        status = getattr(mail, "anymail_status", None)
        esp_id = getattr(status, "message_id", None)
        raw: dict[str, Any] = {"backend": self.backend}
        if status is not None:
            raw["status"] = {
                email: getattr(recipient, "status", None)
                for email, recipient in (getattr(status, "recipients", None) or {}).items()
            }
        message_id = str(esp_id) if isinstance(esp_id, str | int) else message.message_id
        return self.receipt(message, message_id, raw=raw)

    # -- errors -----------------------------------------------------------------------
    @contextmanager
    def _mapped(self, stage: str) -> Iterator[None]:
        """Translate what the Django backend raises into relationclient's error tree."""
        try:
            yield
        except TransportError:
            raise
        except Exception as exc:
            if AnymailError is not None and isinstance(exc, AnymailError):
                raise self._anymail_error(exc) from exc
            if isinstance(exc, smtplib.SMTPException | OSError):
                with map_smtp_errors(self.name, stage=stage):
                    raise
            if isinstance(exc, ImproperlyConfigured):
                raise ConfigurationError(
                    f"{self.name}: {self.backend} ({_setting()}) is not configured: {exc}"
                ) from exc
            if isinstance(exc, ValueError):  # BadHeaderError, an address Django refuses
                raise PermanentTransportError(
                    f"{self.name}: {self.backend} refused the message: {exc}",
                    transport=self.name,
                    provider_message=str(exc),
                ) from exc
            raise

    def _anymail_error(self, exc: Exception) -> TransportError:
        """Anymail's error as ours: by HTTP status, refused recipients, unsupported features."""
        esp = getattr(exc, "esp_name", None) or self.backend
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, AnymailUnsupportedFeature):
            return UnsupportedMessageError(
                f"{self.name}: {esp} cannot send this message: {text}", transport=self.name
            )
        if isinstance(exc, AnymailRecipientsRefused):
            return PermanentTransportError(
                f"{self.name}: {esp} refused every recipient: {text}",
                transport=self.name,
                code="recipients_refused",
                provider_message=str(exc),
            )
        status = getattr(exc, "status_code", None)
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After"))
        if isinstance(status, int):
            transient = status in _TRANSIENT_4XX or status >= 500
            cls = TransientTransportError if transient else PermanentTransportError
            gateway = status in GATEWAY_STATUSES
            return cls(
                f"{self.name}: {esp} answered HTTP {status}: {text}",
                transport=self.name,
                code=status,
                provider_message=str(exc),
                retry_after=retry_after,
                accepted=None if gateway else False,
            )
        if AnymailAPIError is not None and isinstance(exc, AnymailAPIError):
            # No status: the request broke on its way (a timeout, a reset): nobody knows.
            return TransientTransportError(
                f"{self.name}: {esp} could not be reached or did not answer; it may have "
                f"taken the message: {text}",
                transport=self.name,
                provider_message=str(exc),
                accepted=None,
            )
        return PermanentTransportError(
            f"{self.name}: {esp} refused the message: {text}",
            transport=self.name,
            provider_message=str(exc),
        )


def _setting() -> str:
    return name("EMAIL_BACKEND")
