"""Loopback SMTP servers that misbehave on purpose, reproducibly: 451s, dropped connections, stalls.

They build on the transport tests' recording server. :class:`FaultyRecorder`:
each ``MAIL``, ``RCPT`` and ``DATA`` rolls a seeded die: a small share is
answered ``451`` (try again later), another small share has its connection
closed without an answer. A ``DATA`` dropped that way is not recorded — the
server "crashed" before queueing the message — so a retry is the only copy.
Recipients in ``refused_domain`` are refused for good with ``550``.
:class:`StallingRecorder` takes every message but keeps the client waiting
for its ``250`` on chosen ones — longer than the outbox's lease.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter

from aiosmtpd.smtp import SMTP, Envelope, Session

from ..transports.smtp_server import Recorder, RecordingSMTP, SMTPServer

REFUSED_DOMAIN = "refused.example.fr"


class FaultyRecorder(Recorder):
    """Records what it accepts; answers 451 or hangs up at random, refuses one domain."""

    def __init__(
        self, *, seed: int, temporary: float = 0.03, drop: float = 0.02, refused_domain: str
    ) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.temporary, self.drop = temporary, drop
        self.refused_domain = refused_domain
        #: How many faults of each kind were injected ("451", "drop", "550").
        self.faults: Counter[str] = Counter()

    def _fault(self, server: SMTP) -> str | None:
        roll = self.random.random()
        if roll < self.temporary:
            self.faults["451"] += 1
            return "451 4.3.0 Temporary failure, please try again"
        if roll < self.temporary + self.drop and server.transport is not None:
            self.faults["drop"] += 1
            server.transport.close()  # the answer below is never heard
            return "421 4.3.2 Connection dropped"
        return None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        fault = self._fault(server)
        if fault:
            return fault
        return await super().handle_MAIL(server, session, envelope, address, options)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@" + self.refused_domain):
            self.faults["550"] += 1
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        fault = self._fault(server)
        if fault:
            return fault
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: RecordingSMTP, session: Session, envelope: Envelope) -> str:
        fault = self._fault(server)
        if fault:
            return fault
        return await super().handle_DATA(server, session, envelope)


class StallingRecorder(Recorder):
    """Records every message; for the Message-IDs in ``stall``, holds the 250 back ``seconds``."""

    def __init__(self, stall: set[str], seconds: float) -> None:
        super().__init__()
        self.stall_ids, self.seconds = stall, seconds
        #: How many answers were held back.
        self.stalls = 0

    async def handle_DATA(self, server: RecordingSMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        found = re.search(rb"^Message-ID: *(\S+)\r$", envelope.original_content or b"", re.I | re.M)
        if found and found.group(1).decode() in self.stall_ids:
            self.stalls += 1
            await asyncio.sleep(self.seconds)  # accepted; the client waits for the 250
        return answer


class FaultySMTPServer(SMTPServer):
    """An :class:`SMTPServer` whose handler is a :class:`FaultyRecorder`."""

    def __init__(self, recorder: FaultyRecorder) -> None:
        super().__init__()
        self.handler = recorder
        self.controller.handler = recorder

    @property
    def faults(self) -> Counter[str]:
        assert isinstance(self.handler, FaultyRecorder)
        return self.handler.faults


class StallingSMTPServer(SMTPServer):
    """An :class:`SMTPServer` whose handler is a :class:`StallingRecorder`."""

    def __init__(self, recorder: StallingRecorder) -> None:
        super().__init__()
        self.handler = recorder
        self.controller.handler = recorder

    @property
    def stalls(self) -> int:
        assert isinstance(self.handler, StallingRecorder)
        return self.handler.stalls
