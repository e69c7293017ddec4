"""The carrier registry: how to link a tracking number to its carrier's public page.

A :class:`~relationclient.Shipment` whose ``tracking_url`` is not given gets one
from here, on the carrier's site for the customer's country and in the
customer's language where the carrier offers it: a Belgian customer reading
Dutch gets DHL's ``be-nl`` page, bpost's ``lang=nl`` one, Swiss Post's
``lang=it`` page for an Italian speaker in Lugano. Names are matched loosely
(``"La Poste"``, ``"laposte"`` and ``"Colissimo"`` all find La Poste's page;
``"DPD UK"`` and ``"dpd-uk"`` the same carrier).

The language is chosen in this order, the first page the carrier has winning:
the customer's language in their country (``nl_BE``), that language anywhere
(``nl``), English, then the languages of the customer's country, then the
carrier's own page (:attr:`Carrier.url`).

Shops add their own carriers with :func:`register_carrier`::

    register_carrier(Carrier(key="velocite", name="Vélocité Lyon",
                             url="https://suivi.velocite.example/colis/{number}"))

An unknown carrier gives no link: the messages show the tracking number alone,
and a warning naming the carrier is logged once on the ``relationclient``
logger.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from string import Formatter
from types import MappingProxyType
from urllib.parse import quote, urlsplit

from babel.languages import get_official_languages

__all__ = ["CARRIERS", "Carrier", "find_carrier", "register_carrier", "tracking_url_for"]

logger = logging.getLogger("relationclient")

#: What a page's URL may contain: the tracking number, and the destination's
#: country and postal code (a page that needs one is used only when it is known).
_FIELDS = frozenset({"number", "country", "postal_code"})
_PAGE_KEY = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")


def _fields(key: str, template: str) -> frozenset[str]:
    """The placeholders of ``template``, checked: an https page that holds ``{number}``."""
    try:
        names = frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)
    except ValueError:
        names = frozenset({""})
    parts = urlsplit(template)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or "number" not in names
        or not names <= _FIELDS
        or re.search(r"[\s\x00-\x1f\x7f]", template)
    ):
        raise ValueError(
            f"carrier {key!r}: {template!r} must be an https:// URL with {{number}} where the "
            "tracking number goes (and may use {country} and {postal_code})"
        )
    return names


@dataclass(frozen=True, slots=True)
class Carrier:
    """A parcel carrier and the patterns of its public tracking pages.

    Attributes:
        key: Short identifier, lower case (``"colissimo"``).
        name: Name shown to customers (``"Colissimo"``).
        url: Tracking page with ``{number}`` where the tracking number goes;
            used when no page in :attr:`pages` suits the customer.
        aliases: Other spellings that should find this carrier.
        language: The language :attr:`url` is written in (``"fr"``), when known.
        pages: Tracking pages per language, keyed ``"nl"`` (any reader of
            Dutch) or ``"nl_BE"`` (one in Belgium). A page may also use
            ``{country}`` and ``{postal_code}``, the destination's, and is then
            used only when they are known.
    """

    key: str
    name: str
    url: str
    aliases: tuple[str, ...] = field(default=())
    language: str | None = None
    pages: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if _fields(self.key, self.url) != {"number"}:
            raise ValueError(f"carrier {self.key!r}: url may hold no placeholder but {{number}}")
        for key, template in self.pages.items():
            if not _PAGE_KEY.fullmatch(key):
                raise ValueError(
                    f"carrier {self.key!r}: page key {key!r} is not a language ('nl') "
                    "or a language and country ('nl_BE')"
                )
            _fields(self.key, template)
        object.__setattr__(self, "pages", MappingProxyType(dict(self.pages)))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this carrier's pages are offered in, sorted (``("en", "fr")``)."""
        found = {key.partition("_")[0] for key in self.pages}
        if self.language:
            found.add(self.language)
        return tuple(sorted(found))

    def tracking_url(
        self,
        number: str,
        locale: str | None = None,
        country: str | None = None,
        postal_code: str | None = None,
    ) -> str:
        """The public tracking page of ``number``, for a reader of ``locale`` in ``country``.

        Args:
            number: The tracking number (URL-quoted into the page).
            locale: The customer's locale (``"nl_BE"``, ``"nl"``); none: the
                languages of ``country``, then the carrier's own page.
            country: The customer's country (``"BE"``); by default the
                locale's. Also the destination that pages asking for the
                country and postal code receive.
            postal_code: The destination's postal code, for the pages that use it.
        """
        values = {"number": quote(number.strip(), safe="")}
        if country and country.strip():
            values["country"] = quote(country.strip().upper(), safe="")
        if postal_code and postal_code.strip():
            values["postal_code"] = quote(re.sub(r"\s", "", postal_code).upper(), safe="")
        for key in _wanted(locale, country):
            template = self.pages.get(key)
            if template is None and key == self.language:
                template = self.url
            if template is not None:
                page = _fill(template, values)
                if page is not None:
                    return page
        return self.url.format(number=values["number"])


