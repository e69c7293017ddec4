"""Render benchmarks: our email and SMS against the naive pipeline and the bare floor.

* naive: the same templates rendered with Jinja2 and Babel called directly,
  then premailer run on every message (``Composer(optimise=False, css_inlining="message")``);
* floor: the finished, already-inlined HTML of a sample message turned back
  into a template whose every data-derived string is a variable, rendered with
  Jinja2 from a context of pre-formatted strings (no formatting, no logic);
* ours: ``Composer.email`` — subject, preheader, inlined HTML and text.

Every iteration renders a different order (fresh data); the orders are built
before timing starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from statistics import median
from typing import Any

import jinja2

from relationclient import Email, Sms, samples
from relationclient.composer import Composer
from relationclient.i18n import Formatter


def _pass(fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items)


def timed_side_by_side(
    cases: Sequence[tuple[Callable[[Any], object], Sequence[Any]]], repeat: int
) -> list[float]:
    """Median seconds per item of each case, passes interleaved so that the
    machine's ups and downs fall on every case alike."""
    runs: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for run, (fn, items) in zip(runs, cases, strict=True):
            run.append(_pass(fn, items))
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
    orders = [samples.order("fr", seed=i) for i in range(count)]
    shipments = [samples.shipment("fr", seed=i) for i in range(count)]
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

    for warm in (fast, naive):  # compile templates outside the timing
        warm.email("order_confirmation", order=orders[0])
        warm.sms("shipment_sent", shipment=shipments[0])

    t_floor, t_fast, t_naive, t_sms_floor, t_sms = timed_side_by_side(
        [
            (template.render, contexts),
            (lambda o: fast.email("order_confirmation", order=o), orders),
            (lambda o: naive.email("order_confirmation", order=o), orders[: max(count // 10, 5)]),
            (sms_floor.render, sms_contexts),
            (lambda s: fast.sms("shipment_sent", shipment=s), shipments),
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
