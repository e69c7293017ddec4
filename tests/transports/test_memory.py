"""MemoryTransport and the ``memory_transport`` fixture of the relationclient pytest plugin."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from relationclient import PermanentTransportError, TransientTransportError, UnsupportedMessageError
from relationclient.messages import Message
from relationclient.transports import RetryPolicy
from relationclient.transports.memory import MemoryTransport

from .sample_messages import email, sms


def test_the_plugin_is_registered_for_pytest() -> None:
    [plugin] = [ep for ep in entry_points(group="pytest11") if ep.name == "relationclient"]
    assert plugin.value == "relationclient.testing"
    assert hasattr(plugin.load(), "memory_transport")


@pytest.mark.parametrize("run", [1, 2])
def test_fixture_gives_a_fresh_transport_each_test(
    memory_transport: MemoryTransport, run: int
) -> None:
    assert memory_transport.outbox == []
    memory_transport.send(email(seed=run))
    assert len(memory_transport.outbox) == 1


def test_outbox_and_receipts(memory_transport: MemoryTransport) -> None:
    messages: list[Message] = [email(), sms(), email("de")]
    receipts = memory_transport.send_many(messages)

    assert memory_transport.outbox == messages
    assert memory_transport.receipts == receipts
    assert receipts[0].message_id == email().message_id
    assert [r.recipient for r in receipts] == [m.recipient for m in messages]
    memory_transport.clear()
    assert (memory_transport.outbox, memory_transport.receipts) == ([], [])


def test_fail_with_an_error() -> None:
    error = PermanentTransportError("invalid recipient", code=550, transport="memory")
    transport = MemoryTransport(fail_with=error)
    for _ in range(2):
        with pytest.raises(PermanentTransportError) as info:
            transport.send(email())
        assert info.value.code == 550
    assert transport.outbox == []


def test_fail_with_a_function_and_retry() -> None:
    failures = [TransientTransportError("busy", code=451)]

    def flaky(message: Message) -> TransientTransportError | None:
        return failures.pop() if failures else None

    transport = MemoryTransport(fail_with=flaky, retry=RetryPolicy(attempts=2, base=0))
    transport.send(email())
    assert len(transport.outbox) == 1


def test_channels_can_be_narrowed() -> None:
    transport = MemoryTransport(channels=["sms"])
    with pytest.raises(UnsupportedMessageError):
        transport.send(email())
    transport.send(sms())
    assert transport.outbox == [sms()]
