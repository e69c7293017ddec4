"""Render benchmark: our order email beside the naive pipelines and the bare floor.

Four ways to produce the subject, preheader, CSS-inlined HTML and text of a
five-line French ``order_confirmation``, timed side by side in one process:

* **relationclient**: ``Composer(shop).email(...)`` — Jinja's compiled
  templates, Babel called directly, the stylesheet inlined into each HTML
  template once when it loads, and a validated ``Email`` built;
* **naive, premailer**: the same templates rendered with Jinja and Babel, then
  premailer run on every finished message:
  ``Composer(shop, css_inlining="message")``;
* **naive, css-inline**: the same, with css-inline (Rust) in place of
  premailer: the prepared context from the public ``Composer.context``, the
  un-inlined templates rendered by a ``Renderer(inline_css=False)``, then
  ``css_inline`` on the HTML. It stops at the four strings and builds no
  ``Email``, so the comparison leans its way;
* **floor**: the finished HTML and text of one message turned back into two
  Jinja templates in which every data-derived string is a variable, rendered
  from a dictionary of strings formatted before timing starts. It is Jinja
  putting the same bytes out with nothing else to do: no formatting, no
  translation, no logic, no message built. A lower bound, not a target.

Every message renders a different order, built before timing starts: its own
customer, address, prices, quantities and date (:func:`fresh_order`, built on
``samples.order("fr", seed=i)``), so no per-value cache can answer from an
earlier message; each timed pass gets orders of its own. (An order computes
its sums when it is validated: here, as in a shop, that happens when the order
is built.) Passes of every path are interleaved, so the machine's ups and
downs fall on all of them alike; each message is timed on its own and the
figure is the median over all of them.

Beside the render: what sending one such message costs (its bytes on the
wire, one Maildir delivery) and what importing ``relationclient`` costs. The
bytes are timed side by side with the standard library's usual way of making
them (:func:`stdlib_mime_bytes`, what ``Email.to_mime`` did before it encoded
its parts itself), each message fresh; then ``Email.as_bytes()`` of the same
messages, whose parts are encoded already, and once more, when it has kept
its bytes (a retry).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from statistics import median
from typing import Any

import jinja2
import markupsafe

from relationclient import Address, Delivery, Email, Order, OrderLine, samples
from relationclient.composer import Composer
from relationclient.rendering.renderer import Renderer
from relationclient.transports import MaildirTransport

Row = tuple[str, float, str]

#: The targets of DESIGN.md, "Performance targets".
MAX_MEDIAN_MS = 2.0
MIN_TIMES_NAIVE = 8.0

_FIRST = ("Camille", "Léa", "Hugo", "Zoé", "Mathis", "Inès", "Louis", "Chloé", "Gabriel", "Manon")
_LAST = ("Dupont", "Martin", "Lefèvre", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller")
_STREETS = ("rue de la République", "avenue Jean Jaurès", "boulevard Voltaire", "rue Victor Hugo")
_CITIES = (("69007", "Lyon"), ("75011", "Paris"), ("13006", "Marseille"), ("33000", "Bordeaux"))
KIND = "order_confirmation"


def fresh_order(seed: int) -> Order:
    """A 5-line French order in which every shown value depends on ``seed``.

    ``samples.order("fr", seed=seed)`` varies the number, quantities, prices
    and time; this also varies the customer, the address, every unit price and
    the delivery date.
    """
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
    promised = base.delivery.estimated_date
    assert promised is not None  # the sample order promises a date
    delivery = Delivery(
        method=base.delivery.method,
        address=address,
        estimated_date=promised + timedelta(days=seed % 6),
    )
    fields = {name: getattr(base, name) for name in Order.model_fields}
    return Order(**{**fields, "customer": customer, "lines": lines, "delivery": delivery})


# -- the naive pipeline with css-inline -----------------------------------------------------
def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    body = "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))
    return re.sub(r"\n{3,}", "\n\n", body) + "\n"


class CssInlinePipeline:
    """Jinja and Babel through relationclient's public pieces, then css-inline per message."""

    def __init__(self, composer: Composer) -> None:
        try:
            import css_inline
        except ImportError as exc:  # pragma: no cover - a set-up error, said plainly
            raise SystemExit(
                "the render benchmark compares with css-inline: pip install css-inline "
                "(or the project's test extra)"
            ) from exc
        self.composer = composer
        self.renderer = Renderer(theme=composer.theme, inline_css=False)
        try:  # @media rules stay in <style>, as premailer and our templates keep them
            inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        except TypeError:  # css-inline before 0.17 has no keep_at_rules
            inliner = css_inline.CSSInliner(load_remote_stylesheets=False)
        self.inline: Callable[[str], str] = inliner.inline

    def email(self, kind: str, **context: Any) -> tuple[str, str, str, str]:
        """Subject, preheader, inlined HTML and text of message ``kind``."""
        ctx = self.composer.context(kind, **context)
        values, catalog = ctx.values, ctx.profile.catalog
        text, blocks = self.renderer.render_with_blocks(
            f"email/{kind}.txt", catalog, values, ("subject", "preheader")
        )
        subject, preheader = _one_line(blocks["subject"]), _one_line(blocks["preheader"])
        values.update(subject=subject, preheader=preheader)
        html = self.renderer.render(f"email/{kind}.html", catalog, values)
        return subject, preheader, self.inline(html), _tidy(text)


