"""The plain-text part's tidying: its quick check never lets untidy text through."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from relationclient.composer import _tidy_text


def reference(text: str) -> str:
    """The rule, written the obvious way."""
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


# Every kind of blank str.rstrip knows, newlines, and ordinary letters.
BLANKS = " \t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"
ALPHABET = st.sampled_from([*BLANKS, "\n", "\n", "\n", "a", "é", "€", "’", "\u200b"])


@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_tidy_text_matches_the_rule(text: str) -> None:
    assert _tidy_text(text) == reference(text)


@given(st.text(max_size=60))
def test_tidy_text_matches_the_rule_on_any_text(text: str) -> None:
    assert _tidy_text(text) == reference(text)


def test_tidy_text_cases() -> None:
    assert _tidy_text("\n\nHello \nWorld\xa0\n\n\n\nBye\u3000\n\n") == "Hello\nWorld\n\nBye\n"
    assert _tidy_text("a\n \n\nb") == "a\n\nb\n"
    assert _tidy_text("a\n\nb\n") == "a\n\nb\n"
    assert _tidy_text("") == "\n"
    assert _tidy_text("total\u2003") == "total\n"
