"""Tidying rendered text: one-line subjects and SMS, plain-text parts without stray blanks.

Templates are easier to read with their own line breaks and indentation; the
rendered text is tidied here, the same way for every kind.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

__all__ = ["Piece", "blocks", "columns", "one_line", "sms_line", "tidy_text"]

_BLANKS = re.compile(r"\n{3,}")


_BREAKABLE = re.compile(r"[^\S\u00a0\u202f\u2007]+")


def one_line(text: str) -> str:
    """Every run of breakable blanks (newlines included) one space, none at the ends.

    For subjects and preheaders: the no-break spaces of French typography and
    of Babel's amounts (``1 365,20 €``, ``Total : …``) stay as they are.
    """
    return _BREAKABLE.sub(" ", text).strip()


def sms_line(text: str) -> str:
    """Every run of blanks one plain space, no-break ones included, none at the ends.

    For SMS bodies: an SMS has no line to keep whole, and a plain space keeps
    French amounts and punctuation in GSM-7.
    """
    return " ".join(text.split())


#: How far the lines of a wrapped left column are indented, as the lines under it are.
COLUMN_INDENT = 4


def columns(left: Any, right: Any, width: int = 64) -> str:
    """Jinja filter ``left|columns(right)``: ``right`` flush with column ``width``.

    For plain-text emails. A ``left`` too long for the room beside ``right``
    wraps at its blanks (never at a no-break space) onto lines indented by
    :data:`COLUMN_INDENT`, so a long product name never pushes the amounts'
    column out of line; a single word longer than the room is kept whole, and
    ``right`` then follows after two spaces.
    """
    left, right = str(left), str(right)
    room = width - len(right) - 2
    if len(left) <= room or room <= COLUMN_INDENT:
        return f"{left}{' ' * max(width - len(left) - len(right), 2)}{right}"
    first, *rest = textwrap.wrap(
        left,
        room,
        subsequent_indent=" " * COLUMN_INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )
    lines = [f"{first}{' ' * max(width - len(first) - len(right), 2)}{right}", *rest]
    return "\n".join(lines)


def tidy_text(text: str) -> str:
    """Lines without trailing blanks, at most one empty line in a row, one final newline."""
    body = "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
    return _BLANKS.sub("\n\n", body) + "\n"


_LINK = re.compile(r"https://[^\s<>\"']+")
_TRAILING = ".,;:!?)]»"
Piece = tuple[str, str]
"""One piece of a person's text: ``("text", words)``, ``("link", url)`` or ``("br", "")``."""


def blocks(text: str) -> list[list[Piece]]:
    """A person's plain text as paragraphs of pieces, for templates to lay out; nothing interpreted.

    Blank lines part paragraphs, line breaks stay (``br``), bare ``https://``
    links become ``link`` pieces (without trailing punctuation); all the rest
    is ``text``, which the HTML template escapes like any value, so ``<b>`` or
    ``{{ }}`` in an agent's answer print as written.
    """
    paragraphs = []
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        pieces: list[Piece] = []
        for number, line in enumerate(block.split("\n")):
            if number:
                pieces.append(("br", ""))
            position = 0
            for found in _LINK.finditer(line):
                url = found.group(0).rstrip(_TRAILING)
                if found.start() > position:
                    pieces.append(("text", line[position : found.start()]))
                pieces.append(("link", url))
                position = found.start() + len(url)
            if position < len(line):
                pieces.append(("text", line[position:]))
        paragraphs.append(pieces)
    return paragraphs
