"""The two locales of a message: the catalog it is written in, the locale it is formatted for.

A customer in Geneva whose locale is ``fr_CH`` reads our French catalog, but
her amounts, dates and numbers follow Swiss French conventions as Babel
defines them; a British customer reads the English catalog with British dates.
:func:`locale_profile` decides both once per reader:

* the **catalog language** is negotiated among the shipped catalogs
  (``fr_CA`` → ``fr`` → the shop's default);
* the **format locale** is the customer's full locale when Babel knows it; a
  bare language is completed by the customer's country where Babel knows the
  pair (``en`` + ``GB`` → ``en_GB``); a customer whose language has no catalog
  gets the catalog language, completed by their country where Babel knows it.

Falling back to another language than the customer's logs one warning per
requested locale on the ``relationclient`` logger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from babel import Locale, UnknownLocaleError, localedata

from .catalogs import SHIPPED_LOCALES

__all__ = ["LocaleProfile", "babel_locale", "locale_profile"]

logger = logging.getLogger("relationclient")


@cache
def babel_locale(name: str) -> Locale:
    """Babel's :class:`~babel.Locale` for ``name``, parsed once (a ``Locale`` is immutable)."""
    return Locale.parse(name)


@dataclass(frozen=True)
class LocaleProfile:
    """How one reader's messages are written and formatted.

    Attributes:
        catalog: The shipped catalog language (``"fr"``): ``Email.locale``.
        format_locale: The Babel locale of amounts, dates and numbers
            (``"fr_CH"``): ``Email.format_locale``.
        direction: ``"ltr"`` or ``"rtl"``, from the catalog language's script.
        colon: The colon of ``Label : value``, with what goes before it (French
            sets a no-break space).
        comma: The comma that joins the parts of a list (Arabic writes ``،``).
    """

    catalog: str
    format_locale: str
    direction: str
    colon: str
    comma: str = ", "

    @property
    def rtl(self) -> bool:
        """True for right-to-left scripts (Arabic, Hebrew, Persian…)."""
        return self.direction == "rtl"

    @property
    def lang(self) -> str:
        """The ``lang`` attribute of the HTML document: the catalog language as BCP 47."""
        return self.catalog.replace("_", "-")


def _parse(name: str | None) -> Locale | None:
    if not name:
        return None
    try:
        return babel_locale(name.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


def _completed(language: str, country: str | None) -> str:
    """``language`` with ``country`` when Babel knows the pair (``en`` + ``GB``), else as it is."""
    if country:
        candidate = f"{language}_{country.upper()}"
        if localedata.exists(candidate):
            return candidate
    return language


def locale_profile(
    requested: str | None,
    country: str | None,
    default: str,
    available: Iterable[str] = SHIPPED_LOCALES,
) -> LocaleProfile:
    """The :class:`LocaleProfile` of a reader asking for ``requested`` and living in ``country``.

    Args:
        requested: The customer's locale (``"fr_CA"``, ``"en"``, ``"pt-BR"``), if known.
        country: The customer's ISO 3166 alpha-2 country, if known.
        default: The shop's default locale, used when no shipped catalog fits.
        available: The catalog languages to choose from.

    Example:
        >>> p = locale_profile("en", "GB", "fr")
        >>> (p.catalog, p.format_locale)
        ('en', 'en_GB')
        >>> p = locale_profile("de_CH", None, "fr")
        >>> (p.catalog, p.format_locale)
        ('de', 'de_CH')
    """
    return _profile(requested, country.upper() if country else None, default, tuple(available))


@cache
def _profile(
    requested: str | None, country: str | None, default: str, available: tuple[str, ...]
) -> LocaleProfile:
    asked = _parse(requested)
    catalog = None
    if asked is not None:
        for name in (str(asked), asked.language):
            if name in available:
                catalog = name
                break
    if catalog is not None and asked is not None:
        # The customer's own locale when it names a region ("de_CH"), else their
        # language completed by their country ("en" + "GB").
        territory = asked.territory
        fmt = str(asked) if territory else _completed(asked.language, country)
    else:
        catalog = _fallback(default, available)
        fmt = _completed(catalog, country)
        if requested:
            logger.warning(
                "no catalog for locale %r: writing in %r (formats of %r)", requested, catalog, fmt
            )
    direction = "rtl" if babel_locale(catalog).character_order == "right-to-left" else "ltr"
    colon = "\u00a0:" if catalog.split("_")[0] == "fr" else ":"
    comma = "، " if catalog.split("_")[0] == "ar" else ", "
    return LocaleProfile(
        catalog=catalog, format_locale=fmt, direction=direction, colon=colon, comma=comma
    )


def _fallback(default: str, available: tuple[str, ...]) -> str:
    for candidate in (default, "en"):
        parsed = _parse(candidate)
        if parsed is None:
            continue
        for name in (str(parsed), parsed.language):
            if name in available:
                return name
    return available[0]
