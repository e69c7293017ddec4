"""The optimised Formatter prints exactly what the reference (Babel every call) prints."""

import datetime as dt
import pickle
from collections.abc import Callable
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relationclient.i18n import formatting
from relationclient.i18n.catalogs import SHIPPED_LOCALES
from relationclient.i18n.formatting import Formatter
from relationclient.i18n.numbers import _grouped_by_three, currency_formatter
from relationclient.models import Money

# Beyond the shipped locales, one of each separator and grouping style Babel has:
# "." and "," swapped (de_CH keeps "’"), no-break spaces, Indian (3, 2) grouping,
# no grouping at all (en_US_POSIX), non-ASCII groups (bgn, ff_Adlm, ks); and for
# dates, a time before the date (vi), quotes in the pattern (nn), day periods (zh_Hant).
LOCALES = (
    *SHIPPED_LOCALES,
    "fr_CA",
    "fr_CH",
    "en_GB",
    "en_IN",
    "de_CH",
    "es_MX",
    "ar_AE",
    "ja",
    "hi",
    "pt_BR",
    "bgn",
    "ff_Adlm",
    "ks",
    "dje",
    "en_FR",
    "en_US_POSIX",
    "tok",
    "vi",
    "nn",
    "zh_Hant",
)
# KWD, BHD three decimals; CLF, UYW four; JPY, CLP none.
CURRENCIES = (
    "EUR",
    "USD",
    "GBP",
    "JPY",
    "CHF",
    "KWD",
    "BHD",
    "SEK",
    "INR",
    "CLP",
    "CLF",
    "UYW",
    "XOF",
    "MAD",
    "AED",
)
BOUNDARIES = (
    "0",
    "-0",
    "0.00",
    "-0.00",
    "-0.001",
    "-0.005",
    "-0.0051",
    "0.005",
    "0.015",
    "0.025",
    "0.00005",
    "-0.00005",
    "1",
    "-1",
    "12",
    "-15.00",
    "999.99",
    "999.995",
    "999.9995",
    "-999.995",
    "1000",
    "1234.5",
    "-1234.56",
    "99999.995",
    "999999.99",
    "999999.995",
    "999999.9995",
    "1000000",
    "-1234567.891",
    "123456789012.345",
    "999999999999.9999",
    "1000000000000",
    "-1000000000000",
    "1E+3",
    "1E+12",
    "1.000E+2",
    "1E-10",
    "0.1234567890123456789",
    # more digits than the context's 28: abs() rounds them first, in Babel too
    "0.01499999999999999999999999999999",
    "0.004999999999999999999999999999999",
    "-2.675000000000000000000000000001",
)
RATES = (
    "0",
    "-0",
    "0.0",
    "0.00",
    "0.055",
    "0.2",
    "0.20",
    "0.200",
    "0.21",
    "0.077",
    "0.0825",
    "0.1",
    "0.10",
    "0.07",
    "0.025",
    "1",
    "1.0",
    "-0.055",
    "2E-1",
    "1E-3",
    "0.123456789",
    "12345.678",
)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", None)


def outcome(call: Callable[..., str], *args: Any) -> tuple[str, object]:
    """The result of ``call``, or the type of the exception it raised."""
    try:
        return "ok", call(*args)
    except (ArithmeticError, ValueError, TypeError) as error:
        return "raised", type(error)


def pair(
    locale: str, country: str | None = None, zone: str | None = None
) -> tuple[Formatter, Formatter]:
    return (
        Formatter(locale, country, zone),
        Formatter(locale, country, zone, optimised=False),
    )


# -- money ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_money_boundaries_match_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for currency in CURRENCIES:
        for raw in BOUNDARIES:
            value = Decimal(raw)
            assert fast.money(value, currency) == slow.money(value, currency), (currency, raw)
        for whole in (0, 7, -7, 1234, -1234567, 10**12):
            assert fast.money(whole, currency) == slow.money(whole, currency), (currency, whole)


@pytest.mark.parametrize("locale", LOCALES)
def test_money_objects_match_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for currency, amounts in (
        ("EUR", ("0", "-0.00", "19.90", "-15.00", "1234.50", "1234567.89")),
        ("JPY", ("0", "1235", "-98765432")),
        ("KWD", ("0.005", "-1234.125", "1000000.000")),
    ):
        for raw in amounts:
            money = Money(amount=Decimal(raw), currency=currency)
            assert fast.money(money) == slow.money(money), (currency, raw)
            # the currency of a Money wins over the one given
            assert fast.money(money, "USD") == slow.money(money, "USD"), (currency, raw)


