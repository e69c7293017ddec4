"""The boundary: smtplib, socket, ssl and httpx errors become relationclient's, in one place.

Every transport runs its network calls inside :func:`map_smtp_errors` or
:func:`map_httpx_errors`, and turns an HTTP error answer into an exception with
:func:`http_status_error`. What counts as transient and what counts as
"definitely not accepted" (which lets :class:`FailoverTransport` move on) is
decided here and nowhere else.

Three answers to "did the provider take it?", carried by ``error.accepted``:

``False``, definitely not
    Nothing reached the provider (connection refused, connect or pool
    timeout), or the provider itself answered no: an SMTP reply before the
    data was acknowledged, an HTTP 4xx, 500 or 503 from the provider's own
    application.
``None``, nobody knows
    The request or the message data left and no verdict came back: a timeout
    or a dropped connection after that point, or an HTTP **502 or 504**, the
    answer of a gateway (load balancer, proxy) that may already have passed
    the request on to the provider. Retried on the same transport with the
    same ``Message-ID``; never failed over to another provider.
``True``
    Never on an error: an accepted message has a receipt.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from ..errors import (
    PermanentTransportError,
    TransientTransportError,
    TransportError,
    UnsupportedMessageError,
)

__all__ = [
    "GATEWAY_STATUSES",
    "http_status_error",
    "map_httpx_errors",
    "map_smtp_errors",
    "parse_retry_after",
]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _smtp_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def smtp_reply_error(transport: str, code: int, text: str, what: str) -> TransportError:
    """The error for an SMTP reply: 4xx transient, 5xx permanent; never accepted."""
    cls = TransientTransportError if 400 <= code < 500 else PermanentTransportError
    return cls(
        f"{transport}: {what} refused with {code} {text}",
        transport=transport,
        code=code,
        provider_message=text,
        accepted=False,
    )


@contextmanager
def map_smtp_errors(transport: str, *, stage: str = "send") -> Iterator[None]:
    """Translate what smtplib, socket and ssl raise inside the block.

    ``stage`` is ``"connect"`` while connecting (nothing can have been accepted
    yet), ``"envelope"`` during ``MAIL FROM``/``RCPT TO`` (a reply concerns the
    message, but nothing can have been accepted yet either) and ``"send"`` once
    the message data left, where a dropped connection leaves it unknown whether
    the server took the message.
    """
    before_acceptance: bool | None = None if stage == "send" else False
    try:
        yield
    except TransportError:
        raise
    except smtplib.SMTPNotSupportedError as exc:
        raise UnsupportedMessageError(
            f"{transport}: the server does not support what this message needs ({exc})",
            transport=transport,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, raw = next(iter(exc.recipients.values()))
        raise smtp_reply_error(transport, code, _smtp_text(raw), "recipient") from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise PermanentTransportError(
            f"{transport}: authentication failed ({exc.smtp_code} {_smtp_text(exc.smtp_error)})",
            transport=transport,
            code=exc.smtp_code,
            provider_message=_smtp_text(exc.smtp_error),
        ) from exc
    except smtplib.SMTPResponseException as exc:
        what = "connection" if stage == "connect" else "message"
        raise smtp_reply_error(transport, exc.smtp_code, _smtp_text(exc.smtp_error), what) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise TransientTransportError(
            f"{transport}: the server closed the connection ({exc})",
            transport=transport,
            accepted=before_acceptance,
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise PermanentTransportError(
            f"{transport}: the server's TLS certificate was refused ({exc.verify_message})",
            transport=transport,
        ) from exc
    except (ConnectionRefusedError, socket.gaierror) as exc:
        raise TransientTransportError(
            f"{transport}: cannot connect ({exc})", transport=transport, accepted=False
        ) from exc
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise TransientTransportError(
            f"{transport}: network failure ({exc!r})",
            transport=transport,
            accepted=before_acceptance,
        ) from exc


@contextmanager
def map_httpx_errors(transport: str) -> Iterator[None]:
    """Translate httpx's transport exceptions raised inside the block.

    A failure to connect, or to get a connection from the pool, means the
    provider never saw the request (safe to fail over). Anything that breaks
    once the request is on its way — a write or read timeout, a connection
    reset or closed before the answer — means nobody knows whether the
    provider took it, and is reported with ``accepted=None``. A write timeout
    counts there too: part of the request left, and a proxy in between may
    have forwarded what it got.
    """
    try:
        yield
    except TransportError:
        raise
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise TransientTransportError(
            f"{transport}: cannot connect ({exc!r})", transport=transport, accepted=False
        ) from exc
    except httpx.TimeoutException as exc:
        raise TransientTransportError(
            f"{transport}: timed out once the request was on its way; the provider may "
            f"have taken the message ({exc!r})",
            transport=transport,
            accepted=None,
        ) from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise TransientTransportError(
            f"{transport}: the connection broke before an answer; the provider may have "
            f"taken the message ({exc!r})",
            transport=transport,
            accepted=None,
        ) from exc
    except httpx.HTTPError as exc:
        raise TransientTransportError(
            f"{transport}: HTTP failure ({exc!r})", transport=transport, accepted=None
        ) from exc


_TRANSIENT_4XX = frozenset({408, 425, 429})

#: Bad Gateway and Gateway Timeout: said by a gateway in front of the provider, which
#: may have passed the request on before the provider's answer failed to come back.
GATEWAY_STATUSES = frozenset({502, 504})


def http_status_error(
    transport: str, response: httpx.Response, code: int | str | None, detail: str
) -> TransportError:
    """The error for an HTTP error answer: 408/425/429 and 5xx transient, other 4xx permanent.

    Every error answer says the message was not accepted (``accepted=False``),
    except 502 and 504 (:data:`GATEWAY_STATUSES`): a gateway gave them, and
    the provider behind it may have taken the message, so nobody knows
    (``accepted=None``). ``code`` and ``detail`` are the provider's own error
    code and text, read from its documented error body by the transport.
    """
    status = response.status_code
    transient = status in _TRANSIENT_4XX or status >= 500
    cls = TransientTransportError if transient else PermanentTransportError
    gateway = status in GATEWAY_STATUSES
    text = f"{transport}: HTTP {status}: {detail}"
    if gateway:
        text += " (a gateway's answer: the provider behind it may have taken the message)"
    return cls(
        text,
        transport=transport,
        code=code if code is not None else status,
        provider_message=detail,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        accepted=None if gateway else False,
    )
