"""Phone numbers: parse what shops type, store E.164, tell mobiles from fixed lines.

Parsing and number types come from Google's libphonenumber (the ``phonenumbers``
package); this module only fixes how relationclient uses it.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

__all__ = ["can_receive_sms", "format_phone", "parse_phone", "phone_region"]

_SMS_CAPABLE = frozenset(
    {
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PAGER,
    }
)


@lru_cache(maxsize=8192)
def parse_phone(value: str, region: str | None = None) -> str:
    """Parse ``value`` and return it in E.164 form (``+33612345678``).

    National input (``06 12 34 56 78``) needs ``region``, the ISO 3166 alpha-2
    country it is written for. Raises :class:`ValueError` with a readable reason
    when the number is not a valid number.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise ValueError(
                f"{value!r} has no country: write it as +<country code>… or give a country"
            ) from exc
        raise ValueError(f"{value!r} is not a phone number ({exc._msg})") from exc
    if not phonenumbers.is_valid_number(number):
        where = f" in {region}" if region and not value.strip().startswith("+") else ""
        raise ValueError(f"{value!r} is not a valid phone number{where}")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


@lru_cache(maxsize=8192)
def can_receive_sms(e164: str) -> bool:
    """Say whether the number can receive SMS: mobiles yes, fixed lines and premium no.

    Numbers whose kind the numbering plan cannot tell (``FIXED_LINE_OR_MOBILE``,
    as in the United States) are given the benefit of the doubt.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in _SMS_CAPABLE


def phone_region(e164: str) -> str | None:
    """Return the ISO 3166 alpha-2 region a number belongs to, if it can tell."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.region_code_for_number(number)


@lru_cache(maxsize=8192)
def format_phone(e164: str, reader_country: str | None) -> str:
    """Format a number for a reader in ``reader_country``.

    National format (``01 23 45 67 89``) when the number belongs to the reader's
    country, international (``+33 1 23 45 67 89``) otherwise — so a customer
    abroad can dial it as printed.
    """
    number = phonenumbers.parse(e164, None)
    if reader_country and phonenumbers.region_code_for_number(number) == reader_country.upper():
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
