"""Field types shared by the models: each one validates and normalises one kind of value.

They are ``Annotated`` aliases so that pydantic reports errors under the field's
own name (``customer.email``, ``lines.0.unit_price``) and JSON schemas stay plain.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

import email_validator
from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_precision, list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "Amount",
    "CountryCode",
    "CurrencyCode",
    "EmailAddress",
    "HttpUrl",
    "Identifier",
    "LocaleCode",
    "LongLine",
    "Model",
    "SingleLine",
    "TimeZoneName",
    "check_precision",
    "currency_precision",
]


class Model(BaseModel):
    """Base of every relationclient model: immutable, strict about unknown fields.

    Computed fields (``Order.total``…) appear in ``model_dump_json`` so that the
    JSON is useful to other systems; on the way back in they are accepted only
    when they equal what the model computes, so a JSON round trip works and a
    supplied total that disagrees with the lines is refused, never trusted.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=True,
        ignored_types=(functools.cached_property,),
    )

    @model_validator(mode="wrap")
    @classmethod
    def _check_supplied_computed_fields(
        cls, data: Any, handler: ModelWrapValidatorHandler[Any]
    ) -> Any:
        computed = cls.model_computed_fields
        if not computed or not isinstance(data, dict) or not any(n in data for n in computed):
            return handler(data)
        supplied = {name: data[name] for name in computed if name in data}
        model = handler({k: v for k, v in data.items() if k not in computed})
        for name, value in supplied.items():
            actual = getattr(model, name)
            adapter = TypeAdapter(computed[name].return_type)
            try:
                given = adapter.validate_python(value)
            except ValueError:
                given = value
            if given != actual:
                raise PydanticCustomError(
                    "computed_field",
                    "{field} is computed ({actual}) and cannot be supplied as {given}",
                    {"field": name, "actual": str(actual), "given": str(value)},
                )
        return model

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Pydantic's ``model_copy``; with ``update``, the cached values are computed again.

        Totals, counts and formatted amounts are kept on the instance the first
        time they are read; a copy with other lines must not inherit them.
        """
        copied = super().model_copy(update=update, deep=deep)
        if update:
            kept = copied.__dict__
            for name in _cached_names(type(self)):
                kept.pop(name, None)
        return copied


@cache
def _cached_names(cls: type) -> tuple[str, ...]:
    """The names of ``cls``'s :class:`cached_property` attributes."""
    return tuple(
        name
        for klass in cls.__mro__
        for name, attribute in vars(klass).items()
        if isinstance(attribute, functools.cached_property)
    )


