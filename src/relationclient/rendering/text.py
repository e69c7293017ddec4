"""Tidying rendered text: one-line subjects and SMS, plain-text parts without stray blanks.

Templates are easier to read with their own line breaks and indentation; the
rendered text is tidied here, the same way for every kind.
"""

from __future__ import annotations

import re

__all__ = ["one_line", "tidy_text"]

_BLANKS = re.compile(r"\n{3,}")


def one_line(text: str) -> str:
    """Every run of blanks (no-break spaces and newlines included) one space, none at the ends.

    For subjects, preheaders and SMS bodies: an SMS has no line to keep whole,
    and a plain space keeps Babel's French amounts (``1 365,20 €``) in GSM-7.
    """
    return " ".join(text.split())


def tidy_text(text: str) -> str:
    """Lines without trailing blanks, at most one empty line in a row, one final newline."""
    body = "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
    return _BLANKS.sub("\n\n", body) + "\n"
