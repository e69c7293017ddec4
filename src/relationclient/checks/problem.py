"""What a check reports: a :class:`Problem`, with the text it quotes made readable."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .reading import squash


@dataclass(frozen=True)
class Problem:
    """Something ``relationclient check`` (or a test) found wrong.

    Attributes:
        where: What was checked: ``"order_confirmation · email · fr"``, a
            template name, a catalog file.
        part: Which part: ``"HTML"``, ``"text"``, ``"subject"``, ``"SMS"``,
            ``"template"``, ``"catalog"``, ``"size"``, ``"render"``.
        detail: What is wrong, in words.
    """

    where: str
    part: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where} [{self.part}]: {self.detail}"


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` quoted for a report: bidi controls dropped, every space a plain one."""
    return f"\u201c{squash(_BIDI_CONTROLS.sub('', text))}\u201d"
