"""Render benchmarks: our email and SMS against the naive pipeline and the bare floor.

* naive: the same templates rendered with Jinja2 and Babel called directly,
  then premailer run on every message (``Composer(optimise=False, css_inlining="message")``);
* floor: the finished, already-inlined HTML of a sample message turned back
  into a template whose every data-derived string is a variable, rendered with
  Jinja2 from a context of pre-formatted strings (no formatting, no logic);
* ours: ``Composer.email`` — subject, preheader, inlined HTML and text.

Every message renders a different order, built before timing starts: its own
customer, address, prices, quantities and date (:func:`fresh_order`), so no
per-value cache can answer from an earlier message. Each timed pass gets orders
of its own too, so that nothing computed from one order is kept into the next
pass. (An order computes its sums when it is validated, to check its discount
against them: here, as in a shop, that happens when the order is built.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from statistics import median
from typing import Any

import jinja2

from relationclient import Address, Delivery, Email, Order, OrderLine, Sms, samples
from relationclient.composer import Composer
from relationclient.i18n import Formatter

_FIRST = ("Camille", "Léa", "Hugo", "Zoé", "Mathis", "Inès", "Louis", "Chloé", "Gabriel", "Manon")
_LAST = ("Dupont", "Martin", "Lefèvre", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller")
_STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue Victor Hugo")
_CITIES = (("69007", "Lyon"), ("75011", "Paris"), ("13006", "Marseille"), ("33000", "Bordeaux"))


def fresh_order(seed: int) -> Order:
    """A 5-line French order in which every shown value depends on ``seed``."""
    base = samples.order("fr", seed=seed)
    first, last = _FIRST[seed % len(_FIRST)], _LAST[seed // len(_FIRST) % len(_LAST)]
    postal_code, city = _CITIES[seed % len(_CITIES)]
    customer = samples.customer(
        "fr", first_name=first, last_name=last, email=f"client.{seed}@example.fr"
    )
    address = Address(
        name=f"{first} {last}",
        line1=f"{1 + seed % 197} {_STREETS[seed % len(_STREETS)]}",
        postal_code=postal_code,
        city=city,
        country="FR",
    )
    lines = tuple(
        OrderLine(
            sku=line.sku,
            name=line.name,
            quantity=1 + (seed + i) % 4,
            unit_price=line.unit_price + Decimal((seed * 37 + i * 11) % 997) / 100,
            tax_rate=line.tax_rate,
        )
        for i, line in enumerate(base.lines)
    )
    delivery = Delivery(
        method=base.delivery.method,
        address=address,
        estimated_date=base.delivery.estimated_date + timedelta(days=seed % 6),
    )
    fields = {name: getattr(base, name) for name in Order.model_fields}
    return Order(**{**fields, "customer": customer, "lines": lines, "delivery": delivery})


def _pass(fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def timed_side_by_side(
    cases: Sequence[tuple[Callable[[Any], object], Sequence[Sequence[Any]]]], repeat: int
) -> list[float]:
    """Median seconds per item of each case, passes interleaved so that the
    machine's ups and downs fall on every case alike.

    Each case gives one list of items per pass (pass ``r`` takes list
    ``r`` modulo their number), so that no pass meets objects an earlier one used.
    """
    runs: list[list[float]] = [[] for _ in cases]
    for r in range(repeat):
        for run, (fn, passes) in zip(runs, cases, strict=True):
            run.append(_pass(fn, passes[r % len(passes)]))
    return [median(run) for run in runs]


def _values(message: Email | Sms, order: Any, fmt: Formatter) -> list[str]:
    """Every data-derived string a message shows, longest first."""
    values = {order.number, order.customer.first_name, order.customer.email}
    values.add(fmt.datetime(order.placed_at))
    for line in order.lines:
        values |= {line.name, fmt.money(line.unit_price, order.currency)}
        values.add(fmt.money(line.total, order.currency))
    values |= {fmt.money(order.subtotal), fmt.money(order.total), fmt.money(order.tax)}
    values |= {fmt.money(t.amount) for t in order.tax_lines}
    if order.delivery.estimated_date:
        values.add(fmt.day(order.delivery.estimated_date))
    if order.delivery.address:
        values |= set(fmt.address(order.delivery.address))
    if order.tracking_url:
        values.add(order.tracking_url)
    return sorted((v for v in values if len(v) > 2), key=len, reverse=True)


def floor_template(html: str, values: Sequence[str]) -> tuple[jinja2.Template, list[str]]:
    """``html`` with each occurrence of ``values`` replaced by ``{{ vN }}``."""
    env = jinja2.Environment(autoescape=True)
    names: list[str] = []
    source = html.replace("{", "{{ '{' }}")
    for value in values:
        escaped = str(jinja2.utils.markupsafe.escape(value))
        for variant in {value, escaped}:
            if variant in source:
                names.append(variant)
                source = source.replace(variant, f"{{{{ v{len(names) - 1} }}}}")
    return env.from_string(source), names


def run(count: int, repeat: int) -> list[tuple[str, float, str]]:
    """Time the render paths; return (label, seconds per message, note) rows."""
    shop = samples.shop()
    fast, naive = Composer(shop), Composer(shop, optimise=False, css_inlining="message")
    # One set of fresh orders per timed pass, and one more to warm up with.
    batches = [[fresh_order(r * count + i) for i in range(count)] for r in range(repeat + 1)]
    warm, batches = batches[0], batches[1:]
    orders = batches[0]
    shipment_batches = [
        [samples.shipment("fr", seed=r * count + i, order=o) for i, o in enumerate(batch)]
        for r, batch in enumerate(batches, start=1)
    ]
    shipments = shipment_batches[0]
    fmt = Formatter("fr", "FR", "Europe/Paris")

    sample = fast.email("order_confirmation", order=orders[0])
    template, names = floor_template(sample.html, _values(sample, orders[0], fmt))
    contexts = []
    for order in orders:
        fresh = dict(zip(names, _values(sample, order, fmt), strict=False))
        contexts.append({f"v{i}": fresh.get(name, name) for i, name in enumerate(names)})

    sms_sample = fast.sms("shipment_sent", shipment=shipments[0])
    sms_values = [
        shipments[0].order.number,
        shipments[0].tracking_number,
        shipments[0].tracking_url,
    ]
    sms_source = sms_sample.body
    for i, value in enumerate(sms_values):
        sms_source = sms_source.replace(str(value), f"{{{{ v{i} }}}}")
    sms_floor = jinja2.Environment(autoescape=False).from_string(sms_source)
    sms_contexts = [
        {"v0": s.order.number, "v1": s.tracking_number, "v2": s.tracking_url} for s in shipments
    ]

    for composer in (fast, naive):  # compile templates outside the timing
        composer.email("order_confirmation", order=warm[0])
        composer.sms("shipment_sent", shipment=samples.shipment("fr", order=warm[1]))

    t_floor, t_fast, t_naive, t_sms_floor, t_sms = timed_side_by_side(
        [
            (template.render, [contexts]),
            (lambda o: fast.email("order_confirmation", order=o), batches),
            (
                lambda o: naive.email("order_confirmation", order=o),
                [batch[: max(count // 10, 5)] for batch in batches],
            ),
            (sms_floor.render, [sms_contexts]),
            (lambda s: fast.sms("shipment_sent", shipment=s), shipment_batches),
        ],
        repeat,
    )
    rows = [
        ("email: floor (inlined HTML, pre-formatted strings)", t_floor, f"{len(names)} variables"),
        ("email: naive (Jinja+Babel, premailer per message)", t_naive, ""),
        (
            "email: relationclient (subject, preheader, HTML, text)",
            t_fast,
            f"{t_naive / t_fast:.1f}x naive (target >= 20), "
            f"{t_fast / t_floor:.1f}x floor (target <= 4)",
        ),
        ("sms: floor", t_sms_floor, ""),
        (
            "sms: relationclient (body, encoding, segments)",
            t_sms,
            f"{t_sms / t_sms_floor:.1f}x floor (target <= 3)",
        ),
    ]
    return rows
