"""SMS text: which encoding a body needs, how many segments it costs, and how to keep it cheap.

An SMS is sent in GSM-7 when every character is in the GSM 03.38 basic table
or its extension table (extension characters such as ``€`` take two septets),
and in UCS-2 otherwise (characters beyond the Basic Multilingual Plane, such as
emoji, take two UTF-16 units). One message holds 160 septets or 70 UCS-2 units;
a longer one is split into segments of 153 or 67, and a two-unit character is
never split across two segments.

French often leaves GSM-7 for a single ``ç``, ``ê`` or the narrow no-break space
that number formatting puts in ``1 234,50 €``; :func:`transliterate` maps such
characters to their GSM-7 look-alikes so the message costs half. It is opt-in:
:func:`analyse` always reports the truth about the text it is given.

Example:
    >>> analyse("Votre colis est parti !")
    SmsAnalysis(encoding='GSM-7', segments=1, units=23, characters=23)
    >>> analyse("Votre reçu").encoding
    'UCS-2'
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Literal, NamedTuple

__all__ = ["GSM7_BASIC", "GSM7_EXTENSION", "SmsAnalysis", "analyse", "is_gsm7", "transliterate"]

Encoding = Literal["GSM-7", "UCS-2"]

#: The GSM 03.38 default alphabet (the escape character itself left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The GSM 03.38 extension table: each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_MULTI = {"GSM-7": 153, "UCS-2": 67}


class SmsAnalysis(NamedTuple):
    """What an SMS body costs.

    Attributes:
        encoding: ``"GSM-7"`` or ``"UCS-2"``.
        segments: Number of SMS the body is split into (0 for an empty body).
        units: Length in septets (GSM-7) or UTF-16 code units (UCS-2).
        characters: Length in Unicode characters.
    """

    encoding: Encoding
    segments: int
    units: int
    characters: int


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` has a GSM-7 encoding."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _widths(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


@lru_cache(maxsize=4096)
def analyse(text: str) -> SmsAnalysis:
    """Return the encoding, segment count and length in units of an SMS body."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    widths = _widths(text, encoding)
    units = sum(widths)
    if units == 0:
        segments = 0
    elif units <= _SINGLE[encoding]:
        segments = 1
    else:
        capacity, segments, used = _MULTI[encoding], 1, 0
        for width in widths:
            if used + width > capacity:
                segments, used = segments + 1, 0
            used += width
    return SmsAnalysis(encoding, segments, units, len(text))


_LOOKALIKES = {
    "ç": "c",
    "œ": "oe",
    "Œ": "OE",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "„": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "…": "...",
    "–": "-",
    "—": "-",
    "‑": "-",
    "•": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2007": " ",
    "\t": " ",
}


@lru_cache(maxsize=4096)
def transliterate(text: str) -> str:
    """Replace characters outside GSM-7 by their closest GSM-7 look-alikes.

    ``ç`` becomes ``c``, ``ê`` becomes ``e``, French quotes and no-break spaces
    become plain ones; accented letters that GSM-7 has (``é``, ``è``, ``à``…)
    are kept. Characters with no look-alike (Arabic, emoji) are left as they
    are, so such text stays UCS-2 — honest rather than garbled.
    """
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in _LOOKALIKES:
            out.append(_LOOKALIKES[char])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(base if base and is_gsm7(base) else char)
    return "".join(out)