def _fill(template: str, values: Mapping[str, str]) -> str | None:
    """``template`` with ``values``, or None when it needs one that is not known."""
    try:
        return template.format_map(values)
    except KeyError:
        return None


@lru_cache(maxsize=512)
def _wanted(locale: str | None, country: str | None) -> tuple[str, ...]:
    """The page keys to try for a reader of ``locale`` in ``country``, best first."""
    parts = [p for p in re.split(r"[-_@.]", (locale or "").strip()) if p]
    language = parts[0].lower() if parts and re.fullmatch(r"[A-Za-z]{2,3}", parts[0]) else None
    territory = next((p.upper() for p in parts[1:] if re.fullmatch(r"[A-Za-z]{2}", p)), None)
    where = (country or "").strip().upper() or territory
    languages: list[str] = [language, "en"] if language else []
    if where:
        languages += get_official_languages(where, de_facto=True)
    keys: list[str] = []
    for lang in languages:
        for key in (f"{lang}_{where}", lang) if where else (lang,):
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def _norm(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower())
    return re.sub(r"[^a-z0-9]", "", folded)


CARRIERS: dict[str, Carrier] = {}
_ALIASES: dict[str, str] = {}
_WARNED: set[str] = set()


def register_carrier(carrier: Carrier) -> None:
    """Add or replace a carrier; its key, name and aliases all find it afterwards."""
    CARRIERS[carrier.key] = carrier
    for alias in (carrier.key, carrier.name, *carrier.aliases):
        _ALIASES[_norm(alias)] = carrier.key
    find_carrier.cache_clear()


@lru_cache(maxsize=1024)
def find_carrier(name: str) -> Carrier | None:
    """Find a carrier by key, name or alias, ignoring case, accents, spaces and punctuation."""
    key = _ALIASES.get(_norm(name))
    return CARRIERS[key] if key else None


def tracking_url_for(
    carrier: str,
    number: str,
    *,
    locale: str | None = None,
    country: str | None = None,
    postal_code: str | None = None,
) -> str | None:
    """The public tracking URL of ``number`` at ``carrier``, in the reader's language.

    ``locale``, ``country`` and ``postal_code`` are those of
    :meth:`Carrier.tracking_url`; without them the carrier's own page is given.
    An unknown carrier gives None, and a warning naming it is logged once on
    the ``relationclient`` logger: the messages then show the tracking number
    without a link.
    """
    found = find_carrier(carrier)
    if found is None:
        _warn_unknown(carrier)
        return None
    return found.tracking_url(number, locale=locale, country=country, postal_code=postal_code)


def _warn_unknown(carrier: str) -> None:
    name = _norm(carrier)
    if name in _WARNED:
        return
    if len(_WARNED) >= 4096:  # names are shop data: keep the memory of them bounded
        _WARNED.clear()
    _WARNED.add(name)
    logger.warning(
        "unknown carrier %r: its shipments have no tracking link (the tracking number is shown "
        "alone); register it with relationclient.carriers.register_carrier() or give the "
        "shipment a tracking_url",
        carrier,
    )


# --- The built-in carriers ---------------------------------------------------------------
#
# Each URL pattern is the carrier's own public tracking page with the number in it; the
# table in docs/carriers.rst says where each comes from.

