"""Try providers in order, moving on only when the one before certainly did not take the message.

Moving on after an ambiguous failure (a timeout once the message had left)
could deliver the message twice, and moving on after a verdict on the message
itself (an invalid recipient) would only repeat the verdict elsewhere — or,
worse, get past a check the shop would want to hear about. So
:meth:`FailoverTransport.should_try_next` says yes only to:

* a transient failure with ``accepted is False``: connection refused, SMTP 4xx,
  HTTP 429 and 5xx answers — the provider is unwell, the message is fine;
* :class:`~relationclient.UnsupportedMessageError`: this provider cannot carry
  this message (an SMS to an email-only transport), another may.

It says no to ``accepted is None`` (nobody knows whether it went) and to every
other :class:`~relationclient.PermanentTransportError` — SMTP 5xx and HTTP 4xx,
validation and authentication alike. A 4xx validation error (bad number, empty
body) would fail at the next provider too; an authentication error is a setup
mistake that should be loud and fixed, not hidden behind a quiet failover that
leaves the primary broken for months. Subclass and override
:meth:`~FailoverTransport.should_try_next` for another policy.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigurationError, TransportError, UnsupportedMessageError
from ..messages import Message
from .base import BaseTransport, Receipt, Transport
from .retry import RetryPolicy

__all__ = ["FailoverTransport"]

_ALL_CHANNELS = frozenset({"email", "sms"})


class FailoverTransport(BaseTransport):
    """Send through the first of ``transports`` that accepts, in order.

    The receipt is the accepting transport's own, so ``receipt.transport`` names
    it (give children distinct names when they share a class). When every
    transport failed, the last error that is not an
    :class:`~relationclient.UnsupportedMessageError` is raised (a provider that
    merely cannot carry the message must not turn a retryable failure into a
    permanent one), with each other failure added to it as a note.

    Args:
        transports: The transports to try, first choice first.
        retry: Retry the whole chain on a transient failure (each child also
            applies its own retry policy first).
        name: What errors call this transport (``"failover"``).
    """

    name = "failover"

    def __init__(
        self,
        transports: Sequence[Transport],
        *,
        retry: RetryPolicy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(retry=retry)
        if not transports:
            raise ConfigurationError("FailoverTransport needs at least one transport")
        self.transports = tuple(transports)
        self.name = name or self.name
        self.channels = frozenset[str]().union(
            *(getattr(t, "channels", _ALL_CHANNELS) for t in self.transports)
        )

    def should_try_next(self, error: TransportError) -> bool:
        """Whether, after ``error``, the next transport may be tried (see the module docs)."""
        if isinstance(error, UnsupportedMessageError):
            return True
        return error.transient and error.accepted is False

    def _send(self, message: Message) -> Receipt:
        errors: list[TransportError] = []
        for transport in self.transports:
            try:
                return transport.send(message)
            except TransportError as exc:
                errors.append(exc)
                if not self.should_try_next(exc):
                    self._note(exc, errors)
                    raise
        relevant = [e for e in errors if not isinstance(e, UnsupportedMessageError)]
        final = (relevant or errors)[-1]
        self._note(final, errors)
        raise final

    def _note(self, final: TransportError, errors: list[TransportError]) -> None:
        for error in errors:
            if error is not final:
                final.add_note(f"{self.name}: {error.transport or 'a transport'} failed: {error}")
        if final is errors[-1] and len(errors) < len(self.transports):
            final.add_note(f"{self.name}: not trying the next transport after this error")

    def close(self) -> None:
        """Close every transport, even when one of them fails to close."""
        failure: BaseException | None = None
        for transport in self.transports:
            try:
                transport.close()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