# -- the floor -----------------------------------------------------------------------------
def shown_values(composer: Composer, order: Order) -> dict[str, str]:
    """Every data-derived string an order confirmation shows, formatted as the email does."""
    o = composer.context(KIND, order=order).values["o"]
    customer = order.customer
    values = {
        "number": o.number,
        "first_name": customer.first_name,
        "email": customer.email,
        "placed": o.placed,
        "subtotal": o.subtotal,
        "shipping": o.shipping or "",
        "discount": o.discount or "",
        "total": o.total,
        "day": o.delivery_day or "",
        "tracking_url": o.tracking_url or "",
    }
    for i, line in enumerate(o.lines):
        values |= {f"name{i}": line.name, f"unit{i}": line.unit_price, f"line{i}": line.total}
    for i, tax in enumerate(o.taxes):
        values |= {f"rate{i}": tax.rate, f"tax{i}": tax.amount}
    for i, text in enumerate(o.delivery_address):
        values[f"address{i}"] = text
    # Plain strings: an isolated value's span is static markup of the floor template,
    # and its bare text also shows where no span goes (the <title>).
    return {key: str(value) for key, value in values.items()}


def floor_template(
    finished: str, values: dict[str, str], *, html: bool
) -> tuple[jinja2.Template, list[str]]:
    """``finished`` with every occurrence of a value replaced by ``{{ its key }}``.

    Longest values first, so a value inside a longer one does not cut it up.
    Values shorter than three characters (quantities) are left as text; a key
    whose value is not found (or is found under an earlier key) is left out.
    Returns the template and the keys it uses.
    """
    source = finished.replace("{", "{{ '{' }}")
    used: list[str] = []
    for key, value in sorted(values.items(), key=lambda kv: len(kv[1]), reverse=True):
        if len(value) < 3:
            continue
        variants = {value, str(markupsafe.escape(value))} if html else {value}
        for variant in variants:
            if variant in source:
                source = source.replace(variant, f"{{{{ {key} }}}}")
                used.append(key)
    env = jinja2.Environment(autoescape=html, keep_trailing_newline=True)
    return env.from_string(source), sorted(set(used))


class Floor:
    """The HTML and text of one message as templates of pre-formatted strings."""

    def __init__(self, composer: Composer, sample: Order) -> None:
        email = composer.email(KIND, order=sample)
        values = shown_values(composer, sample)
        self.html, html_keys = floor_template(email.html, values, html=True)
        self.text, text_keys = floor_template(email.text, values, html=False)
        self.variables = len(html_keys) + len(text_keys)
        # The floor must give back the message it was made from.
        if self.render(values) != (email.html, email.text):
            raise RuntimeError("the floor templates do not give back their own message")

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """The HTML and text from pre-formatted ``values``."""
        return self.html.render(values), self.text.render(values)


# -- timing --------------------------------------------------------------------------------
def _each(fn: Callable[[Any], object], items: Sequence[Any]) -> Iterator[float]:
    clock = time.perf_counter
    for item in items:
        start = clock()
        fn(item)
        yield clock() - start