#: The country sites of the global carriers (DHL, UPS, FedEx) and their languages.
_SITES: dict[str, tuple[str, ...]] = {
    "DE": ("de", "en"),
    "AT": ("de", "en"),
    "CH": ("de", "fr", "it", "en"),
    "BE": ("nl", "fr", "en"),
    "NL": ("nl", "en"),
    "FR": ("fr", "en"),
    "GB": ("en",),
    "IE": ("en",),
    "IT": ("it", "en"),
    "ES": ("es", "en"),
    "PT": ("pt", "en"),
    "PL": ("pl", "en"),
}
#: The site a reader of a language gets outside those countries.
_HOME = {"de": "DE", "fr": "FR", "nl": "NL", "it": "IT", "es": "ES", "pt": "PT", "pl": "PL"}


def _localized(
    page: Callable[[str, str], str], english: str, skip: Iterable[str] = ()
) -> dict[str, str]:
    """``page(language, country)`` for every site in :data:`_SITES`, and each language's home.

    ``english`` is the country whose site serves English readers elsewhere.
    """
    left_out = set(skip)
    pages = {
        f"{lang}_{cc}": page(lang, cc)
        for cc, langs in _SITES.items()
        for lang in langs
        if lang not in left_out
    }
    homes = {**_HOME, "en": english}
    pages |= {lang: page(lang, cc) for lang, cc in homes.items() if lang not in left_out}
    return pages


def _dhl(path: str) -> Callable[[str, str], str]:
    """DHL's ``path`` on the site of a language and country: ``dhl.com/be-nl/home/…``."""
    return lambda lang, cc: f"https://www.dhl.com/{cc.lower()}-{lang}/home/{path}"


_DHL_PARCEL = _dhl("tracking/tracking-parcel.html?submit=1&tracking-id={number}")
_DHL_EXPRESS = _dhl("tracking/tracking-express.html?submit=1&tracking-id={number}")
_DHL_DE = "https://www.dhl.de/{}/privatkunden/dhl-sendungsverfolgung.html?piececode={{number}}"


def _ups(lang: str, cc: str) -> str:
    return f"https://www.ups.com/track?loc={lang}_{cc}&tracknum={{number}}"


def _fedex(lang: str, cc: str) -> str:
    return f"https://www.fedex.com/fedextrack/?trknbr={{number}}&locale={lang}_{cc}"


def _dpd_status(locale: str) -> str:
    return f"https://tracking.dpd.de/status/{locale}/parcel/{{number}}"


def _dpdgroup(cc: str, lang: str) -> str:
    return (
        f"https://www.dpdgroup.com/{cc}/mydpd/my-parcels/track?lang={lang}&parcelNumber={{number}}"
    )


_GLS = "https://gls-group.com/"

#: The national networks of DPD and GLS: their tracking page per language, the
#: country's main language first.
_DPD: dict[str, dict[str, str]] = {
    "DE": {"de": _dpd_status("de_DE"), "en": _dpd_status("en_US")},
    "AT": {"de": _dpd_status("de_AT"), "en": _dpd_status("en_US")},
    "FR": {"fr": "https://trace.dpd.fr/fr/trace/{number}"},
    "BE": {lang: _dpdgroup("be", lang) for lang in ("nl", "fr", "en")},
    "NL": {lang: _dpdgroup("nl", lang) for lang in ("nl", "en")},
    "GB": {"en": "https://track.dpd.co.uk/search?reference={number}"},
    "IT": {"it": _dpd_status("it_IT"), "en": _dpd_status("en_US")},
    "ES": {"es": _dpd_status("es_ES"), "en": _dpd_status("en_US")},
}
_GLS_PAGES: dict[str, dict[str, str]] = {
    "DE": {
        "de": _GLS + "DE/de/paketverfolgung?match={number}",
        "en": _GLS + "DE/en/parcel-tracking?match={number}",
    },
    "AT": {
        "de": _GLS + "AT/de/paket-verfolgen/?match={number}",
        "en": _GLS + "AT/en/parcel-tracking?match={number}",
    },
    "FR": {
        "fr": _GLS + "FR/fr/suivi-colis?match={number}",
        "en": _GLS + "FR/en/parcel-tracking?match={number}",
    },
    "BE": {
        "nl": _GLS + "BE/vl/pakket-volgen/?match={number}",
        "fr": _GLS + "BE/fr/suivi-colis?match={number}",
        "en": _GLS + "BE/en/parcel-tracking?match={number}",
    },
    "NL": {"nl": "https://www.gls-info.nl/tracking?trackid={number}&zipcode={postal_code}"},
    "IT": {"it": _GLS + "IT/it/servizi-online/ricerca-spedizioni/?match={number}&type=NAT"},
    "ES": {"es": _GLS + "ES/es/seguimiento-envio/?match={number}"},
    "GB": {"en": _GLS + "GB/en/parcel-tracking?match={number}"},
    "IE": {"en": _GLS + "IE/en/parcel-tracking/?match={number}"},
}
_GLS_EU = _GLS + "EU/en/parcel-tracking?match={number}"

