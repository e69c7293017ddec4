"""Languages and local formats: locale negotiation, gettext catalogs, Babel formatting."""

from .catalogs import SHIPPED_LOCALES as SHIPPED_LOCALES
from .catalogs import negotiate_locale as negotiate_locale
from .catalogs import translations as translations
from .formatting import Formatter as Formatter
from .formatting import is_rtl as is_rtl
from .isolation import Isolated as Isolated
from .isolation import isolate as isolate
from .profile import LocaleProfile as LocaleProfile
from .profile import locale_profile as locale_profile

__all__ = [
    "SHIPPED_LOCALES",
    "Formatter",
    "Isolated",
    "LocaleProfile",
    "is_rtl",
    "isolate",
    "locale_profile",
    "negotiate_locale",
    "translations",
]
