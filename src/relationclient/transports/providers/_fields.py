"""How relationclient's message fields map onto every provider's payload the same way.

Each provider names its fields differently, but what goes into them does not
change: the ``Message-ID`` that stays the same on every attempt, the email's own
headers (``List-Unsubscribe``…), base64 attachments, bare E.164 digits for the
APIs that want no ``+``.
"""

from __future__ import annotations

import base64

from ...errors import UnsupportedMessageError
from ...messages import Attachment, Email, Message, Sms

__all__ = ["base64_of", "digits_of", "email_only", "headers_of", "sms_only"]


def email_only(message: Message, transport: str) -> Email:
    """``message`` as an :class:`Email`, or the error ``check`` would have raised."""
    if not isinstance(message, Email):
        raise UnsupportedMessageError(f"{transport} sends email only", transport=transport)
    return message


def sms_only(message: Message, transport: str) -> Sms:
    """``message`` as an :class:`Sms`, or the error ``check`` would have raised."""
    if not isinstance(message, Sms):
        raise UnsupportedMessageError(f"{transport} sends SMS only", transport=transport)
    return message


def headers_of(email: Email) -> dict[str, str]:
    """``Message-ID`` first, so that receivers can drop a resent copy, then the email's headers."""
    return {"Message-ID": email.message_id, **email.headers}


def base64_of(attachment: Attachment) -> str:
    """The attachment's bytes as the base64 text JSON APIs expect."""
    return base64.b64encode(attachment.content).decode("ascii")


def digits_of(number: str) -> str:
    """An E.164 number without its ``+`` (``33612345678``), as Vonage and Brevo SMS show it."""
    return number.removeprefix("+")
