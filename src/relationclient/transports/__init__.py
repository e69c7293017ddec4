"""Sending: one :class:`Transport` protocol, built-in transports, and retry policy.

A transport is an object you pass in; swap providers without touching message code.
"""

from ._errors import parse_retry_after as parse_retry_after
from .base import AsyncTransport as AsyncTransport
from .base import BaseTransport as BaseTransport
from .base import HTTPRequest as HTTPRequest
from .base import HTTPTransport as HTTPTransport
from .base import Receipt as Receipt
from .base import Transport as Transport
from .retry import RetryPolicy as RetryPolicy

__all__ = [
    "AsyncTransport",
    "BaseTransport",
    "HTTPRequest",
    "HTTPTransport",
    "Receipt",
    "RetryPolicy",
    "Transport",
    "parse_retry_after",
]
