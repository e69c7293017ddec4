"""A transport that prints messages for a developer to read, and sends nothing.

Emails show their headers and plain-text part (the HTML part only on request:
thousands of inlined-CSS lines help nobody in a terminal); SMS show their
encoding and segment count, which is what they cost.
"""

from __future__ import annotations

import sys
import threading
import uuid
from typing import TextIO

from ..messages import Email, MailMessage, Message, Sms
from ..sms import analyse
from .base import BaseTransport, Receipt

__all__ = ["ConsoleTransport"]


def _size(text: str | bytes) -> str:
    size = len(text.encode() if isinstance(text, str) else text)
    return f"{size} B" if size < 1000 else f"{size / 1000:.1f} kB"


class ConsoleTransport(BaseTransport):
    """Write each message, readably, to ``stream``.

    Args:
        stream: Where to write; ``sys.stdout`` at the time of sending when not given.
        show_html: Also print the HTML part of emails.
    """

    name = "console"
    carries_mail = True

    def __init__(self, stream: TextIO | None = None, *, show_html: bool = False) -> None:
        super().__init__()
        self.stream = stream
        self.show_html = show_html
        self._lock = threading.Lock()

    def _send(self, message: Message) -> Receipt:
        if isinstance(message, Email):
            text, message_id = self.format_email(message), message.message_id
        elif isinstance(message, MailMessage):
            text, message_id = self.format_mail(message), message.message_id
        else:
            text, message_id = self.format_sms(message), uuid.uuid4().hex
        with self._lock:
            stream = self.stream or sys.stdout
            stream.write(text)
            stream.flush()
        return self.receipt(message, message_id)

    @staticmethod
    def _banner(message: Message) -> str:
        title = f"== {message.channel} · {message.kind} · {message.locale} · {message.purpose} "
        return title.ljust(72, "=")

    def format_email(self, email: Email) -> str:
        """The text printed for ``email``: banner, headers, parts, text body."""
        rows = [("Message-ID", email.message_id), ("From", str(email.sender))]
        rows.append(("To", str(email.to)))
        if email.reply_to:
            rows.append(("Reply-To", str(email.reply_to)))
        rows.append(("Subject", email.subject))
        if email.preheader:
            rows.append(("Preheader", email.preheader))
        rows += list(email.headers.items())
        html_note = "" if self.show_html else ", not shown"
        rows.append(
            (
                "Parts",
                f"text/plain ({_size(email.text)}), text/html ({_size(email.html)}{html_note})",
            )
        )
        rows += [
            ("Attachment", f"{a.filename} ({a.mimetype}, {_size(a.content)})")
            for a in email.attachments
        ]
        width = max(len(name) for name, _ in rows) + 2
        lines = [self._banner(email), *(f"{name + ':':<{width}}{value}" for name, value in rows)]
        lines += ["", email.text.rstrip("\n")]
        if self.show_html:
            lines += ["", "-- text/html --", email.html.rstrip("\n")]
        return "\n".join(lines) + "\n\n"

    def format_mail(self, mail: MailMessage) -> str:
        """The text printed for a framework's ``mail``: banner, headers, parts, body."""
        rows = [("Message-ID", mail.message_id), ("From", str(mail.sender))]
        for name, mailboxes in (
            ("To", mail.to),
            ("Cc", mail.cc),
            ("Bcc", mail.bcc),
            ("Reply-To", mail.reply_to),
        ):
            if mailboxes:
                rows.append((name, ", ".join(str(m) for m in mailboxes)))
        rows.append(("Subject", mail.subject))
        rows += list(mail.headers.items())
        parts = [f"text/{mail.body_subtype} ({_size(mail.body)})"]
        parts += [f"{a.mimetype} ({_size(a.content)})" for a in mail.alternatives]
        rows.append(("Parts", ", ".join(parts)))
        rows += [
            ("Attachment", f"{a.filename} ({a.mimetype}, {_size(a.content)})")
            for a in mail.attachments
        ]
        width = max(len(name) for name, _ in rows) + 2
        lines = [self._banner(mail), *(f"{name + ':':<{width}}{value}" for name, value in rows)]
        lines += ["", mail.body.rstrip("\n")]
        return "\n".join(lines) + "\n\n"

    def format_sms(self, sms: Sms) -> str:
        """The text printed for ``sms``: banner, sender, recipient, cost, body."""
        analysis = analyse(sms.body)
        plural = "" if analysis.segments == 1 else "s"
        cost = (
            f"{analysis.encoding}, {analysis.segments} segment{plural}, "
            f"{analysis.characters} characters ({analysis.units} units)"
        )
        lines = [
            self._banner(sms),
            f"From:      {sms.sender}",
            f"To:        {sms.to}",
            f"Encoding:  {cost}",
            "",
            sms.body,
        ]
        return "\n".join(lines) + "\n\n"
