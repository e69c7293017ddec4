"""The carrier registry: how to link a tracking number to its carrier's public page.

A :class:`~relationclient.Shipment` whose ``tracking_url`` is not given gets one
from here. Names are matched loosely (``"La Poste"``, ``"laposte"`` and
``"Colissimo"`` all find La Poste's page). Shops add their own carriers with
:func:`register_carrier`::

    register_carrier(Carrier(key="bpost", name="bpost",
                             url="https://track.bpost.cloud/btr/web/#/search?itemCode={number}"))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

__all__ = ["CARRIERS", "Carrier", "find_carrier", "register_carrier", "tracking_url_for"]


@dataclass(frozen=True, slots=True)
class Carrier:
    """A parcel carrier and the pattern of its public tracking page.

    Attributes:
        key: Short identifier, lower case (``"colissimo"``).
        name: Name shown to customers (``"Colissimo"``).
        url: Tracking page with ``{number}`` where the tracking number goes.
        aliases: Other spellings that should find this carrier.
    """

    key: str
    name: str
    url: str
    aliases: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if "{number}" not in self.url or not self.url.startswith(("https://", "http://")):
            raise ValueError(f"carrier {self.key!r}: url must be http(s) and contain {{number}}")

    def tracking_url(self, number: str) -> str:
        """The public tracking page of ``number`` at this carrier."""
        return self.url.format(number=quote(number.strip(), safe=""))


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


CARRIERS: dict[str, Carrier] = {}
_ALIASES: dict[str, str] = {}


def register_carrier(carrier: Carrier) -> None:
    """Add or replace a carrier; its key, name and aliases all find it afterwards."""
    CARRIERS[carrier.key] = carrier
    for alias in (carrier.key, carrier.name, *carrier.aliases):
        _ALIASES[_norm(alias)] = carrier.key
    find_carrier.cache_clear()


@lru_cache(maxsize=1024)
def find_carrier(name: str) -> Carrier | None:
    """Find a carrier by key, name or alias, ignoring case, spaces and punctuation."""
    key = _ALIASES.get(_norm(name))
    return CARRIERS[key] if key else None


def tracking_url_for(carrier: str, number: str) -> str | None:
    """The public tracking URL of ``number`` at ``carrier``, or None for an unknown carrier."""
    found = find_carrier(carrier)
    return found.tracking_url(number) if found else None


for _carrier in (
    Carrier(
        "laposte",
        "La Poste",
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ("La Poste Lettre suivie",),
    ),
    Carrier(
        "colissimo",
        "Colissimo",
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        ("La Poste Colissimo", "Colissimo Expert", "Colissimo Access"),
    ),
    Carrier(
        "chronopost",
        "Chronopost",
        "https://www.chronopost.fr/tracking-no-cms/suivi-page?listeNumerosLT={number}",
    ),
    Carrier(
        "mondialrelay",
        "Mondial Relay",
        "https://www.mondialrelay.fr/suivi-de-colis/?numeroExpedition={number}",
        ("Mondial Relay Point Relais", "InPost Mondial Relay"),
    ),
    Carrier("dpd", "DPD", "https://trace.dpd.fr/fr/trace/{number}", ("DPD France", "DPD Predict")),
    Carrier(
        "gls",
        "GLS",
        "https://gls-group.com/FR/fr/suivi-colis?match={number}",
        ("GLS France",),
    ),
    Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier(
        "dhl",
        "DHL",
        "https://www.dhl.com/fr-fr/home/tracking/tracking-parcel.html?submit=1&tracking-id={number}",
        ("DHL Express", "DHL Parcel"),
    ),
    Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}", ("TNT",)),
):
    register_carrier(_carrier)