#: Names of the national networks: country code → (name part, other spellings).
_NETWORKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "DE": ("Germany", ("Deutschland",)),
    "AT": ("Austria", ("Österreich",)),
    "FR": ("France", ()),
    "BE": ("Belgium", ("Belgique", "België")),
    "NL": ("Netherlands", ("Nederland",)),
    "GB": ("UK", ("United Kingdom",)),
    "IT": ("Italy", ("Italia",)),
    "ES": ("Spain", ("España",)),
    "IE": ("Ireland", ()),
}


def _networks(
    brand: str, table: Mapping[str, Mapping[str, str]], fallback: tuple[str, str], *aliases: str
) -> list[Carrier]:
    """The carrier ``brand`` choosing the network of the customer's country, and each network.

    ``fallback`` is the (language, page) of a reader the brand has no page for.
    """
    pages = {f"{lang}_{cc}": url for cc, langs in table.items() for lang, url in langs.items()}
    for langs in table.values():
        for lang, url in langs.items():
            pages.setdefault(lang, url)  # a language read abroad: its first country's network
    language, url = fallback
    pages[language] = url
    found = [Carrier(brand.lower(), brand, url, aliases, language, pages)]
    for cc, langs in table.items():
        country, spellings = _NETWORKS[cc]
        own = [(lang, page) for lang, page in langs.items() if _fields(brand, page) == {"number"}]
        home_language, home = own[0] if own else fallback
        found.append(
            Carrier(
                f"{brand.lower()}-{cc.lower()}",
                f"{brand} {country}",
                home,
                tuple(f"{brand} {spelling}" for spelling in spellings),
                home_language,
                dict(langs),
            )
        )
    return found


_LAPOSTE = {"en": "https://www.laposte.fr/outils/track-a-parcel?code={number}"}
_CHRONOPOST = "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}&langue="
_BPOST = "https://track.bpost.cloud/btr/web/#/search?itemCode={number}&lang="
_POSTNL = (
    "https://jouw.postnl.{}/track-and-trace/{{number}}-{{country}}-{{postal_code}}?language={}"
)
_SWISS_POST = "https://service.post.ch/ekp-web/ui/entry/search/{number}?lang="
_SEUR = "https://www.seur.com/livetracking/?segOnlineIdentificador={number}&segOnlineIdioma="

