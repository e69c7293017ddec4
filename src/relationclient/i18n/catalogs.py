"""The gettext catalogs shipped with relationclient, and which one a customer gets.

Catalog sources are ``locale/<lang>/LC_MESSAGES/messages.po`` inside the
package, extracted from the templates with Babel (``relationclient i18n``); the
compiled ``.mo`` files ship beside them so a plain ``pip install`` has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations

__all__ = ["CATALOG_DIR", "DOMAIN", "SHIPPED_LOCALES", "negotiate_locale", "translations"]

#: Where the packaged catalogs live.
CATALOG_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
#: Locales with a complete catalog, French first: the home market.
SHIPPED_LOCALES: tuple[str, ...] = ("fr", "en", "de", "es", "it", "nl", "ar")


def negotiate_locale(
    requested: str | None, default: str, available: Iterable[str] = SHIPPED_LOCALES
) -> str:
    """Pick the catalog for ``requested``: exact match, then its language, then ``default``.

    ``fr_CA`` gets ``fr_CA`` if shipped, else ``fr``; an unshipped language gets
    the shop's ``default`` (itself negotiated the same way), and ``en`` last.

    Example:
        >>> negotiate_locale("fr_CA", "en")
        'fr'
        >>> negotiate_locale("pt_BR", "de")
        'de'
    """
    # Cached: a stream of messages asks the same few questions over and over.
    return _negotiate(requested, default, tuple(available))


@cache
def _negotiate(requested: str | None, default: str, shipped: tuple[str, ...]) -> str:
    """Uncached :func:`negotiate_locale`."""
    for candidate in (requested, default, "en"):
        if not candidate:
            continue
        try:
            parsed = Locale.parse(candidate.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            continue
        for name in (str(parsed), parsed.language):
            if name in shipped:
                return name
    return shipped[0]


@cache
def translations(locale: str, extra_dirs: tuple[str, ...] = ()) -> NullTranslations:
    """The gettext translations of ``locale``: shop catalogs in ``extra_dirs`` first.

    A shop's own catalogs (same domain, ``<dir>/<lang>/LC_MESSAGES/messages.mo``)
    take precedence message by message; the packaged catalog fills the rest.
    """
    result: NullTranslations | None = None
    for directory in (*extra_dirs, str(CATALOG_DIR)):
        found = Translations.load(directory, [locale], DOMAIN)
        if not isinstance(found, Translations):
            continue
        if result is None:
            result = found
        elif isinstance(result, Translations):
            result.add_fallback(found)
    return result or NullTranslations()