@pytest.mark.parametrize(
    "context",
    [
        {"rounding": ROUND_FLOOR},
        {"rounding": ROUND_CEILING},
        {"rounding": ROUND_HALF_UP},
        {"prec": 6},
        {"prec": 12, "rounding": ROUND_FLOOR},
    ],
    ids=repr,
)
def test_money_follows_the_decimal_context_as_babel_does(context: dict[str, Any]) -> None:
    for locale in ("fr", "en", "de", "ar", "hi", "de_CH"):
        fast, slow = pair(locale)
        for currency in ("EUR", "JPY", "KWD"):
            for raw in BOUNDARIES:
                value = Decimal(raw)
                with localcontext(**context):
                    expected = outcome(slow.money, value, currency)
                    assert outcome(fast.money, value, currency) == expected, (locale, raw)
                    # What the views use: the context read once, for one message.
                    one_message = fast.currency_for_message(currency)
                    assert outcome(one_message, value) == expected, (locale, raw)


@pytest.mark.parametrize("locale", ["fr", "en", "nl", "ar", "hi"])
def test_money_non_finite_amounts_match_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for raw in ("Infinity", "-Infinity", "NaN", "-NaN", "sNaN"):
        value = Decimal(raw)
        assert outcome(fast.money, value, "EUR") == outcome(slow.money, value, "EUR"), raw


@settings(max_examples=1000, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    value=st.one_of(
        st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
        st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False),
        st.decimals(min_value=-2000, max_value=2000, places=3, allow_nan=False),
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12),
    ),
)
def test_random_money_matches_the_reference(locale: str, currency: str, value: Decimal) -> None:
    fast, slow = pair(locale)
    assert fast.money(value, currency) == slow.money(value, currency)
    assert fast.money(-value, currency) == slow.money(-value, currency)


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    currency=st.sampled_from(CURRENCIES),
    value=st.integers(min_value=-(10**13), max_value=10**13),
)
def test_random_whole_amounts_match_the_reference(locale: str, currency: str, value: int) -> None:
    fast, slow = pair(locale)
    assert fast.money(value, currency) == slow.money(value, currency)


@pytest.mark.parametrize("group", [".", ".\u202f", "'"])
@pytest.mark.parametrize("precision", [0, 2, 3])
def test_grouping_by_three_with_any_separators(group: str, precision: int) -> None:
    # No CLDR locale has a group holding "." with a decimal sign that is not ","
    # today; the slicing path for it is checked against a plain reimplementation.
    decimal_sign = "٫"
    formatters = _grouped_by_three(
        Decimal(10) ** -precision,
        precision,
        ("", "-"),
        (" ¤", " ¤"),
        group,
        decimal_sign,
        lambda value: "babel",
    )
    # Amounts already at the precision take the short paths (one group, none, several).
    exact = [str(Decimal(v).quantize(Decimal(10) ** -precision)) for v in ("7", "1234", "123456")]
    exact += [str(Decimal(v).quantize(Decimal(10) ** -precision)) for v in ("1234567", "9" * 12)]
    exact += [f"-{v}" for v in exact]  # discounts: negative amounts at the precision, -0 too
    exact.append(str(Decimal("-0").quantize(Decimal(10) ** -precision)))
    for fmt in formatters:  # checked, then unchecked (the default context is roomy)
        for raw in ("0", "-0.004", "12.5", "1234.5", "-999999.995", "1234567.891", *exact):
            plain = format(abs(Decimal(raw)).quantize(Decimal(10) ** -precision), ",f")
            number = "".join(group if c == "," else decimal_sign if c == "." else c for c in plain)
            expected = ("-" if raw.startswith("-") else "") + number + " ¤"
            assert fmt(Decimal(raw)) == expected, raw
        assert fmt(Decimal("Infinity")) == "babel"


def test_the_compiled_formats_are_the_same_as_before() -> None:
    # Formatter.money goes through currency_formatter; both agree for Money too.
    money = Money(amount=Decimal("1234.50"), currency="EUR")
    assert Formatter("fr").money(money) == currency_formatter("fr", "EUR")(money.amount)


# -- percentages ------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_rates_match_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for _ in range(2):  # the second round is served from the cache
        for raw in RATES:
            value = Decimal(raw)
            assert fast.rate(value) == slow.rate(value), raw
            assert fast.percent(value) == slow.percent(value), raw
        for number in (0, 1, 0.2, 0.055, 0.1 + 0.2, -0.0, 1e-7, 12.5, 3):
            assert fast.percent(number) == slow.percent(number), number


def test_equal_rates_written_differently_are_cached_apart() -> None:
    fast, slow = pair("fr")
    for raw in ("0", "-0", "-0.0", "0E+2", "0.2", "0.20", "2E-1", "0.2000000"):
        assert fast.rate(Decimal(raw)) == slow.rate(Decimal(raw)), raw
    assert fast.rate(Decimal("-0")) != fast.rate(Decimal("0"))


def test_rates_follow_the_decimal_context() -> None:
    for locale in ("fr", "en", "ar"):
        fast, slow = pair(locale)
        for raw in (*RATES, "0.12345", "0.987654321"):
            value = Decimal(raw)
            fast.rate(value)  # cached in the default context first
            for context in ({"prec": 3}, {"prec": 3, "rounding": ROUND_FLOOR}, {"prec": 4}):
                with localcontext(**context):
                    assert outcome(fast.rate, value) == outcome(slow.rate, value), (raw, context)


