"""Memory benchmark: render a long stream of messages and watch the resident set size.

Every cache on the render path is bounded, so memory must level off: the RSS
after the whole stream should be within a few MB of the RSS after the first
tenth.
"""

from __future__ import annotations

import gc
import os
from urllib.parse import quote

from relationclient import Customer, samples
from relationclient.composer import Composer


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _unsubscribe(customer: Customer) -> str:
    # Marketing emails (a promo for a consenting customer) need the shop's
    # unsubscribe link; a callable is the form every release accepts.
    return f"https://www.maison-lumiere.fr/desinscription?c={quote(customer.email, safe='')}"


def run(count: int) -> list[tuple[str, float, str]]:
    """Render ``count`` messages (emails and SMS, all kinds and locales) as a stream."""
    composer = Composer(samples.shop(), unsubscribe_url=_unsubscribe)
    kinds = ("order_confirmation", "shipment_sent", "order_delayed", "delivery_check")
    checkpoints = {max(count // 10, 1): "10%", count // 2: "50%", count: "100%"}
    readings: dict[str, float] = {}
    for i in range(1, count + 1):
        locale = samples.LOCALES[i % len(samples.LOCALES)]
        kind = kinds[i % len(kinds)]
        context = samples.context(kind, locale, seed=i)
        if i % 5:
            composer.email(kind, **context)
        else:
            composer.sms(kind, **context)
        if i in checkpoints:
            gc.collect()
            readings[checkpoints[i]] = _rss_mb()
    growth = readings["100%"] - readings["10%"]
    return [
        (f"memory: RSS after {label} of {count:,} messages", mb, "MB")
        for label, mb in readings.items()
    ] + [("memory: growth from 10% to 100%", growth, "MB (flat means a few MB at most)")]
