"""Fixtures of the command-line tests: a shop's data file, template and catalog folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po
from click.testing import CliRunner

from relationclient import samples
from relationclient.rendering.environment import PACKAGED_TEMPLATES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    """The sample shop and the French sample order, as a shop's JSON data file."""
    path = tmp_path / "data.json"
    payload = {
        "shop": samples.shop().model_dump(mode="json"),
        "order": samples.order("fr").model_dump(mode="json"),
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def write_template(folder: Path, name: str, source: str) -> Path:
    """Write the shop template ``name`` (``email/order_confirmation.html``…) under ``folder``."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def packaged_source(name: str) -> str:
    return (PACKAGED_TEMPLATES / name).read_text(encoding="utf-8")


def write_catalog(
    folder: Path, locale: str, messages: dict[str, str], *, compile_mo: bool = True
) -> Path:
    """A shop catalog ``<folder>/<locale>/LC_MESSAGES/messages.po`` (and ``.mo``)."""
    catalog = Catalog(locale=locale)
    for msgid, msgstr in messages.items():
        catalog.add(msgid, msgstr)
    target = folder / locale / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.po").open("wb") as f:
        write_po(f, catalog)
    if compile_mo:
        with (target / "messages.mo").open("wb") as f:
            write_mo(f, catalog)
    return target / "messages.po"
