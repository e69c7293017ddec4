"""Tidy text and one-line subjects."""

from __future__ import annotations

from relationclient.rendering.text import one_line, sms_line, tidy_text


def test_tidy_text_cases() -> None:
    assert tidy_text("\n\nHello \nWorld\xa0\n\n\n\nBye\u3000\n\n") == "Hello\nWorld\n\nBye\n"
    assert tidy_text("a\n \n\nb") == "a\n\nb\n"
    assert tidy_text("a\n\nb\n") == "a\n\nb\n"
    assert tidy_text("") == "\n"
    assert tidy_text("total\u2003") == "total\n"


def test_one_line_keeps_no_break_spaces() -> None:
    preheader = "Merci\u202f! Total\xa0: 2\u202f717,98\xa0€,\nlivraison  prévue\u2028le 28."
    assert (
        one_line(preheader) == "Merci\u202f! Total\xa0: 2\u202f717,98\xa0€, livraison prévue le 28."
    )
    assert one_line("Commande\nn° 12") == "Commande n° 12"
    assert one_line(" \t ") == ""


def test_sms_line_makes_every_blank_a_plain_space() -> None:
    assert sms_line(" Total\xa0 10\xa0€ ") == "Total 10 €"
    assert sms_line("Merci\u202f! Total\xa0: 2\u202f717,98\xa0€") == "Merci ! Total : 2 717,98 €"
    assert sms_line("") == ""