def side_by_side(
    cases: Sequence[tuple[Callable[[Any], object], Sequence[Sequence[Any]]]], repeat: int
) -> list[float]:
    """Median seconds per item of each case, every item timed on its own.

    Passes are interleaved case by case, so that the machine's ups and downs
    fall on every case alike. Each case gives one list of items per pass
    (pass ``r`` takes list ``r`` modulo their number), so that no pass meets
    objects an earlier one used.
    """
    times: list[list[float]] = [[] for _ in cases]
    for r in range(repeat):
        for spent, (fn, passes) in zip(times, cases, strict=True):
            spent.extend(_each(fn, passes[r % len(passes)]))
    return [median(spent) for spent in times]


def _mime_bytes(email: Email) -> bytes:
    return email.to_mime().as_bytes()


def _as_bytes(email: Email) -> bytes:
    return email.as_bytes()


def stdlib_mime_bytes(email: Email) -> bytes:
    """The bytes of ``email`` made the standard library's usual way.

    :class:`~email.message.EmailMessage` with :data:`email.policy.SMTP`, the
    headers set one by one, ``set_content`` and ``add_alternative`` (the
    default content manager's quoted-printable), the generator choosing a
    boundary: what ``Email.to_mime`` did until it encoded its parts itself.
    """
    msg = EmailMessage(policy=SMTP)
    msg["From"] = email.sender.header_address()
    msg["To"] = email.to.header_address()
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    if email.created_at is not None:
        msg["Date"] = format_datetime(email.created_at)
    for name, value in email.headers.items():
        msg[name] = value
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes()


