"""Checking the gettext catalogs: every msgid the templates use is translated, and compiled."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg  # type: ignore[attr-defined]
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ..errors import RelationClientError
from ..i18n import translations
from ..i18n.catalogs import CATALOG_DIR, DOMAIN, SHIPPED_LOCALES
from ..rendering.environment import PACKAGED_TEMPLATES
from .problem import Problem, shown

#: Babel's extraction mapping for message templates (``pybabel extract -F``).
BABEL_CFG = Path(__file__).resolve().parent.parent / "i18n" / "babel.cfg"


def clear_caches() -> None:
    """Forget loaded catalogs and phrases, so edited catalogs and templates are read again."""
    translations.cache_clear()


def _read_mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    with BABEL_CFG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return method_map, options_map


def template_msgids(directory: str | Path) -> set[str | tuple[str, ...]]:
    """The gettext msgids used by the templates in ``directory`` (extracted with Babel).

    Raises:
        RelationClientError: When a template cannot be parsed (the error names it).
    """
    method_map, options_map = _read_mapping()
    try:
        return {message[2] for message in extract_from_dir(str(directory), method_map, options_map)}
    except jinja2.TemplateSyntaxError as exc:
        raise RelationClientError(
            f"cannot extract messages: syntax error in {exc.filename or exc.name}, "
            f"line {exc.lineno}: {exc.message}"
        ) from exc


def _po_path(directory: str | Path, locale: str) -> Path:
    return Path(directory) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def _compiled_problems(po: Path, catalog: Catalog) -> list[Problem]:
    """The ``.mo`` beside ``po`` must exist and say what the ``.po`` says (non-fuzzy)."""
    mo = po.with_suffix(".mo")
    hint = "run `relationclient i18n compile`"
    if not mo.exists():
        return [Problem(str(po), "catalog", f"is not compiled (no {mo.name}): {hint}")]
    with mo.open("rb") as f:
        compiled = {_strings(m.id): _strings(m.string) for m in read_mo(f) if m.id}
    source = {
        _strings(m.id): _strings(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy and all(_strings(m.string))
    }
    if compiled != source:
        return [Problem(str(po), "catalog", f"{mo.name} is older than the .po: {hint}")]
    return []


def catalog_problems(
    template_dirs: Sequence[str | Path] = (),
    catalog_dirs: Sequence[str | Path] = (),
    locales: Sequence[str] = SHIPPED_LOCALES,
) -> tuple[list[str], list[Problem]]:
    """Check that every msgid the templates use is translated for every locale.

    The msgids are extracted afresh from the packaged templates and the shop's
    ``template_dirs``. For each locale they are looked up as the composer does:
    the shop's catalogs first (``<dir>/<locale>/LC_MESSAGES/messages.po``), the
    packaged one last. The catalog that holds a msgid must translate it, not as
    fuzzy, with as many plural forms as the locale has; shop catalogs must also
    pass Babel's placeholder checks and be compiled.

    Returns:
        ``(files, problems)``: the ``.po`` files read, and what is wrong.
    """
    problems: list[Problem] = []
    msgids: set[str | tuple[str, ...]] = set()
    for directory in (PACKAGED_TEMPLATES, *template_dirs):
        if not Path(directory).is_dir():
            continue  # reported by template_problems
        try:
            msgids |= template_msgids(directory)
        except RelationClientError as exc:
            problems.append(Problem(str(directory), "catalog", str(exc)))
    files: list[str] = []
    for locale in locales:
        catalogs: list[tuple[Path, Catalog]] = []
        for directory in (*catalog_dirs, CATALOG_DIR):
            po = _po_path(directory, locale)
            if not po.exists():
                continue
            files.append(str(po))
            try:
                with po.open("rb") as f:
                    catalog = read_po(f, locale=locale)
            except Exception as exc:  # Babel raises many kinds on a broken .po
                problems.append(Problem(str(po), "catalog", f"cannot be read: {exc}"))
                continue
            catalogs.append((po, catalog))
            if directory is not CATALOG_DIR:
                for message, errors in catalog.check():
                    problems += [
                        Problem(str(po), "catalog", f"{message.id!r}: {error}") for error in errors
                    ]
                problems += _compiled_problems(po, catalog)
        for msgid in sorted(msgids, key=str):
            problems += _translation_problems(locale, msgid, catalogs, catalog_dirs)
    return files, problems


def _translation_problems(
    locale: str,
    msgid: str | tuple[str, ...],
    catalogs: Sequence[tuple[Path, Catalog]],
    catalog_dirs: Sequence[str | Path],
) -> list[Problem]:
    """How ``msgid`` fares in ``locale``: the first catalog that translates it wins.

    An entry left empty or fuzzy is not compiled, so the composer falls back to
    the next catalog (a shop's ``.po`` often lists the packaged strings its
    templates reuse, untranslated): it is a problem only when no catalog after
    it translates the msgid either.
    """
    first = msgid[0] if isinstance(msgid, tuple) else msgid
    quoted = shown(first)
    skipped: Problem | None = None
    for po, catalog in catalogs:
        message = catalog.get(first)
        if message is None:
            continue
        strings = _strings(message.string)
        if not all(strings) or message.fuzzy:
            state = "fuzzy" if message.fuzzy else "untranslated"
            skipped = skipped or Problem(str(po), "catalog", f"{state}: {quoted}")
            continue
        if isinstance(msgid, tuple) and len(strings) != catalog.num_plurals:
            return [
                Problem(
                    str(po),
                    "catalog",
                    f"{quoted} has {len(strings)} plural forms; {locale} has {catalog.num_plurals}",
                )
            ]
        if locale.split("_")[0] == "fr":
            return [
                Problem(str(po), "catalog", f"French typography in {quoted}: {fault}")
                for fault in {fault for text in strings for fault in french_typography(text)}
            ]
        return []
    if skipped is not None:
        return [skipped]
    target = _po_path(catalog_dirs[0], locale) if catalog_dirs else f"a catalog for {locale}"
    return [
        Problem(
            f"catalog {locale}",
            "catalog",
            f"no translation of {quoted} (add it to {target}: relationclient i18n update)",
        )
    ]


_SPACE_BEFORE = re.compile(r"(?<=\S)( ?)([;!?:»])")
_SPACE_AFTER = re.compile(r"«( ?)(?=\S)")
#: What French typography sets before each sign: a narrow no-break space before
#: ; ! ? (U+202F), a no-break space before : and » (U+00A0).
_FRENCH_SPACES = {";": "\u202f", "!": "\u202f", "?": "\u202f", ":": "\u00a0", "»": "\u00a0"}


def french_typography(text: str) -> list[str]:
    """What a French string gets wrong in its spaces around ; : ! ? « » (none: ``[]``).

    French sets a narrow no-break space (U+202F) before ; ! ? and a no-break
    space (U+00A0) before : and », and after «. A plain space there lets the
    line break before the sign; no space at all is an English habit. Signs
    inside a URL (``mailto:`` links too), a placeholder (``%(name)s``) or a time
    (``10:42``) are not punctuation and are left alone.
    """
    faults = []
    scrubbed = re.sub(r"https?://\S+|mailto:\S+|%\([^)]*\)s|\d:\d", "x", text)
    for found in _SPACE_BEFORE.finditer(scrubbed):
        sign = found.group(2)
        if sign == ":" and scrubbed[found.end() : found.end() + 2] == "//":
            continue
        wanted = _FRENCH_SPACES[sign]
        before = scrubbed[found.start() - 1] if found.start() else ""
        if before in ("\u202f", "\u00a0") or found.group(1) == wanted:
            continue
        name = "U+202F" if wanted == "\u202f" else "U+00A0"
        what = "a plain space" if found.group(1) else "no space"
        faults.append(f"{what} before « {sign} » (French sets {name})")
    for found in _SPACE_AFTER.finditer(scrubbed):
        what = "a plain space" if found.group(1) else "no space"
        faults.append(f"{what} after « « » (French sets U+00A0)")
    return faults
