"""A pytest plugin for shops testing their own code: fixtures that stand in for real transports.

It is registered under the ``pytest11`` entry point ``relationclient``, so
installing relationclient makes the fixtures available to every test suite::

    def test_welcome_mail_is_sent(memory_transport):
        signup(email="camille@example.fr", transport=memory_transport)
        [email] = memory_transport.outbox
        assert email.kind == "account_created"

Disable it with ``-p no:relationclient``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .transports.memory import MemoryTransport

__all__ = ["memory_transport"]


@pytest.fixture
def memory_transport() -> Iterator[MemoryTransport]:
    """A fresh :class:`~relationclient.transports.memory.MemoryTransport` for each test."""
    # Imported here so that loading the plugin costs nothing until the fixture is used.
    from .transports.memory import MemoryTransport

    with MemoryTransport() as transport:
        yield transport
