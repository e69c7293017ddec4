"""GSM 03.38 detection, segment counting at the boundaries, transliteration."""

import pytest

from relationclient import samples
from relationclient.composer import Composer
from relationclient.sms import analyse, is_gsm7, transliterate


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),
        ("a" * 307, "GSM-7", 3, 307),
        ("€" * 80, "GSM-7", 1, 160),  # extension characters count two
        ("€" * 81, "GSM-7", 2, 162),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 3, 306),  # an escape pair is never split
        ("{[~]}|^\\", "GSM-7", 1, 16),
        ("ç" * 70, "UCS-2", 1, 70),
        ("ç" * 71, "UCS-2", 2, 71),
        ("ç" * 134, "UCS-2", 2, 134),
        ("ç" * 135, "UCS-2", 3, 135),
        ("😀" * 35, "UCS-2", 1, 70),  # astral characters count two
        ("ç" * 66 + "😀" + "ç" * 10, "UCS-2", 2, 78),  # a surrogate pair is never split
        ("مرحبا", "UCS-2", 1, 5),
        ("Ça, c'est Noël à l'Hôtel", "UCS-2", 1, 24),
    ],
)
def test_analyse(text: str, encoding: str, segments: int, units: int) -> None:
    result = analyse(text)
    assert (result.encoding, result.segments, result.units) == (encoding, segments, units)
    assert result.characters == len(text)


def test_basic_table_letters_that_french_keeps() -> None:
    assert is_gsm7("éèùàÇÉ €")
    assert not is_gsm7("ê")
    assert not is_gsm7("1\u202f234,50 €")  # Babel's narrow no-break space


def test_transliteration_keeps_french_in_gsm7() -> None:
    text = "Votre reçu : 1\u202f234,50\xa0€ — « merci », à bientôt, l'équipe Maître Œuvre"
    assert analyse(text).encoding == "UCS-2"
    folded = transliterate(text)
    assert analyse(folded).encoding == "GSM-7"
    assert (
        folded
        == 'Votre recu : 1 234,50 € - " merci ", à bientôt, l\'équipe Maitre OEuvre'.replace(
            "bientôt", "bientot"
        )
    )
    assert transliterate("مرحبا") == "مرحبا"  # no look-alike: stays honest UCS-2


def test_composer_transliteration_is_opt_in() -> None:
    context = samples.context("order_delayed", "fr")
    plain = Composer(samples.shop()).sms("order_delayed", **context)
    folded = Composer(samples.shop(), transliterate_sms=True).sms("order_delayed", **context)
    assert folded.encoding == "GSM-7"
    assert folded.segments <= plain.segments
    assert folded.segments == analyse(folded.body).segments
    assert plain.segments == analyse(plain.body).segments


def test_sms_refuses_fixed_lines_and_missing_phones() -> None:
    import relationclient as rc

    composer = Composer(samples.shop())
    landline = samples.customer("fr", phone="04 78 12 34 56")
    with pytest.raises(rc.MessageError, match="mobile"):
        composer.sms("order_confirmation", order=samples.order("fr", customer=landline))
    nophone = samples.customer("fr", phone=None)
    with pytest.raises(rc.MessageError, match="phone"):
        composer.sms("order_confirmation", order=samples.order("fr", customer=nophone))
