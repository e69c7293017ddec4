"""A transport that keeps what it is given, for tests: ``outbox`` is the list of sent messages.

Pass it wherever a transport goes; nothing leaves the process. ``fail_with``
makes it refuse messages the way a provider would, to test error handling.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterable

from ..errors import TransportError
from ..messages import Email, MailMessage, Message
from .base import BaseTransport, Receipt
from .retry import RetryPolicy

__all__ = ["MemoryTransport"]

FailWith = TransportError | Callable[[Message], TransportError | None]


class MemoryTransport(BaseTransport):
    """Keep sent messages in :attr:`outbox` and their receipts in :attr:`receipts`.

    Args:
        fail_with: An error to raise for every message, or a function given each
            message that returns the error to raise (or None to accept it).
            A refused message is not added to the outbox.
        channels: The channels to accept (both by default); narrow it to stand
            in for an email-only or SMS-only provider.
        retry: Retry transient failures, as a real transport would.
        name: What receipts and errors call this transport (``"memory"``).

    Example:
        >>> from relationclient.transports.memory import MemoryTransport
        >>> transport = MemoryTransport()
        >>> transport.outbox
        []
    """

    name = "memory"
    carries_mail = True

    def __init__(
        self,
        *,
        fail_with: FailWith | None = None,
        channels: Iterable[str] = ("email", "sms"),
        retry: RetryPolicy | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(retry=retry)
        self.fail_with = fail_with
        self.channels = frozenset(channels)
        self.name = name or self.name
        #: Messages accepted, in the order they were sent.
        self.outbox: list[Message] = []
        #: The receipt of each message in :attr:`outbox`, in the same order.
        self.receipts: list[Receipt] = []
        #: True after :meth:`close`, until the next message.
        self.closed = False
        self._lock = threading.Lock()

    def _send(self, message: Message) -> Receipt:
        error = self.fail_with(message) if callable(self.fail_with) else self.fail_with
        if error is not None:
            raise copy.copy(error)  # a fresh instance: its traceback and receipts are its own
        if isinstance(message, Email | MailMessage):
            message_id = message.message_id
        else:
            message_id = uuid.uuid4().hex
        receipt = self.receipt(message, message_id)
        with self._lock:
            self.closed = False
            self.outbox.append(message)
            self.receipts.append(receipt)
        return receipt

    def clear(self) -> None:
        """Forget every message and receipt."""
        with self._lock:
            self.outbox.clear()
            self.receipts.clear()

    def close(self) -> None:
        """Mark the transport closed (it accepts messages again afterwards)."""
        self.closed = True
