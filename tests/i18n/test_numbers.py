"""The compiled currency formats print exactly what Babel prints."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency
from hypothesis import given, settings
from hypothesis import strategies as st

from relationclient.i18n.catalogs import SHIPPED_LOCALES
from relationclient.i18n.numbers import currency_formatter

LOCALES = (*SHIPPED_LOCALES, "fr_CA", "en_GB", "de_CH", "es_MX", "ar_AE", "ja", "hi", "pt_BR")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "KWD", "BHD", "CHF", "MAD", "AED", "INR", "CLP", "XOF")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_boundaries_match_babel(locale: str, currency: str) -> None:
    fmt = currency_formatter(locale, currency)
    for raw in (
        "0",
        "-0",
        "0.005",
        "0.015",
        "1",
        "-1234.56",
        "1234.5",
        "999.995",
        "1000000",
        "123456789012.345",
        "1E+3",
        "12",
    ):
        value = Decimal(raw)
        assert fmt(value) == format_currency(value, currency, locale=locale), (locale, raw)
    assert fmt(1234) == format_currency(1234, currency, locale=locale)


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False),
)
def test_random_amounts_match_babel(locale: str, currency: str, value: Decimal) -> None:
    assert currency_formatter(locale, currency)(value) == format_currency(
        value, currency, locale=locale
    )
