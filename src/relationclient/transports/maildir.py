"""The embedded default: emails as ``.eml`` files in a Maildir, SMS as JSON lines beside them.

Any mail client opens the folder (``mutt -f``, Thunderbird, Evolution, the
standard library's :class:`mailbox.Maildir`); every file is written in ``tmp/``,
flushed to disk, then renamed into ``new/``, so a reader never sees half a
message and a crash never leaves one. SMS go to ``sms.jsonl`` in the same
folder, one JSON object a line, each appended by a single ``write`` on a file
opened with ``O_APPEND`` — several processes can share the file.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import socket
import time
import uuid
from pathlib import Path

from ..errors import TransientTransportError
from ..messages import Email, MailMessage, Message
from .base import BaseTransport, Receipt

__all__ = ["MaildirTransport"]

_deliveries = itertools.count(1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class MaildirTransport(BaseTransport):
    """Deliver emails into the Maildir at ``path`` and SMS into ``path/sms.jsonl``.

    The folder (with its ``tmp``, ``new`` and ``cur``) is created on first use.
    An email's receipt carries its ``Message-ID`` and, in ``raw``, the path of
    its file; an SMS's receipt carries a generated id, also written in its line.

    Each line of ``sms.jsonl`` is ``{"id": …, "accepted_at": …, "sms": {…}}``,
    where ``sms`` reads back with ``Sms.model_validate(record["sms"])``.
    """

    name = "maildir"
    carries_mail = True

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.sms_path = self.path / "sms.jsonl"
        self._ready = False

    def open(self) -> None:
        """Create the Maildir folders when they do not exist yet."""
        if not self._ready:
            try:
                for sub in ("tmp", "new", "cur"):  # private, as mailbox.Maildir makes them
                    (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise self._error(exc, accepted=False) from exc
            self._ready = True

    def _error(self, exc: OSError, *, accepted: bool | None) -> TransientTransportError:
        return TransientTransportError(
            f"{self.name}: cannot write in {self.path} ({exc})",
            transport=self.name,
            accepted=accepted,
        )

    def _send(self, message: Message) -> Receipt:
        self.open()
        if isinstance(message, Email | MailMessage):
            path = self._deliver_email(message)
            return self.receipt(message, message.message_id, raw=str(path))
        receipt = self.receipt(message, uuid.uuid4().hex)
        record = {
            "id": receipt.message_id,
            "accepted_at": receipt.accepted_at.isoformat(),
            "sms": message.model_dump(mode="json"),
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            fd = os.open(self.sms_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError as exc:
            raise self._error(exc, accepted=False) from exc
        try:
            _write_all(fd, line.encode())
            os.fsync(fd)
        except OSError as exc:
            raise self._error(exc, accepted=None) from exc
        finally:
            os.close(fd)
        return receipt

    def _deliver_email(self, email: Email | MailMessage) -> Path:
        mime = email.to_mime()
        # Files on disk use the local line ending; SMTP's CRLF is for the wire.
        data = mime.as_bytes(policy=mime.policy.clone(linesep="\n"))
        now = time.time()
        host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
        name = (
            f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(_deliveries)}"
            f"R{secrets.token_hex(8)}.{host}.eml"
        )
        tmp, new = self.path / "tmp" / name, self.path / "new" / name
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, new)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise self._error(exc, accepted=False) from exc
        try:
            _fsync_dir(new.parent)
        except OSError as exc:
            raise self._error(exc, accepted=None) from exc
        return new
