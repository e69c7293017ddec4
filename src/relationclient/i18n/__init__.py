"""Languages and local formats: locale negotiation, gettext catalogs, Babel formatting."""

from .catalogs import SHIPPED_LOCALES as SHIPPED_LOCALES
from .catalogs import negotiate_locale as negotiate_locale
from .catalogs import translations as translations
from .formatting import Formatter as Formatter
from .formatting import is_rtl as is_rtl

__all__ = ["SHIPPED_LOCALES", "Formatter", "is_rtl", "negotiate_locale", "translations"]