def import_time(runs: int) -> tuple[float, bool]:
    """Median seconds of ``import relationclient`` in a fresh interpreter, and whether
    that import pulled premailer in."""
    probe = (
        "import sys, time; t = time.perf_counter(); import relationclient; "
        "print(time.perf_counter() - t, 'premailer' in sys.modules)"
    )
    seconds, premailer = [], False
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
        seconds.append(float(out[0]))
        premailer |= out[1] == "True"
    return median(seconds), premailer


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def run(count: int, repeat: int, quick: bool = False) -> list[Row]:
    """Time the render paths and one message's sending; return (label, value, unit) rows."""
    shop = samples.shop()
    ours, naive = Composer(shop), Composer(shop, css_inlining="message")
    fast_naive = CssInlinePipeline(Composer(shop))
    # One set of fresh orders per timed pass, and one more to warm up with.
    batches = [[fresh_order(r * count + i) for i in range(count)] for r in range(repeat + 1)]
    warm, batches = batches[0], batches[1:]
    naive_batches = [batch[: max(count // 10, 5)] for batch in batches]
    shipment_batches = [
        [samples.shipment("fr", seed=r * count + i, order=o) for i, o in enumerate(batch)]
        for r, batch in enumerate(batches, start=1)
    ]

    floor = Floor(ours, warm[0])
    floor_batches = [[shown_values(ours, o) for o in batch] for batch in batches]
    sms_sample = ours.sms("shipment_sent", shipment=shipment_batches[0][0])
    sms_source = sms_sample.body
    first = shipment_batches[0][0]
    for key, value in (
        ("url", first.tracking_url),
        ("number", first.order.number),
        ("tracking", first.tracking_number),
    ):
        sms_source = sms_source.replace(str(value), f"{{{{ {key} }}}}")
    sms_floor = jinja2.Environment(autoescape=False).from_string(sms_source)
    sms_floor_batches = [
        [
            {"url": s.tracking_url, "number": s.order.number, "tracking": s.tracking_number}
            for s in batch
        ]
        for batch in shipment_batches
    ]

    # Load and compile every template outside the timing.
    ours.email(KIND, order=warm[1])
    naive.email(KIND, order=warm[2])
    fast_naive.email(KIND, order=warm[3])
    ours.sms("shipment_sent", shipment=samples.shipment("fr", order=warm[4]))

    t_floor, t_ours, t_css, t_naive, t_sms_floor, t_sms = side_by_side(
        [
            (lambda values: floor.render(values), floor_batches),
            (lambda o: ours.email(KIND, order=o), batches),
            (lambda o: fast_naive.email(KIND, order=o), batches),
            (lambda o: naive.email(KIND, order=o), naive_batches),
            (sms_floor.render, sms_floor_batches),
            (lambda s: ours.sms("shipment_sent", shipment=s), shipment_batches),
        ],
        repeat,
    )

    # One message on its way: its bytes, one Maildir delivery (write, fsync, rename).
    # A message keeps the bytes it made, so every pass gets emails of its own.
    mime_batches = [
        [ours.email(KIND, order=o) for o in batch[: max(count // 2, 5)]] for batch in batches
    ]
    emails = mime_batches[0]
    size = len(emails[0].as_bytes())
    stdlib_size = len(stdlib_mime_bytes(emails[0]))
    t_stdlib, t_mime, t_generate, t_again = side_by_side(
        [
            (stdlib_mime_bytes, mime_batches),
            (_mime_bytes, mime_batches),  # each message fresh: its parts encoded, then written
            (_as_bytes, mime_batches),  # the parts already encoded: written, and kept
            (_as_bytes, mime_batches),  # kept: a retry, or a second transport
        ],
        repeat,
    )
    emails = [ours.email(KIND, order=o) for o in batches[0]]
    with tempfile.TemporaryDirectory() as tmp:
        maildir = MaildirTransport(tmp)
        maildir.send(emails[0])
        (t_maildir,) = side_by_side([(maildir.send, [emails[1:]])], 1)
    t_import, premailer = import_time(2 if quick else 7)

    ms = 1000.0
    rows: list[Row] = [
        (
            "email: floor (Jinja, pre-formatted strings)",
            t_floor * ms,
            f"ms  HTML + text, {floor.variables} variables",
        ),
        ("email: naive, Jinja + Babel, premailer per message", t_naive * ms, "ms"),
        ("email: naive, Jinja + Babel, css-inline per message", t_css * ms, "ms  (no Email built)"),
        (
            "email: relationclient (subject, preheader, HTML, text)",
            t_ours * ms,
            f"ms  {t_naive / t_ours:.1f}x naive, {t_css / t_ours:.2f}x css-inline, "
            f"{t_ours / t_floor:.1f}x floor",
        ),
        ("sms: floor (Jinja, pre-formatted strings)", t_sms_floor * ms, "ms"),
        (
            "sms: relationclient (body, encoding, segments)",
            t_sms * ms,
            f"ms  {t_sms / t_sms_floor:.1f}x floor",
        ),
        (
            "send one: stdlib EmailMessage, set_content (as before)",
            t_stdlib * ms,
            f"ms  {stdlib_size:,} bytes, {t_stdlib / t_ours:.1f}x the render",
        ),
        (
            "send one: Email.to_mime().as_bytes()",
            t_mime * ms,
            f"ms  {size:,} bytes, {t_mime / t_ours:.1f}x the render, "
            f"{t_stdlib / t_mime:.2f}x faster than stdlib",
        ),
        ("send one: Email.as_bytes(), parts already encoded", t_generate * ms, "ms"),
        ("send one again: Email.as_bytes(), bytes kept", t_again * ms, "ms  (a retry)"),
        (
            "send one: MaildirTransport.send (bytes, fsync, rename)",
            t_maildir * ms,
            f"ms  {t_maildir / t_ours:.1f}x the render",
        ),
        (
            "import relationclient (fresh interpreter)",
            t_import * ms,
            "ms  premailer " + ("IMPORTED (it should not be)" if premailer else "not imported"),
        ),
    ]
    caveat = "  (quick run: not meaningful)" if quick else ""
    rows += [
        (
            f"target: email median <= {MAX_MEDIAN_MS:g} ms",
            t_ours * ms,
            f"ms  {_verdict(t_ours * ms <= MAX_MEDIAN_MS)}{caveat}",
        ),
        (
            f"target: >= {MIN_TIMES_NAIVE:g}x naive (premailer)",
            t_naive / t_ours,
            f"x   {_verdict(t_naive / t_ours >= MIN_TIMES_NAIVE)}{caveat}",
        ),
        (
            "target: no slower than naive with css-inline",
            t_css / t_ours,
            f"x   {_verdict(t_ours <= t_css)}{caveat}",
        ),
        (
            "target: message bytes >= 2x faster than stdlib",
            t_stdlib / t_mime,
            f"x   {_verdict(t_stdlib >= 2 * t_mime)}{caveat}",
        ),
    ]
    return rows
