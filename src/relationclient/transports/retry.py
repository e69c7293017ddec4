"""When to try again: capped exponential backoff with full jitter, honouring Retry-After.

One policy object serves the transports (``SMTPTransport(retry=...)``) and the
outbox, so a shop tunes retries in one place.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..errors import TransportError

__all__ = ["RetryPolicy"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before retrying a transient failure.

    The wait before retry ``n`` (counting from 1) is drawn uniformly from
    ``[0, min(cap, base * 2 ** (n - 1))]`` ("full jitter", which spreads a crowd
    of retries out instead of synchronising them); when the provider said
    ``Retry-After``, the wait is at least that, still capped by ``cap``.

    Attributes:
        attempts: Total tries, the first included (1 means never retry).
        base: Seconds of the first backoff step.
        cap: No single wait is longer than this, in seconds.
        jitter: Full jitter when true; plain exponential waits when false.
    """

    attempts: int = 5
    base: float = 1.0
    cap: float = 300.0
    jitter: bool = True
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base < 0 or self.cap < 0:
            raise ValueError("base and cap must not be negative")

    def backoff(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.cap, self.base * 2 ** max(retry - 1, 0))
        wait = self._random.uniform(0, ceiling) if self.jitter else ceiling
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether ``error``, raised by try number ``attempt`` (from 1), deserves another try."""
        return isinstance(error, TransportError) and error.transient and attempt < self.attempts

    def call(self, fn: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
        """Run ``fn``, retrying transient :class:`TransportError` as the policy says."""
        attempt = 1
        while True:
            try:
                return fn()
            except TransportError as exc:
                if not self.should_retry(exc, attempt):
                    raise
                sleep(self.backoff(attempt, exc.retry_after))
                attempt += 1


NO_RETRY = RetryPolicy(attempts=1)
