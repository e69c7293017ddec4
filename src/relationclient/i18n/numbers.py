"""Currency formatting compiled once per locale and currency, byte-identical to Babel's.

``babel.numbers.format_currency`` looks up the pattern, the currency's symbol
and precision, and the locale's separators on every call — about 20 µs, and an
order email formats fifteen amounts. :func:`currency_formatter` does those
look-ups once per (locale, currency) and returns a function that only rounds
and groups digits, following the same steps as Babel's
``NumberPattern.apply``. Patterns it does not handle (scientific, significant
digits, quoted text, currency names) fall back to Babel itself. The tests
check the output equals Babel's for every shipped locale, many currencies and
random amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, getcontext
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

__all__ = ["currency_formatter", "currency_formatter_unchecked", "roomy_context"]

Formats = Callable[[Decimal | int], str]


def _fill(affix: str, currency: str, symbol: str) -> str:
    return affix.replace("¤¤", currency.upper()).replace("¤", symbol)


def currency_formatter(locale: str, currency: str) -> Formats:
    """A function formatting amounts of ``currency`` exactly as Babel does in ``locale``."""
    return _formatters(locale, currency)[0]


def currency_formatter_unchecked(locale: str, currency: str) -> Formats:
    """:func:`currency_formatter`'s function, for use only while :func:`roomy_context` holds.

    It skips reading the decimal context on every amount: the caller read it
    once for a batch of amounts (the views of one message).
    """
    return _formatters(locale, currency)[1]


def roomy_context() -> bool:
    """Whether the thread's decimal context leaves any plain amount of 28 characters untouched.

    Babel's rounding to the context (``scaleb``, ``normalize``) then changes
    no amount the fast paths format: true of the default context.
    """
    context = getcontext()
    return (
        context.prec >= _PLAIN_DIGITS
        and context.Emax >= _PLAIN_DIGITS
        and context.Emin <= -_PLAIN_DIGITS
        and not context.clamp
    )


@lru_cache(maxsize=1024)
def _formatters(locale: str, currency: str) -> tuple[Formats, Formats]:
    """The checked and unchecked formatters of ``currency`` in ``locale``."""
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    affixes = "".join((*pattern.prefix, *pattern.suffix))

    def babel(value: Decimal | int) -> str:
        return str(format_currency(value, currency, locale=parsed))

    if (
        pattern.exp_prec
        or "@" in pattern.pattern
        or "'" in affixes
        or "¤¤¤" in affixes
        or pattern.number_pattern == ""
        or pattern.scale
    ):
        return babel, babel

    precision = int(get_currency_precision(currency))
    quantum = Decimal(10) ** (-precision)
    symbol = get_currency_symbol(currency, parsed)
    prefix = tuple(_fill(p, currency, symbol) for p in pattern.prefix)
    suffix = tuple(_fill(s, currency, symbol) for s in pattern.suffix)
    group, decimal_sign = get_group_symbol(parsed), get_decimal_symbol(parsed)
    first, rest = pattern.grouping
    min_int = pattern.int_prec[0]

    if (first, rest) == (3, 3) and min_int <= 1 and precision <= 6:
        return _grouped_by_three(quantum, precision, prefix, suffix, group, decimal_sign, babel)

    def fast(value: Decimal | int) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            return babel(value)
        value = value.scaleb(0)  # Babel's scaleb(scale) rounds to the context's precision
        negative = int(value.is_signed())
        value = abs(value).normalize()
        integer, _, fraction = f"{value.quantize(quantum):f}".partition(".")
        if len(integer) < min_int:
            integer = "0" * (min_int - len(integer)) + integer
        grouped, size = "", first
        while len(integer) > size:
            grouped = group + integer[-size:] + grouped
            integer = integer[:-size]
            size = rest
        number = integer + grouped
        if precision:
            fraction = (fraction or "0").ljust(precision, "0")
            number += decimal_sign + fraction
        return prefix[negative] + number + suffix[negative]

    return fast, fast


# Fewer characters than the default decimal context's 28 digits: unary plus
# (Babel's rounding to the context) cannot change such a number.
_PLAIN_DIGITS = 28


def _grouped_by_three(
    quantum: Decimal,
    precision: int,
    prefix: tuple[str, ...],
    suffix: tuple[str, ...],
    group: str,
    decimal_sign: str,
    babel: Formats,
) -> tuple[Formats, Formats]:
    """The formatters for the usual ``#,##0.00`` patterns, digits grouped by three.

    Babel quantizes ``abs(value.scaleb(0)).normalize()``: ``scaleb`` rounds
    the signed value to the context's precision, as unary plus does here
    (faster; the rounding mode may be asymmetric, so this must come before
    taking the magnitude), after which ``abs`` and ``normalize`` change only
    the representation, not the value, so the quantized result is the same.
    Rounding never changes the sign, but ``+`` turns ``-0`` into ``0``, so the
    sign is read from the value given, before quantizing, as Babel does
    (``-0.001`` prints ``-0,00 €``).

    ``str()`` of the quantized Decimal is its plain ``f`` form (its exponent is
    ``-precision``, at most 6 places), with the fraction already padded: an
    amount under a million needs at most one group separator, put in by
    slicing. Larger ones go through ``format(x, ",f")``, whose ``,`` and ``.``
    are then swapped for the locale's separators.
    """
    pos_prefix, neg_prefix = prefix[0], prefix[1]
    pos_suffix, neg_suffix = suffix[0], suffix[1]
    tail = precision + 1 if precision else 0  # the decimal point and the fraction
    small = tail + 3  # the longest text without a group separator
    medium = small + 3  # the longest text with one
    local_sign = decimal_sign != "."
    # How a long ``1,234,567.50`` becomes ``1 234 567,50``: bytes.translate
    # swaps single ASCII characters in one pass (``.`` and ``,`` in German);
    # two replaces do when the group holds no ``.``; slicing does the rest.
    table = b""
    if (group, decimal_sign) == (",", "."):
        mode = 0
    elif len(group) == 1 and len(decimal_sign) == 1 and (group + decimal_sign).isascii():
        mode, table = 1, bytes.maketrans(b",.", (group + decimal_sign).encode())
    elif "." not in group:
        mode = 2
    else:
        mode = 3

    def general(value: Decimal | int) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            return babel(value)
        rounded = (+value).copy_abs().quantize(quantum)
        text = grouped(str(rounded), rounded)
        if value.is_signed():
            return neg_prefix + text + neg_suffix
        return pos_prefix + text + pos_suffix

    def grouped(text: str, rounded: Decimal) -> str:
        size = len(text)
        if size <= small:
            return text.replace(".", decimal_sign) if local_sign else text
        if size <= medium:
            cut = size - small
            rest = text[cut:].replace(".", decimal_sign) if local_sign else text[cut:]
            return text[:cut] + group + rest
        text = format(rounded, ",f")
        if mode == 1:
            return text.encode().translate(table).decode()
        if mode == 2:
            return text.replace(",", group).replace(".", decimal_sign)
        if mode == 3 and tail:
            return text[:-tail].replace(",", group) + decimal_sign + text[1 - tail :]
        if mode == 3:
            return text.replace(",", group)
        return text

    check_exponent = precision >= 3  # only then can "1.2E+5" pass for a fraction
    suffix_only = not pos_prefix  # most locales: the symbol after the number

    def unchecked(value: Decimal | int) -> str:
        # What the models hold: an amount already at the currency's precision,
        # in plain notation; with a roomy decimal context (the caller's word)
        # Babel's rounding keeps its digits as str() writes them. Read by index,
        # not by slice: a slice costs more than all the rest of this test.
        if type(value) is Decimal:
            text = str(value)
            size = len(text)
            # Plain at the precision: the point ``tail`` characters from the end
            # (str() never starts with one), or digits only for whole currencies.
            if (size >= tail and text[-tail] == "." if tail else text.isdigit()) and not (
                check_exponent and "E" in text
            ):
                if text[0] != "-":  # else a digit: the point ruled out NaN and Infinity
                    # The two usual sizes, none and one group separator, written
                    # in one piece each: an order shows fifteen amounts.
                    if size <= small:
                        if local_sign:
                            text = text.replace(".", decimal_sign)
                        if suffix_only:
                            return text + pos_suffix
                        return f"{pos_prefix}{text}{pos_suffix}"
                    if size <= medium:
                        cut = size - small
                        rest = text[cut:].replace(".", decimal_sign) if local_sign else text[cut:]
                        return f"{pos_prefix}{text[:cut]}{group}{rest}{pos_suffix}"
                    if size <= _PLAIN_DIGITS:
                        return pos_prefix + grouped(text, value) + pos_suffix
                elif size <= _PLAIN_DIGITS:
                    # A discount shown as the negative amount it is: the same
                    # digits after the sign, between the negative affixes
                    # (``-0.00`` too, whose sign Babel reads from the value too).
                    return neg_prefix + grouped(text[1:], value.copy_abs()) + neg_suffix
        return general(value)

    def fast(value: Decimal | int) -> str:
        return unchecked(value) if roomy_context() else general(value)

    return fast, unchecked
