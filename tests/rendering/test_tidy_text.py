"""Tidy text and one-line subjects: the quick checks never let untidy text through."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from relationclient.composer import _one_line, _tidy_text


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


@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_one_line_matches_split_and_join(text: str) -> None:
    assert _one_line(text) == " ".join(text.split())


@given(st.text(max_size=60))
def test_one_line_matches_split_and_join_on_any_text(text: str) -> None:
    assert _one_line(text) == " ".join(text.split())


def test_one_line_cases() -> None:
    preheader = "Merci ! Total : 2\u202f717,98\xa0€, livraison prévue samedi 28 novembre 2026."
    expected = "Merci ! Total : 2 717,98 €, livraison prévue samedi 28 novembre 2026."
    assert _one_line(preheader) == expected
    assert _one_line(" Total\xa0 10\xa0€ ") == "Total 10 €"
    assert _one_line("Commande\nn° 12") == "Commande n° 12"
    assert _one_line("") == ""
