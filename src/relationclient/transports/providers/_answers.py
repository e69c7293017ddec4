"""Reading provider answers, so that an answer in an unexpected form never escapes as a KeyError.

A success answer the transport cannot read still means the provider probably
took the message: trying again could send it twice. So it becomes a
:class:`~relationclient.TransportError` that is not transient and says nobody
knows whether the message was accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from ...errors import TransportError

__all__ = ["json_object", "reading_answer"]


@contextmanager
def reading_answer(transport: str) -> Iterator[None]:
    """Turn a success answer that is not in the documented form into a :class:`TransportError`."""
    try:
        yield
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise TransportError(
            f"{transport}: the provider answered success, but not in its documented form ({exc!r})",
            transport=transport,
            accepted=None,
        ) from exc


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The answer's JSON object, or None when the body is not one (a proxy's HTML page…)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