def test_unusual_percent_arguments_go_to_babel() -> None:
    fast, slow = pair("fr")
    assert outcome(fast.percent, True) == outcome(slow.percent, True)
    with pytest.raises(InvalidOperation):
        fast.percent(Decimal("sNaN"))


# -- dates and times --------------------------------------------------------------------


def transitions() -> list[dt.datetime]:
    """Instants around the 2026 DST changes of Paris, New York and Lord Howe (30 min)."""
    utc = dt.UTC
    changes = [
        dt.datetime(2026, 3, 29, 1, tzinfo=utc),
        dt.datetime(2026, 10, 25, 1, tzinfo=utc),
        dt.datetime(2026, 3, 8, 7, tzinfo=utc),
        dt.datetime(2026, 11, 1, 6, tzinfo=utc),
        dt.datetime(2026, 4, 4, 15, tzinfo=utc),
        dt.datetime(2026, 10, 3, 15, 30, tzinfo=utc),
    ]
    steps = [dt.timedelta(minutes=m) for m in range(-90, 91, 15)]
    steps += [dt.timedelta(seconds=s) for s in (-1, 1, 59, 61)]
    return [change + step for change in changes for step in steps]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("locale", LOCALES)
def test_datetimes_around_dst_changes_match_the_reference(locale: str, zone: str | None) -> None:
    fast, slow = pair(locale, "FR", zone)
    for when in transitions():
        assert fast.datetime(when) == slow.datetime(when), when
        folded = when.astimezone(ZoneInfo("Europe/Paris"))
        assert fast.datetime(folded) == slow.datetime(folded), folded
    naive = dt.datetime(2026, 10, 25, 2, 30, 15, 123456)
    assert fast.datetime(naive) == slow.datetime(naive)
    assert fast.datetime(naive.replace(fold=1)) == slow.datetime(naive.replace(fold=1))


@settings(max_examples=1000, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    zone=st.sampled_from(ZONES),
    when=st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 12, 31),
        timezones=st.sampled_from(
            [dt.UTC, ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Santiago")]
        ),
    ),
)
def test_random_datetimes_match_the_reference(
    locale: str, zone: str | None, when: dt.datetime
) -> None:
    fast, slow = pair(locale, None, zone)
    assert fast.datetime(when) == slow.datetime(when)
    assert fast.date(when) == slow.date(when)
    assert fast.day(when) == slow.day(when)
    assert fast.short_date(when) == slow.short_date(when)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_minute_of_the_day_matches_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for minute in range(24 * 60):
        # the second and microsecond vary: the short patterns do not show them
        value = dt.time(minute // 60, minute % 60, (minute * 7) % 60, minute * 613)
        assert fast.time(value) == slow.time(value), value


@pytest.mark.parametrize("locale", ["zh_Hant", "en", "fr"])
def test_day_periods_see_the_seconds(locale: str) -> None:
    # zh_Hant's "B" names midnight and noon "at" 00:00:00 and 12:00:00 exactly.
    fast, slow = pair(locale)
    for hour in (0, 5, 11, 12, 13, 18, 19, 23):
        for second in (0, 1, 30, 59):
            value = dt.time(hour, 0, second)
            assert fast.time(value) == slow.time(value), value
    if locale == "zh_Hant":
        assert fast.time(dt.time(0, 0, 0)) != fast.time(dt.time(0, 0, 1))


@pytest.mark.parametrize("date", ["1 'janv.' 2026", "{0} 1 janv.", "1 janv. {1}", "l'an {"])
@pytest.mark.parametrize("locale", ["fr", "vi", "nn"])
def test_quotes_and_braces_in_the_date_take_the_general_path(
    monkeypatch: pytest.MonkeyPatch, locale: str, date: str
) -> None:
    # No CLDR date has them today; the reference unquotes and substitutes the
    # joined text, quotes and placeholders of the date included.
    @lru_cache
    def fake(locale: str, value: dt.date, form: str) -> str:
        return date

    monkeypatch.setattr(formatting, "_date", fake)
    fast, slow = pair(locale, None, "Europe/Paris")
    when = dt.datetime(2026, 1, 1, 9, 5, tzinfo=dt.UTC)
    assert fast.datetime(when) == slow.datetime(when)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_aware_times_match_the_reference(locale: str) -> None:
    fast, slow = pair(locale)
    for zone in ("Europe/Paris", "Asia/Kolkata"):
        value = dt.time(10, 42, 7, tzinfo=ZoneInfo(zone))
        assert fast.time(value) == slow.time(value)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_opening_hours_match_the_reference(locale: str) -> None:
    from relationclient import samples

    fast, slow = pair(locale)
    hours = samples.shop().support_hours
    assert fast.hours(hours) == slow.hours(hours)


def test_formatters_still_pickle() -> None:
    fmt = Formatter("fr", "FR", "Europe/Paris")
    fmt.money(Decimal("1.50"), "EUR")
    fmt.rate(Decimal("0.2"))
    fmt.datetime(dt.datetime(2026, 11, 20, 9, 42, tzinfo=dt.UTC))
    assert pickle.loads(pickle.dumps(fmt)) == fmt