for _carrier in (
    Carrier(
        "laposte",
        "La Poste",
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ("La Poste Lettre suivie",),
        "fr",
        _LAPOSTE,
    ),
    Carrier(
        "colissimo",
        "Colissimo",
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ("La Poste Colissimo", "Colissimo Expert", "Colissimo Access"),
        "fr",
        _LAPOSTE,
    ),
    Carrier("chronopost", "Chronopost", _CHRONOPOST + "fr", (), "fr", {"en": _CHRONOPOST + "en"}),
    Carrier(
        "mondialrelay",
        "Mondial Relay",
        "https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition={number}",
        ("Mondial Relay Point Relais", "InPost Mondial Relay"),
        "fr",
    ),
    Carrier(
        "dhl",
        "DHL",
        _DHL_PARCEL("en", "GLOBAL"),
        ("DHL Parcel", "DHL eCommerce"),
        "en",
        _localized(_DHL_PARCEL, "GLOBAL"),
    ),
    Carrier(
        "dhlexpress",
        "DHL Express",
        _DHL_EXPRESS("en", "GLOBAL"),
        (),
        "en",
        _localized(_DHL_EXPRESS, "GLOBAL"),
    ),
    # dhl.de reads German and English; other readers get the same parcel on dhl.com.
    Carrier(
        "dhlpaket",
        "DHL Paket",
        _DHL_DE.format("de"),
        ("DHL Paket Germany", "DHL Paket International", "DHL Germany", "DHL DE", "Warenpost"),
        "de",
        {"en": _DHL_DE.format("en"), **_localized(_DHL_PARCEL, "GLOBAL", skip=("de", "en"))},
    ),
    Carrier(
        "hermes",
        "Hermes",
        "https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation/#{number}",
        ("Hermes Germany", "Hermes DE", "myHermes"),
        "de",
    ),
    Carrier(
        "evri",
        "Evri",
        "https://www.evri.com/track/parcel/{number}",
        ("Hermes UK", "myHermes UK"),
        "en",
    ),
    *_networks("DPD", _DPD, ("en", _dpd_status("en_US")), "DPD Predict", "DPDgroup"),
    *_networks("GLS", _GLS_PAGES, ("en", _GLS_EU), "GLS Group", "General Logistics Systems"),
    Carrier(
        "postnl",
        "PostNL",
        "https://postnl.nl/tracktrace/?B={number}&T=C",
        ("PostNL Pakketten",),
        "nl",
        {
            "nl": _POSTNL.format("nl", "nl"),
            "en": _POSTNL.format("nl", "en"),
            "nl_BE": _POSTNL.format("be", "nl"),
            "fr_BE": _POSTNL.format("be", "fr"),
            "en_BE": _POSTNL.format("be", "en"),
            "fr": _POSTNL.format("be", "fr"),
        },
    ),
    Carrier(
        "bpost",
        "bpost",
        _BPOST + "nl",
        ("Belgian Post", "De Post", "La Poste belge", "bpost Belgium"),
        "nl",
        {"fr": _BPOST + "fr", "en": _BPOST + "en"},
    ),
    Carrier(
        "royalmail",
        "Royal Mail",
        "https://www.royalmail.com/portal/rm/track?trackNumber={number}",
        ("Royal Mail Tracked", "Royal Mail Tracked 24", "Royal Mail Tracked 48"),
        "en",
    ),
    Carrier(
        "swisspost",
        "Swiss Post",
        _SWISS_POST + "de",
        ("Post CH", "Die Schweizerische Post", "La Poste Suisse", "Posta Svizzera", "PostCH"),
        "de",
        {lang: _SWISS_POST + lang for lang in ("fr", "it", "en")},
    ),
    Carrier(
        "postat",
        "Österreichische Post",
        "https://www.post.at/s/sendungsdetails?snr={number}",
        ("Austrian Post", "Post AT", "Post AG", "post.at"),
        "de",
        {"en": "https://www.post.at/en/s/sendungsdetails?snr={number}"},
    ),
    Carrier(
        "posteitaliane",
        "Poste Italiane",
        "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{number}",
        ("Poste Delivery", "Poste Delivery Business", "Italian Post"),
        "it",
    ),
    Carrier(
        "correos",
        "Correos",
        "https://www.correos.es/es/es/herramientas/localizador/envios/detalle?tracking-number={number}",
        ("Correos España", "Correos Spain"),
        "es",
    ),
    Carrier("seur", "SEUR", _SEUR + "es", (), "es", {"en": _SEUR + "en"}),
    Carrier(
        "ups", "UPS", _ups("en", "US"), ("United Parcel Service",), "en", _localized(_ups, "US")
    ),
    Carrier(
        "fedex",
        "FedEx",
        _fedex("en", "US"),
        ("TNT", "FedEx Express"),
        "en",
        _localized(_fedex, "US"),
    ),
):
    register_carrier(_carrier)

#: The keys of the carriers shipped with relationclient (docs/carriers.rst lists them all).
_BUILT_IN = tuple(CARRIERS)
