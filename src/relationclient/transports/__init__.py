"""Sending: one :class:`Transport` protocol, built-in transports, providers and retry policy.

A transport is an object you pass in; swap providers without touching message code::

    from relationclient.transports import SMTPTransport
    with SMTPTransport("smtp.example.net", username="shop", password="…") as smtp:
        receipt = smtp.send(email)
"""

from ._errors import parse_retry_after as parse_retry_after
from .base import AsyncTransport as AsyncTransport
from .base import BaseTransport as BaseTransport
from .base import BatchLimits as BatchLimits
from .base import HTTPRequest as HTTPRequest
from .base import HTTPTransport as HTTPTransport
from .base import Receipt as Receipt
from .base import Transport as Transport
from .console import ConsoleTransport as ConsoleTransport
from .failover import FailoverTransport as FailoverTransport
from .maildir import MaildirTransport as MaildirTransport
from .memory import MemoryTransport as MemoryTransport
from .providers import BrevoEmailTransport as BrevoEmailTransport
from .providers import BrevoSmsTransport as BrevoSmsTransport
from .providers import MailgunTransport as MailgunTransport
from .providers import MailjetTransport as MailjetTransport
from .providers import PostmarkTransport as PostmarkTransport
from .providers import SendGridTransport as SendGridTransport
from .providers import TwilioSmsTransport as TwilioSmsTransport
from .providers import VonageSmsTransport as VonageSmsTransport
from .retry import RetryPolicy as RetryPolicy
from .smtp import SMTPTransport as SMTPTransport

__all__ = [
    "AsyncTransport",
    "BaseTransport",
    "BatchLimits",
    "BrevoEmailTransport",
    "BrevoSmsTransport",
    "ConsoleTransport",
    "FailoverTransport",
    "HTTPRequest",
    "HTTPTransport",
    "MaildirTransport",
    "MailgunTransport",
    "MailjetTransport",
    "MemoryTransport",
    "PostmarkTransport",
    "Receipt",
    "RetryPolicy",
    "SMTPTransport",
    "SendGridTransport",
    "Transport",
    "TwilioSmsTransport",
    "VonageSmsTransport",
    "parse_retry_after",
]
