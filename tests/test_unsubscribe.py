"""Signed unsubscribe tokens: only the shop's own, untouched, recent tokens opt anybody out."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from relationclient import ConfigurationError, RelationClientError, UnsubscribeTokenError
from relationclient.unsubscribe import DEFAULT_MAX_AGE, Unsubscription, sign, verify

SECRET = "a-long-random-secret-of-maison-lumiere"
OTHER_SECRET = "the-secret-of-another-shop-entirely"
SENT = datetime(2026, 11, 20, 10, 42, 7, tzinfo=UTC)
READER = "camille.dupont@example.fr"


def token(**options: object) -> str:
    settings: dict[str, object] = {"secret": SECRET, "shop_id": "maison-lumiere.fr"}
    settings.update(options)
    return sign(READER, issued_at=SENT, **settings)  # type: ignore[arg-type]


def test_a_token_says_who_opts_out_of_which_shop_since_when() -> None:
    opt_out = verify(token(), secret=SECRET, now=SENT + timedelta(days=3))
    assert opt_out == Unsubscription(READER, "maison-lumiere.fr", SENT, "marketing")
    with pytest.raises(AttributeError):
        opt_out.recipient = "mallory@example.com"  # type: ignore[misc]


def test_a_token_is_url_safe() -> None:
    made = token()
    assert set(made) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert made.count(".") == 1


def test_non_ascii_recipients_round_trip() -> None:
    made = sign("zoé@exemple.fr", secret=SECRET, issued_at=SENT)
    assert verify(made, secret=SECRET, now=SENT).recipient == "zoé@exemple.fr"


def test_valid_60_days_by_default_and_no_longer() -> None:
    assert timedelta(days=60) <= DEFAULT_MAX_AGE
    made = token()
    assert verify(made, secret=SECRET, now=SENT + timedelta(days=60)).recipient == READER
    with pytest.raises(UnsubscribeTokenError, match="expired") as caught:
        verify(made, secret=SECRET, now=SENT + timedelta(days=60, seconds=1))
    assert caught.value.reason == "expired"


def test_max_age_is_the_endpoints_choice() -> None:
    made = token()
    later = SENT + timedelta(days=200)
    assert verify(made, secret=SECRET, now=later, max_age=timedelta(days=365)).recipient == READER
    with pytest.raises(UnsubscribeTokenError, match="expired"):
        verify(made, secret=SECRET, now=SENT + timedelta(days=2), max_age=timedelta(days=1))


def test_a_token_from_the_future_is_refused() -> None:
    with pytest.raises(UnsubscribeTokenError, match="future"):
        verify(token(), secret=SECRET, now=SENT - timedelta(hours=1))
    # A few minutes of clock drift between two servers are tolerated.
    assert verify(token(), secret=SECRET, now=SENT - timedelta(minutes=2))


def _swap_recipient(made: str, recipient: str) -> str:
    payload, signature = made.split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[1] = recipient
    forged = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode())
    return f"{forged.rstrip(b'=').decode()}.{signature}"


def test_a_tampered_token_is_refused() -> None:
    forged = _swap_recipient(token(), "somebody.else@example.fr")
    with pytest.raises(UnsubscribeTokenError, match="signature") as caught:
        verify(forged, secret=SECRET, now=SENT)
    assert caught.value.reason == "signature"


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_any_changed_character_is_refused(where: str) -> None:
    made = token()
    at = {"first": 0, "middle": len(made) // 2, "last": len(made) - 1}[where]
    altered = made[:at] + ("A" if made[at] != "A" else "B") + made[at + 1 :]
    with pytest.raises(UnsubscribeTokenError):
        verify(altered, secret=SECRET, now=SENT)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(UnsubscribeTokenError, match="signature"):
        verify(token(secret=OTHER_SECRET), secret=SECRET, now=SENT)


def test_another_shops_token_is_refused() -> None:
    # Shops with their own secrets: the signature does not match.
    theirs = token(secret=OTHER_SECRET, shop_id="atelier-bleu.fr")
    with pytest.raises(UnsubscribeTokenError, match="signature"):
        verify(theirs, secret=SECRET, now=SENT)
    # One endpoint, one secret, several shops: the shop named in the token is checked.
    shared = token(shop_id="atelier-bleu.fr")
    with pytest.raises(UnsubscribeTokenError, match=r"atelier-bleu\.fr") as caught:
        verify(shared, secret=SECRET, now=SENT, shop_id="maison-lumiere.fr")
    assert caught.value.reason == "shop"
    assert verify(shared, secret=SECRET, now=SENT, shop_id="atelier-bleu.fr")


def test_a_token_for_another_purpose_is_refused() -> None:
    with pytest.raises(UnsubscribeTokenError, match="opts out of 'reviews'") as caught:
        verify(token(purpose="reviews"), secret=SECRET, now=SENT)
    assert caught.value.reason == "purpose"


@pytest.mark.parametrize(
    "garbage", ["", "abc", "abc.", ".abc", "a.b.c", "é.é", "!!!.###", "WzFd.AAAA", " . "]
)
def test_garbage_is_a_malformed_token(garbage: str) -> None:
    with pytest.raises(UnsubscribeTokenError) as caught:
        verify(garbage, secret=SECRET, now=SENT)
    assert caught.value.reason in ("malformed", "signature")


def test_secrets_can_be_rotated() -> None:
    old = token(secret=OTHER_SECRET)
    assert verify(old, secret=[SECRET, OTHER_SECRET], now=SENT).recipient == READER
    with pytest.raises(ConfigurationError):
        verify(old, secret=[], now=SENT)


def test_short_secrets_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unsubscribe_secret is 6 bytes"):
        sign(READER, secret="123456")
    with pytest.raises(ConfigurationError):
        verify(token(), secret=b"short")


def test_the_error_is_a_value_error_under_the_root() -> None:
    assert issubclass(UnsubscribeTokenError, RelationClientError)
    assert issubclass(UnsubscribeTokenError, ValueError)


def test_issued_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        sign(READER, secret=SECRET, issued_at=datetime(2026, 11, 20))
