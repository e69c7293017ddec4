"""Every shipped catalog is complete, not fuzzy, placeholder-correct, and compiled."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from relationclient.i18n.catalogs import CATALOG_DIR, SHIPPED_LOCALES
from relationclient.rendering.environment import PACKAGED_TEMPLATES

BABEL_CFG = Path(CATALOG_DIR).parent / "i18n" / "babel.cfg"


@pytest.fixture(scope="module")
def template_messages() -> set[object]:
    """Msgids extracted afresh from the packaged templates (not from a stale .pot)."""
    with BABEL_CFG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {
        message[2] for message in extract_from_dir(str(PACKAGED_TEMPLATES), method_map, options_map)
    }


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_catalog_translates_every_template_string(
    locale: str, template_messages: set[object]
) -> None:
    po_path = CATALOG_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as f:
        catalog = read_po(f, locale=locale)
    problems = []
    for msgid in sorted(template_messages, key=str):
        message = catalog.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"untranslated: {msgid!r}")
        if isinstance(message.id, tuple) and len(strings) != catalog.num_plurals:
            problems.append(f"{len(strings)} plural forms, the locale has {catalog.num_plurals}")
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
    for message, errors in catalog.check():
        problems += [f"{message.id!r}: {error}" for error in errors]
    assert not problems, f"{locale} catalog:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    folder = CATALOG_DIR / locale / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        source = {_strings(m.id): _strings(m.string) for m in read_po(f, locale=locale) if m.id}
    with (folder / "messages.mo").open("rb") as f:
        compiled = {_strings(m.id): _strings(m.string) for m in read_mo(f) if m.id}
    assert compiled == source, f"{locale}: run `pybabel compile -d {CATALOG_DIR}`"


def _strings(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (str(value),)