CONTROL_CHARACTERS = _CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _single_line(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError(
            "single_line", "must be one line of text without control characters (CR, LF, tab…)"
        )
    return value


#: An alphanumeric SMS sender id: 1 to 11 GSM-7 letters, digits and a few signs.
SENDER_ID = re.compile(r"[A-Za-z0-9 .&'-]{1,11}")

#: Longest single-line text: a person's or a shop's name, a city, an address line.
NAME_LENGTH = 200
#: Longest product name or free note on one line.
LONG_LINE_LENGTH = 500
#: Longest identifier: an order number, a SKU, a tracking number, an id.
IDENTIFIER_LENGTH = 100

SingleLine = Annotated[
    str, Field(min_length=1, max_length=NAME_LENGTH), AfterValidator(_single_line)
]
"""Non-empty one-line text of at most 200 characters: names, cities, address lines."""

LongLine = Annotated[
    str, Field(min_length=1, max_length=LONG_LINE_LENGTH), AfterValidator(_single_line)
]
"""Non-empty one-line text of at most 500 characters: product names, notes."""

Identifier = Annotated[
    str, Field(min_length=1, max_length=IDENTIFIER_LENGTH), AfterValidator(_single_line)
]
"""Non-empty one-line identifier of at most 100 characters: order numbers, SKUs, ids."""


def _country(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code) or code not in _territories():
        raise PydanticCustomError(
            "country_code", "'{value}' is not an ISO 3166 alpha-2 country code", {"value": value}
        )
    return code


@cache
def _territories() -> frozenset[str]:
    return frozenset(Locale("en").territories) - {"EU", "EZ", "UN", "QO", "ZZ"}


CountryCode = Annotated[str, AfterValidator(_country)]
"""ISO 3166 alpha-2 code, upper-cased: ``FR``, ``DE``, ``JP``."""


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in _currencies():
        raise PydanticCustomError(
            "currency_code", "'{value}' is not an ISO 4217 currency code", {"value": value}
        )
    return code


CurrencyCode = Annotated[str, AfterValidator(_currency)]
"""ISO 4217 code, upper-cased: ``EUR``, ``JPY``, ``KWD``."""


def currency_precision(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (EUR 2, JPY 0, KWD 3)."""
    return int(get_currency_precision(currency))


def _decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "a boolean is not an amount")
    if isinstance(value, float):
        # repr() is the shortest string that reads back as this float: 19.9 stays
        # 19.9, not 19.899999999999998578914528479799628257751464843750.
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise PydanticCustomError(
                "decimal_parsing", "'{value}' is not a decimal amount", {"value": value}
            ) from None
    return value


#: Amounts are refused from this size on: no shop bills a quadrillion, and
#: arithmetic stays exact well inside Decimal's default 28-digit precision.
MAX_AMOUNT = Decimal(10) ** 15


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise PydanticCustomError("decimal_finite", "amount must be a finite number")
    if abs(value) >= MAX_AMOUNT:
        raise PydanticCustomError(
            "decimal_max", "amount {value} is too large (limit 10^15)", {"value": str(value)}
        )
    return value


Amount = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_finite)]
"""A ``Decimal``; strings and ints are read exactly, floats through their shortest repr."""


def check_precision(amount: Decimal, currency: str, field: str = "amount") -> None:
    """Refuse ``amount``, the value of ``field``, if it has more decimals than ``currency`` has."""
    places = currency_precision(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise PydanticCustomError(
            "currency_precision",
            "{field} {amount} has more decimals than {currency} allows ({places})",
            {"field": field, "amount": str(amount), "currency": currency, "places": places},
        )


# The same addresses come back again and again (the shop's sender on every email, the
# outbox parsing stored messages back): validating one costs ~0.15 ms.
@lru_cache(maxsize=4096)
def _email(value: str) -> str:
    try:
        result = email_validator.validate_email(
            value, check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError as exc:
        raise PydanticCustomError(
            "email",
            "'{value}' is not a valid email address: {reason}",
            {"value": value, "reason": str(exc)},
        ) from None
    # Keep the domain in its ASCII (IDNA) form: every SMTP server and provider
    # accepts it, while a Unicode domain needs SMTPUTF8.
    return f"{result.local_part}@{result.ascii_domain}"


EmailAddress = Annotated[str, AfterValidator(_email)]
"""A validated email address; an IDN domain is stored IDNA-encoded (``xn--…``)."""


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _http_url(value: str) -> str:
    if _CONTROL.search(value) or " " in value:
        raise PydanticCustomError("url", "a URL cannot contain spaces or control characters")
    parts = urlsplit(value)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    loopback = host in _LOOPBACK_HOSTS or host.startswith("127.")
    if not parts.netloc or not host or scheme not in ("https", "http"):
        raise PydanticCustomError(
            "url_scheme",
            "'{value}' is not an absolute https:// URL (javascript:, data: and relative "
            "links are refused)",
            {"value": value[:200]},
        )
    if scheme == "http" and not loopback:
        raise PydanticCustomError(
            "url_scheme",
            "'{value}' must use https:// (plain http:// is allowed for loopback hosts only)",
            {"value": value[:200]},
        )
    return value


HttpUrl = Annotated[str, Field(max_length=2000), AfterValidator(_http_url)]
"""An absolute ``https://`` URL, kept as the string given (``http://`` for loopback hosts only).

Every link a message shows goes through this one type: ``javascript:``,
``data:`` and relative URLs are refused, naming the field.
"""


def _locale(value: str) -> str:
    try:
        return str(Locale.parse(value.strip().replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        raise PydanticCustomError(
            "locale",
            "'{value}' is not a known locale (try 'fr', 'fr_CA', 'en_GB')",
            {"value": value},
        ) from None


LocaleCode = Annotated[str, AfterValidator(_locale)]
"""A locale identifier Babel knows, normalised: ``fr-ca`` becomes ``fr_CA``."""


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone", "'{value}' is not an IANA time zone (try 'Europe/Paris')", {"value": value}
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_timezone)]
"""An IANA time-zone name: ``Europe/Paris``, ``America/Martinique``."""


def ascii_fold(text: str) -> str:
    """Strip accents: ``Émile`` becomes ``Emile`` (used for SMS sender ids)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
