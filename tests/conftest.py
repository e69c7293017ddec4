"""Shared fixtures: the sample data of :mod:`relationclient.samples`, built fresh per test.

Also the services the examples need (see :mod:`tests.services` for how they are
found, and for ``RELATIONCLIENT_REQUIRE_SERVICES``).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path

import pytest

# When a property test fails, Hypothesis's pytest plugin imports its patch writer
# (libcst), and libcst's import raises a DeprecationWarning from mypy_extensions.
# With filterwarnings=error that turns the failure report into an INTERNALERROR
# hiding the falsifying example, so import it once here with the warning ignored.
with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

from relationclient import Customer, Delay, Order, Promo, Shipment, Shop, samples

from .services import require

# The scripts of examples/ that start a server of their own (run one by one by
# tests/docs/test_examples.py, parametrized by ``script``), and which one.
EXAMPLE_SERVICES = {"outbox_celery.py": "redis"}


@pytest.fixture(autouse=True)
def _example_services(request: pytest.FixtureRequest) -> None:
    """Skip (or fail) an example's run when the server it starts is missing.

    The example looks the program up on the PATH, so the one found here (maybe
    through an override variable) goes first on the PATH the example inherits.
    """
    callspec = getattr(request.node, "callspec", None)
    script = callspec.params.get("script") if callspec is not None else None
    if not isinstance(script, Path) or script.name not in EXAMPLE_SERVICES:
        return
    program = require(EXAMPLE_SERVICES[script.name])
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("PATH", os.pathsep.join([str(program.parent), os.environ.get("PATH", "")]))


@pytest.fixture
def shop() -> Shop:
    """Maison Lumière, the French sample shop."""
    return samples.shop()


@pytest.fixture
def customer() -> Customer:
    """The French sample customer (Camille Dupont, mobile phone, marketing consent)."""
    return samples.customer()


@pytest.fixture
def customers() -> dict[str, Customer]:
    """One sample customer per shipped locale, keyed by locale."""
    return samples.customers()


@pytest.fixture
def order() -> Order:
    """The French 5-line EUR sample order (tax-inclusive, with shipping and a discount)."""
    return samples.order()


@pytest.fixture
def orders() -> dict[str, Order]:
    """One sample order per shipped locale, keyed by locale."""
    return {locale: samples.order(locale) for locale in samples.LOCALES}


@pytest.fixture
def jpy_order() -> Order:
    """The tax-exclusive JPY sample order (no minor unit)."""
    return samples.jpy_order()


@pytest.fixture
def shipment() -> Shipment:
    """The whole French sample order in one Colissimo parcel."""
    return samples.shipment()


@pytest.fixture
def shipments() -> tuple[Shipment, Shipment]:
    """The French sample order split into two parcels (Chronopost, then Colissimo)."""
    return samples.shipments()


@pytest.fixture
def delay() -> Delay:
    """The sample order's delivery moved by five days for a stock shortage."""
    return samples.delay()


@pytest.fixture
def promo() -> Promo:
    """Ten percent off, valid until the end of 2026."""
    return samples.promo()


@pytest.fixture
def amount_promo() -> Promo:
    """Fifteen euros off from 80 euros."""
    return samples.amount_promo()
