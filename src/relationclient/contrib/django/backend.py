"""A Django ``EMAIL_BACKEND`` that stores every mail in the outbox, as Django built it.

Set ``EMAIL_BACKEND = "relationclient.contrib.django.EmailBackend"`` and every
``send_mail``, password reset and admin notice goes into the outbox of
``RELATIONCLIENT["OUTBOX"]`` — one ``put`` per message, durable before
``send_mail`` returns — and leaves with the next dispatch (the
``relationclient_dispatch`` command, a Celery worker) through
``RELATIONCLIENT["TRANSPORT"]``, retried and deduplicated like the shop's own
messages.

Mail keeps its own shape (:class:`~relationclient.messages.MailMessage`): a
text-only mail stays text-only, cc, bcc, reply-to, extra headers, HTML
alternatives and attachments are kept. The ``Message-ID`` is the message's own,
set by the backend when absent (and written back on the Django message), and
the idempotency key derives from it: the same message sent twice is stored once.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import Message
from email.mime.base import MIMEBase
from email.utils import getaddresses
from typing import Any

from django import conf as django_conf
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.utils import translation

from ...messages import Alternative, MailAttachment, Mailbox, MailMessage
from .conf import get_outbox, get_settings, put

__all__ = ["EmailBackend", "mail_message"]


def _mailboxes(values: Sequence[str] | None, field: str) -> list[Mailbox]:
    mailboxes = []
    for display, address in getaddresses([str(v) for v in values or ()]):
        if not address:
            raise ValueError(f"{field}: {values!r} holds no email address")
        mailboxes.append(Mailbox(address=address, name=display or None))
    return mailboxes


def _attachment(item: Any) -> MailAttachment:
    """A Django attachment: a ``(filename, content, mimetype)`` or a MIME part (inline images)."""
    if isinstance(item, MIMEBase):
        if item.get_content_type() == "message/rfc822":
            inner = item.get_payload(0)  # a message/rfc822 part holds one message
            data = inner.as_bytes() if isinstance(inner, Message) else b""
        else:
            payload = item.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        return MailAttachment(
            filename=item.get_filename() or "attachment",
            content=base64.b64encode(data),
            mimetype=item.get_content_type(),
            content_id=item["Content-ID"],
            inline=item.get_content_disposition() == "inline",
        )
    filename, content, mimetype = item
    if not mimetype:
        mimetype = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
    if isinstance(content, EmailMessage):  # a forwarded Django message
        content = content.message()
    if isinstance(content, Message):
        content = content.as_bytes()
    data = content.encode() if isinstance(content, str) else bytes(content)
    return MailAttachment(
        filename=filename or "attachment", content=base64.b64encode(data), mimetype=mimetype
    )


def mail_message(message: EmailMessage) -> MailMessage:
    """The :class:`~relationclient.messages.MailMessage` of a Django message, nothing dropped.

    Sets the Django message's ``Message-ID`` header (``extra_headers``) when it
    has none, so the caller and the outbox agree on it.

    Raises:
        pydantic.ValidationError: A field relationclient refuses (a header with
            CR or LF, no recipient at all…); the error names it.
    """
    headers = {str(k): str(v) for k, v in (message.extra_headers or {}).items()}
    message_id = next((v for k, v in headers.items() if k.lower() == "message-id"), None)
    if message_id is None:
        message_id = make_msgid(domain=DNS_NAME)
        message.extra_headers["Message-ID"] = message_id
    headers = {k: v for k, v in headers.items() if k.lower() != "message-id"}
    [sender] = _mailboxes(
        [message.from_email or django_conf.settings.DEFAULT_FROM_EMAIL], "from_email"
    )
    alternatives = [
        Alternative(
            content=content if isinstance(content, str) else bytes(content).decode(),
            mimetype=mimetype,
        )
        for content, mimetype in getattr(message, "alternatives", None) or ()
    ]
    current = get_settings()
    return MailMessage(
        message_id=message_id.strip(),
        sender=sender,
        to=_mailboxes(message.to, "to"),
        cc=_mailboxes(message.cc, "cc"),
        bcc=_mailboxes(message.bcc, "bcc"),
        reply_to=_mailboxes(message.reply_to, "reply_to"),
        subject=str(message.subject),
        body=str(message.body),
        body_subtype=message.content_subtype,
        alternatives=alternatives,
        attachments=[_attachment(item) for item in message.attachments],
        headers=headers,
        locale=translation.get_language() or django_conf.settings.LANGUAGE_CODE or "und",
        created_at=datetime.now(UTC),
        shop_id=current.shop_id,
    )


class EmailBackend(BaseEmailBackend):
    """Django's ``EMAIL_BACKEND`` that puts every message into the outbox.

    ``send_messages`` stores each message (one ``put`` each, in the Django
    transaction under way when ``RELATIONCLIENT["DATABASE"]`` is the outbox's
    database: see :func:`~relationclient.contrib.django.conf.put`) and returns how
    many were stored; nothing is sent here — the dispatch does that, through
    ``RELATIONCLIENT["TRANSPORT"]``. With ``fail_silently`` (Django's
    ``send_mail(..., fail_silently=True)``), a message that cannot be stored
    is skipped instead of raising, and not counted.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Store ``email_messages`` in the outbox; how many were stored."""
        if not email_messages:
            return 0
        try:
            get_outbox()
        except Exception:
            if self.fail_silently:
                return 0
            raise
        stored = 0
        for message in email_messages:
            try:
                put(mail_message(message))
            except Exception:
                if not self.fail_silently:
                    raise
                continue
            stored += 1
        return stored
