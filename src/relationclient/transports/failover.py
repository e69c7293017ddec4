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

It says no to ``accepted is None`` (nobody knows whether it went: a timeout
once the data left, an HTTP 502 or 504 from a gateway) and to every other
:class:`~relationclient.PermanentTransportError` — SMTP 5xx and HTTP 4xx,
validation and authentication alike. A 4xx validation error (bad number, empty
body) would fail at the next provider too; an authentication error is a setup
mistake that should be loud and fixed, not hidden behind a quiet failover that
leaves the primary broken for months. Subclass and override
:meth:`~FailoverTransport.should_try_next` for another policy.

A message that met "nobody knows" stays with the transport that may have it.
When the failover's own ``retry`` policy tries the chain again, that message
goes to that transport only, whatever it answers next: a later 503 from it
does not prove the earlier attempt failed. The outbox does the same across
its retries, through :meth:`FailoverTransport.child`: it remembers which
transport may hold the message (``error.transport``) and sends there only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Literal, overload

from ..errors import ConfigurationError, TransportError, UnsupportedMessageError
from ..messages import Message
from .base import BaseTransport, Receipt, Transport, each_result
from .concurrency import collect
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
    carries_mail = True

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

    def child(self, name: str) -> Transport | None:
        """The transport called ``name`` among the children (depth first), or None.

        ``error.transport`` names the child that failed; the outbox passes it
        here to retry a message whose fate is unknown through that child alone.
        """
        for transport in self.transports:
            if getattr(transport, "name", None) == name:
                return transport
            if isinstance(transport, FailoverTransport) and (found := transport.child(name)):
                return found
        return None

    def _attempt(self, message: Message) -> Receipt:
        # What may hold the message after an unknown outcome, for the retries of this send.
        pinned: list[Transport] = []
        return self.retry.call(lambda: self._send(message, pinned))

    def _send(self, message: Message, pinned: list[Transport] | None = None) -> Receipt:
        errors: list[TransportError] = []
        for transport in pinned or self.transports:
            try:
                return transport.send(message)
            except TransportError as exc:
                errors.append(exc)
                if exc.accepted is None and pinned is not None and not pinned:
                    pinned.append(transport)  # it may have the message: retries go there only
                if pinned or not self.should_try_next(exc):
                    self._note(exc, errors)
                    raise
        relevant = [e for e in errors if not isinstance(e, UnsupportedMessageError)]
        final = (relevant or errors)[-1]
        self._note(final, errors)
        raise final

    # -- batches ----------------------------------------------------------------------
    @overload
    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[False] = ...
    ) -> list[Receipt]: ...

    @overload
    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: Literal[True]
    ) -> list[Receipt | TransportError]: ...

    def send_many(
        self, messages: Iterable[Message], *, return_exceptions: bool = False
    ) -> list[Receipt] | list[Receipt | TransportError]:
        """Send a batch through the chain, batch by batch: each child gets one ``send_many``.

        The first transport gets every message it can carry in one
        ``send_many`` (so its batch endpoint or its concurrency serve the whole
        batch); the messages it certainly did not take, by the rules of
        :meth:`should_try_next`, go on together to the next one, and so on.
        The failover's own ``retry`` then tries the chain again for the
        messages whose failure allows it, each message that met "nobody
        knows" through the transport that may have it only. Every message is
        attempted; without ``return_exceptions`` the error of the first failed
        message is raised afterwards, its ``receipts`` holding every receipt.
        """
        batch = self._checked(messages)
        results: list[Receipt | TransportError | None] = [None] * len(batch)
        pinned: dict[int, Transport] = {}
        pending = list(range(len(batch)))
        attempt = 1
        while pending:
            failed = self._pass(batch, pending, results, pinned)
            again = [i for i, error in failed.items() if self.retry.should_retry(error, attempt)]
            for i, error in failed.items():
                if i not in again:
                    results[i] = error
            if again:
                time.sleep(max(self.retry.backoff(attempt, failed[i].retry_after) for i in again))
            pending, attempt = again, attempt + 1
        return collect(results, return_exceptions=return_exceptions)

    def _pass(
        self,
        batch: list[Message],
        pending: list[int],
        results: list[Receipt | TransportError | None],
        pinned: dict[int, Transport],
    ) -> dict[int, TransportError]:
        """One trip of ``pending`` down the chain; the final error of each message not sent."""
        errors: dict[int, list[TransportError]] = {i: [] for i in pending}
        looking = dict.fromkeys(pending)  # still looking for a transport, in order
        final: dict[int, TransportError] = {}
        for transport in self.transports:
            group = [i for i in looking if pinned.get(i, transport) is transport]
            if not group:
                continue
            outcomes = self._through(transport, [batch[i] for i in group])
            for i, outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, Receipt):
                    results[i] = outcome
                    del looking[i]
                    continue
                errors[i].append(outcome)
                if outcome.accepted is None and i not in pinned:
                    pinned[i] = transport  # it may have the message: retries go there only
                if i in pinned or not self.should_try_next(outcome):
                    self._note(outcome, errors[i])
                    final[i] = outcome
                    del looking[i]
        for i in looking:  # every transport failed it
            relevant = [e for e in errors[i] if not isinstance(e, UnsupportedMessageError)]
            final[i] = (relevant or errors[i])[-1]
            self._note(final[i], errors[i])
        return final

    @staticmethod
    def _through(transport: Transport, messages: list[Message]) -> list[Receipt | TransportError]:
        """One result per message from one child: one ``send_many`` of what it can carry."""
        if not isinstance(transport, BaseTransport):
            return each_result(transport, messages)
        outcomes: list[Receipt | TransportError | None] = [None] * len(messages)
        carried: list[int] = []
        for k, message in enumerate(messages):
            try:
                transport.check(message)
            except UnsupportedMessageError as exc:
                outcomes[k] = exc
            else:
                carried.append(k)
        sent = each_result(transport, [messages[k] for k in carried])
        for k, outcome in zip(carried, sent, strict=True):
            outcomes[k] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

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
