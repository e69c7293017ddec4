"""What every message must show, as code: used by the tests and by ``relationclient check``.

The rules come from ``DESIGN.md`` ("Message kinds and what each must show"):
an order confirmation shows every line with its quantity, unit price and line
total, the totals, the delivery method, address and date, the tracking link,
the 14-day withdrawal right for EU shops, and the shop's contact block (name,
phone with its opening hours, postal address, email) — formatted exactly as
:class:`~relationclient.i18n.Formatter` formats them for the reader, so a
check finds ``1 365,20 €`` in French and ``€1,365.20`` in English.

Three layers, each usable alone:

* :func:`must_show` lists the :class:`Requirement` of one kind, channel and
  context — text that must appear (or, for a promo code sent without marketing
  consent, must not);
* :func:`message_problems` checks a rendered :class:`~relationclient.Email`
  or :class:`~relationclient.Sms` against them, plus size and segment budgets;
* :func:`run_checks` is a shop's CI in one call: its template overrides
  compile, its catalogs are complete for every locale, and every kind ×
  channel × locale renders from sample data with everything it must show.

Example:
    >>> from relationclient import Composer, samples
    >>> composer = Composer(samples.shop())
    >>> context = samples.context("order_confirmation", "fr")
    >>> email = composer.email("order_confirmation", **context)
    >>> message_problems(composer, email, context)
    []
"""

from __future__ import annotations

import html as htmllib
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Literal

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg  # type: ignore[attr-defined]
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from jinja2 import meta
from pydantic import BaseModel, ValidationError

from . import samples
from .composer import DEFAULT_HTML_LIMIT, Composer
from .errors import ConfigurationError, RelationClientError
from .i18n import Formatter, locale_profile, translations
from .i18n.catalogs import CATALOG_DIR, DOMAIN, SHIPPED_LOCALES
from .messages import Email, Kind, Sms
from .models import Customer, Delay, Order, Promo, Shipment, Shop
from .rendering.environment import (
    PACKAGED_TEMPLATES,
    build_environment,
    packaged_template_names,
    render_errors,
)

__all__ = [
    "BABEL_CFG",
    "DEFAULT_SMS_SEGMENTS",
    "CheckReport",
    "MessageResult",
    "Problem",
    "Requirement",
    "catalog_problems",
    "clear_caches",
    "formatter",
    "load_data",
    "message_problems",
    "must_show",
    "run_checks",
    "sample_context",
    "shown",
    "squash",
    "template_msgids",
    "template_problems",
    "visible_text",
]

#: Babel's extraction mapping for message templates (``pybabel extract -F``).
BABEL_CFG = Path(__file__).resolve().parent / "i18n" / "babel.cfg"
#: The SMS budget ``relationclient check`` applies unless told otherwise: beyond
#: three parts, a concatenated SMS costs more than it is worth.
DEFAULT_SMS_SEGMENTS = 3

Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")


@dataclass(frozen=True)
class Requirement:
    """One thing a message must show (or, with ``present=False``, must not).

    Attributes:
        what: What it is, for people: ``"order total"``, ``"line 2 unit price"``.
        text: The text as the reader sees it, formatted for the message's locale.
        present: False for text that must *not* appear (a promo code for a
            customer without marketing consent).
    """

    what: str
    text: str
    present: bool = True


@dataclass(frozen=True)
class Problem:
    """Something ``relationclient check`` (or a test) found wrong.

    Attributes:
        where: What was checked: ``"order_confirmation · email · fr"``, a
            template name, a catalog file.
        part: Which part: ``"HTML"``, ``"text"``, ``"subject"``, ``"SMS"``,
            ``"template"``, ``"catalog"``, ``"size"``, ``"render"``.
        detail: What is wrong, in words.
    """

    where: str
    part: str
    detail: str

    def __str__(self) -> str:
        return f"{self.where} [{self.part}]: {self.detail}"


_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` quoted for a report: bidi controls dropped, every space a plain one."""
    return f"\u201c{squash(_BIDI_CONTROLS.sub('', text))}\u201d"


# -- reading a rendered message ----------------------------------------------------------
def squash(text: str) -> str:
    """``text`` with every run of whitespace (no-break spaces included) made one space.

    A value that a template wraps over lines or pads into columns still matches.
    Narrow no-break spaces (French thousands) are whitespace too, so both sides
    of a comparison must be squashed.
    """
    return re.sub(r"\s+", " ", text).strip()


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_INVISIBLE = frozenset({"head", "style", "script", "title", "template"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


class _VisibleText(HTMLParser):
    """Collects what a reader sees or clicks: text outside hidden elements, and link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, hidden)

    @property
    def _hidden(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        hidden = (
            self._hidden
            or tag in _INVISIBLE
            or "hidden" in values
            or bool(_HIDDEN_STYLE.search(values.get("style", "").lower()))
        )
        if not hidden:
            if tag == "a" and values.get("href"):
                self.parts.append(f" {values['href']} ")
            if tag == "img" and values.get("alt"):
                self.parts.append(f" {values['alt']} ")
            self.parts.append(" ")
        if tag not in _VOID:
            self._stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, -1, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """What a reader of an HTML email sees or clicks, whitespace squashed.

    Text outside ``<head>``, ``<style>`` and hidden elements (``display: none``,
    as the preheader is), plus the target of every link and the ``alt`` of
    every image. A must-show item hidden in the preheader is not shown.
    """
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return squash(htmllib.unescape("".join(parser.parts)))


# -- the rules -------------------------------------------------------------------------
_MODELS: dict[str, type[BaseModel]] = {
    "customer": Customer,
    "order": Order,
    "shipment": Shipment,
    "delay": Delay,
    "promo": Promo,
}


def _models(context: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` with JSON-like values validated into models, as the composer does."""
    ready = dict(context)
    for name, model in _MODELS.items():
        value = ready.get(name)
        if value is not None and not isinstance(value, model):
            ready[name] = model.model_validate(value)
    if ready.get("order") is None and ready.get("shipment") is not None:
        ready["order"] = ready["shipment"].order
    if ready.get("customer") is None and ready.get("order") is not None:
        ready["customer"] = ready["order"].customer
    return ready


def _delay_reason(composer: Composer, catalog: str, reason: str) -> str:
    """The delay reason in words, from the same ``common.txt`` macro the templates use."""
    with render_errors("common.txt"):
        module = composer.renderer.environment(catalog).get_template("common.txt").module
        return str(module.reason(reason))  # type: ignore[attr-defined]


def clear_caches() -> None:
    """Forget loaded catalogs and phrases, so edited catalogs and templates are read again."""
    translations.cache_clear()


def _contact(shop: Shop, fmt: Formatter) -> list[Requirement]:
    hours = fmt.hours(shop.support_hours)
    address = fmt.address(shop.address, with_name=False)
    return [
        Requirement("shop name", shop.name),
        Requirement("shop phone", fmt.phone(shop.phone)),
        *(Requirement(f"opening hours, line {i}", line) for i, line in enumerate(hours, 1)),
        *(Requirement(f"shop address, line {i}", line) for i, line in enumerate(address, 1)),
        Requirement("shop email", shop.email),
    ]


def _delivery_address(order: Order, fmt: Formatter) -> list[Requirement]:
    if order.delivery.address is None:
        return []
    lines = fmt.address(order.delivery.address)
    return [Requirement(f"delivery address, line {i}", line) for i, line in enumerate(lines, 1)]


def _order_confirmation(
    shop: Shop, order: Order, fmt: Formatter, gettext: NullTranslations
) -> list[Requirement]:
    items = [
        Requirement("order number", order.number),
        Requirement("order date", fmt.datetime(order.placed_at)),
    ]
    for i, line in enumerate(order.lines, 1):
        items += [
            Requirement(f"line {i} name", line.name),
            Requirement(f"line {i} quantity", str(line.quantity)),
            Requirement(f"line {i} unit price", fmt.money(line.unit_price, order.currency)),
            Requirement(f"line {i} total", fmt.money(line.total, order.currency)),
        ]
    items.append(Requirement("subtotal", fmt.money(order.subtotal)))
    if order.shipping_price:
        items.append(Requirement("shipping", fmt.money(order.shipping_price, order.currency)))
    if order.discount:
        items.append(Requirement("discount", fmt.money(-order.discount, order.currency)))
    items += [
        Requirement(f"tax at {fmt.rate(t.rate)}", fmt.money(t.amount)) for t in order.tax_lines
    ]
    items += [
        Requirement("order total", fmt.money(order.total)),
        Requirement("delivery method", order.delivery.method),
        *_delivery_address(order, fmt),
    ]
    if order.delivery.estimated_date:
        items.append(Requirement("estimated delivery", fmt.day(order.delivery.estimated_date)))
    if order.tracking_url:
        items.append(Requirement("order-tracking link", order.tracking_url))
    if shop.eu_withdrawal:
        items += [
            Requirement("withdrawal right", gettext.gettext("Your right of withdrawal")),
            Requirement("withdrawal period (days)", str(shop.withdrawal_days)),
        ]
        if shop.terms_url:
            items.append(Requirement("terms and withdrawal form link", shop.terms_url))
    return items


def _email_items(
    composer: Composer, kind: str, locale: str, ctx: Mapping[str, Any], fmt: Formatter
) -> list[Requirement]:
    shop = composer.shop
    gettext = translations(locale, composer.catalog_dirs)
    items: list[Requirement] = []
    if kind == Kind.ACCOUNT_CREATED:
        customer: Customer = ctx["customer"]
        items += [
            Requirement("greeting by first name", customer.first_name),
            Requirement("login identifier (email)", customer.email),
            Requirement("sign-in link", str(ctx["login_url"])),
        ]
        if shop.terms_url:
            items.append(Requirement("terms link", shop.terms_url))
    elif kind == Kind.ORDER_CONFIRMATION:
        items += _order_confirmation(shop, ctx["order"], fmt, gettext)
    elif kind == Kind.SHIPMENT_SENT:
        shipment: Shipment = ctx["shipment"]
        items += [
            Requirement("order number", shipment.order.number),
            Requirement("tracking number", shipment.tracking_number),
            Requirement("carrier", shipment.carrier_name),
        ]
        if shipment.tracking_url:
            items.append(Requirement("tracking link", shipment.tracking_url))
        items.append(Requirement("ship date", fmt.date(shipment.shipped_at)))
        items += [
            Requirement(f"parcel item {i}", line.name) for i, line in enumerate(shipment.items, 1)
        ]
        if shipment.expected_on:
            items.append(Requirement("estimated delivery", fmt.day(shipment.expected_on)))
        items += _delivery_address(shipment.order, fmt)
    elif kind == Kind.ORDER_DELAYED:
        order: Order = ctx["order"]
        delay: Delay = ctx["delay"]
        reason = _delay_reason(composer, locale, str(delay.reason))
        items += [
            Requirement("order number", order.number),
            Requirement("reason of the delay", reason),
            Requirement("previous delivery date", fmt.day(delay.previous_date)),
            Requirement("new delivery date", fmt.day(delay.new_date)),
        ]
    elif kind == Kind.DELIVERY_CHECK:
        order = ctx["order"]
        items += [
            Requirement("order number", order.number),
            Requirement("review link", str(ctx["review_url"])),
            *_promo(ctx, fmt),
        ]
    return items + _contact(shop, fmt)


def _promo(ctx: Mapping[str, Any], fmt: Formatter) -> list[Requirement]:
    """Promo code and expiry with marketing consent; the code must be absent without."""
    promo: Promo | None = ctx.get("promo")
    if promo is None:
        return []
    if not ctx["customer"].marketing_consent:
        return [Requirement("promo code (no marketing consent)", promo.code, present=False)]
    items = [Requirement("promo code", promo.code)]
    if promo.expires_on:
        items.append(Requirement("promo expiry", fmt.date(promo.expires_on)))
    return items


def _sms_items(
    composer: Composer, kind: str, ctx: Mapping[str, Any], fmt: Formatter
) -> list[Requirement]:
    items = [Requirement("shop name", composer.shop.name)]
    if kind == Kind.ACCOUNT_CREATED:
        return [*items, Requirement("sign-in link", str(ctx["login_url"]))]
    order: Order = ctx["order"]
    items.append(Requirement("order number", order.number))
    if kind == Kind.SHIPMENT_SENT:
        shipment: Shipment = ctx["shipment"]
        items.append(Requirement("tracking number", shipment.tracking_number))
        if shipment.tracking_url:
            items.append(Requirement("tracking link", shipment.tracking_url))
        elif shipment.expected_on:
            items.append(Requirement("estimated delivery", fmt.short_date(shipment.expected_on)))
    elif kind == Kind.ORDER_DELAYED:
        items.append(Requirement("new delivery date", fmt.short_date(ctx["delay"].new_date)))
    elif kind == Kind.DELIVERY_CHECK:
        items.append(Requirement("review link", str(ctx["review_url"])))
        promo: Promo | None = ctx.get("promo")
        if promo is not None:
            consent = ctx["customer"].marketing_consent
            items.append(Requirement("promo code", promo.code, present=consent))
            items.append(Requirement("STOP instructions", "STOP", present=consent))
    return items


def formatter(composer: Composer, locale: str, context: Mapping[str, Any]) -> Formatter:
    """The :class:`Formatter` the composer uses for ``context``'s reader in ``locale``."""
    customer: Customer = _models(context)["customer"]
    profile = locale_profile(
        locale or customer.locale, customer.country, composer.default_locale_negotiated
    )
    timezone = customer.timezone or composer.shop.timezone
    return Formatter(profile.format_locale, customer.country, timezone, rtl=profile.rtl)


def must_show(
    composer: Composer,
    kind: Kind | str,
    channel: Channel,
    locale: str,
    context: Mapping[str, Any],
) -> list[Requirement]:
    """What message ``kind`` must show on ``channel`` in ``locale`` for ``context``.

    Args:
        composer: The composer that renders (or rendered) the message: its shop,
            template folders and catalogs decide the words.
        kind: The message kind.
        channel: ``"email"`` (checked in the text part and in the HTML) or ``"sms"``.
        locale: The locale the message is written for (``email.format_locale``,
            or ``email.locale``: the reader's country completes a bare language).
        context: The keyword arguments given to ``composer.email`` / ``composer.sms``.

    Returns:
        The requirements, in reading order: contact block last for emails.
    """
    prepared = composer.context(kind, locale=locale, **context)
    ctx, fmt = prepared.values, prepared.fmt
    if channel == "sms":
        return _sms_items(composer, prepared.kind, ctx, fmt)
    return _email_items(composer, prepared.kind, prepared.profile.catalog, ctx, fmt)


def _missing(where: str, part: str, haystack: str, items: Iterable[Requirement]) -> list[Problem]:
    problems = []
    for item in items:
        found = squash(item.text) in haystack
        if item.present and not found:
            problems.append(Problem(where, part, f"lacks the {item.what}: {shown(item.text)}"))
        elif not item.present and found:
            problems.append(
                Problem(where, part, f"must not show the {item.what}: {shown(item.text)}")
            )
    return problems


def message_problems(
    composer: Composer,
    message: Email | Sms,
    context: Mapping[str, Any],
    *,
    html_limit: int | None = DEFAULT_HTML_LIMIT,
    sms_segments: int | None = None,
) -> list[Problem]:
    """What is wrong with a rendered message: missing must-show items, size, segments.

    Args:
        composer: The composer that rendered ``message``.
        message: The :class:`Email` or :class:`Sms`.
        context: The keyword arguments it was rendered from.
        html_limit: Bytes of HTML allowed (Gmail clips at about 102 KB); None: no limit.
        sms_segments: Most SMS segments allowed; None: no budget.

    Returns:
        Every problem found; an empty list when the message is right.
    """
    where = f"{message.kind} · {message.channel} · {message.locale}"
    locale = message.format_locale or message.locale
    items = must_show(composer, message.kind, message.channel, locale, context)
    if isinstance(message, Sms):
        problems = _missing(where, "SMS", squash(message.body), items)
        if "\n" in message.body:
            problems.append(Problem(where, "SMS", "the body spans several lines"))
        if message.purpose == "marketing" and "STOP" not in message.body:
            problems.append(Problem(where, "SMS", "a marketing SMS must say how to STOP"))
        if sms_segments is not None and message.segments > sms_segments:
            problems.append(
                Problem(
                    where,
                    "SMS",
                    f"{message.segments} segments ({message.encoding}), over the budget of "
                    f"{sms_segments}",
                )
            )
        return problems
    problems = _missing(where, "text", squash(message.text), items)
    problems += _missing(where, "HTML", visible_text(message.html), items)
    if not message.subject.strip():
        problems.append(Problem(where, "subject", "the subject is empty"))
    if not message.preheader.strip():
        problems.append(Problem(where, "subject", "the preheader is empty"))
    order: Order | None = _models(context).get("order")
    if order is not None and order.number not in message.subject:
        problems.append(Problem(where, "subject", f"lacks the order number {shown(order.number)}"))
    size = len(message.html.encode())
    if html_limit is not None and size > html_limit:
        problems.append(
            Problem(
                where,
                "size",
                f"HTML is {size:,} bytes, over the {html_limit:,}-byte limit "
                "(Gmail clips messages past about 102 KB)",
            )
        )
    return problems


# -- templates and catalogs --------------------------------------------------------------
def _shop_templates(directory: Path) -> list[str]:
    return sorted(
        path.relative_to(directory).as_posix()
        for path in directory.rglob("*")
        if path.is_file() and path.suffix in (".html", ".txt", ".css")
    )


def template_problems(
    template_dirs: Sequence[str | Path],
) -> tuple[list[str], list[Problem], list[str]]:
    """Compile a shop's template overrides.

    Every ``.html``, ``.txt`` and ``.css`` file under ``template_dirs`` is compiled, and
    every template it extends, imports or includes must exist.

    Returns:
        ``(names, problems, notes)``: the template names checked, what is wrong
        (syntax errors, missing parents), and notes that fail nothing (a name
        that replaces no packaged template — a typo, or a partial of the shop's).
    """
    env = build_environment(NullTranslations(), template_dirs)
    packaged = set(packaged_template_names())
    names: list[str] = []
    problems: list[Problem] = []
    notes: list[str] = []
    for raw in template_dirs:
        directory = Path(raw)
        if not directory.is_dir():
            problems.append(Problem(str(directory), "template", "is not a folder"))
            continue
        for name in _shop_templates(directory):
            path = directory / name
            names.append(name)
            if name not in packaged:
                notes.append(f"{path}: replaces no packaged template (a partial of yours?)")
            try:
                source = path.read_text(encoding="utf-8")
                with render_errors(name):
                    env.compile(source, name=name, filename=str(path))
                    referenced = meta.find_referenced_templates(env.parse(source))
            except UnicodeDecodeError as exc:
                problems.append(Problem(str(path), "template", f"is not UTF-8: {exc}"))
                continue
            except RelationClientError as exc:
                problems.append(Problem(str(path), "template", str(exc)))
                continue
            for parent in referenced:
                if parent is None:
                    continue
                try:
                    env.get_template(parent)
                except jinja2.TemplateNotFound:
                    problems.append(
                        Problem(str(path), "template", f"uses {parent!r}, which does not exist")
                    )
                except jinja2.TemplateError:
                    pass  # a broken parent is reported when its own file is compiled
    return names, problems, notes


def _read_mapping() -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    with BABEL_CFG.open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return method_map, options_map


def template_msgids(directory: str | Path) -> set[str | tuple[str, ...]]:
    """The gettext msgids used by the templates in ``directory`` (extracted with Babel).

    Raises:
        RelationClientError: When a template cannot be parsed (the error names it).
    """
    method_map, options_map = _read_mapping()
    try:
        return {message[2] for message in extract_from_dir(str(directory), method_map, options_map)}
    except jinja2.TemplateSyntaxError as exc:
        raise RelationClientError(
            f"cannot extract messages: syntax error in {exc.filename or exc.name}, "
            f"line {exc.lineno}: {exc.message}"
        ) from exc


def _po_path(directory: str | Path, locale: str) -> Path:
    return Path(directory) / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def _compiled_problems(po: Path, catalog: Catalog) -> list[Problem]:
    """The ``.mo`` beside ``po`` must exist and say what the ``.po`` says (non-fuzzy)."""
    mo = po.with_suffix(".mo")
    hint = "run `relationclient i18n compile`"
    if not mo.exists():
        return [Problem(str(po), "catalog", f"is not compiled (no {mo.name}): {hint}")]
    with mo.open("rb") as f:
        compiled = {_strings(m.id): _strings(m.string) for m in read_mo(f) if m.id}
    source = {
        _strings(m.id): _strings(m.string)
        for m in catalog
        if m.id and m.string and not m.fuzzy and all(_strings(m.string))
    }
    if compiled != source:
        return [Problem(str(po), "catalog", f"{mo.name} is older than the .po: {hint}")]
    return []


def catalog_problems(
    template_dirs: Sequence[str | Path] = (),
    catalog_dirs: Sequence[str | Path] = (),
    locales: Sequence[str] = SHIPPED_LOCALES,
) -> tuple[list[str], list[Problem]]:
    """Check that every msgid the templates use is translated for every locale.

    The msgids are extracted afresh from the packaged templates and the shop's
    ``template_dirs``. For each locale they are looked up as the composer does:
    the shop's catalogs first (``<dir>/<locale>/LC_MESSAGES/messages.po``), the
    packaged one last. The catalog that holds a msgid must translate it, not as
    fuzzy, with as many plural forms as the locale has; shop catalogs must also
    pass Babel's placeholder checks and be compiled.

    Returns:
        ``(files, problems)``: the ``.po`` files read, and what is wrong.
    """
    problems: list[Problem] = []
    msgids: set[str | tuple[str, ...]] = set()
    for directory in (PACKAGED_TEMPLATES, *template_dirs):
        if not Path(directory).is_dir():
            continue  # reported by template_problems
        try:
            msgids |= template_msgids(directory)
        except RelationClientError as exc:
            problems.append(Problem(str(directory), "catalog", str(exc)))
    files: list[str] = []
    for locale in locales:
        catalogs: list[tuple[Path, Catalog]] = []
        for directory in (*catalog_dirs, CATALOG_DIR):
            po = _po_path(directory, locale)
            if not po.exists():
                continue
            files.append(str(po))
            try:
                with po.open("rb") as f:
                    catalog = read_po(f, locale=locale)
            except Exception as exc:  # Babel raises many kinds on a broken .po
                problems.append(Problem(str(po), "catalog", f"cannot be read: {exc}"))
                continue
            catalogs.append((po, catalog))
            if directory is not CATALOG_DIR:
                for message, errors in catalog.check():
                    problems += [
                        Problem(str(po), "catalog", f"{message.id!r}: {error}") for error in errors
                    ]
                problems += _compiled_problems(po, catalog)
        for msgid in sorted(msgids, key=str):
            problems += _translation_problems(locale, msgid, catalogs, catalog_dirs)
    return files, problems


def _translation_problems(
    locale: str,
    msgid: str | tuple[str, ...],
    catalogs: Sequence[tuple[Path, Catalog]],
    catalog_dirs: Sequence[str | Path],
) -> list[Problem]:
    """How ``msgid`` fares in ``locale``: the first catalog that translates it wins.

    An entry left empty or fuzzy is not compiled, so the composer falls back to
    the next catalog (a shop's ``.po`` often lists the packaged strings its
    templates reuse, untranslated): it is a problem only when no catalog after
    it translates the msgid either.
    """
    first = msgid[0] if isinstance(msgid, tuple) else msgid
    quoted = shown(first)
    skipped: Problem | None = None
    for po, catalog in catalogs:
        message = catalog.get(first)
        if message is None:
            continue
        strings = _strings(message.string)
        if not all(strings) or message.fuzzy:
            state = "fuzzy" if message.fuzzy else "untranslated"
            skipped = skipped or Problem(str(po), "catalog", f"{state}: {quoted}")
            continue
        if isinstance(msgid, tuple) and len(strings) != catalog.num_plurals:
            return [
                Problem(
                    str(po),
                    "catalog",
                    f"{quoted} has {len(strings)} plural forms; {locale} has {catalog.num_plurals}",
                )
            ]
        return []
    if skipped is not None:
        return [skipped]
    target = _po_path(catalog_dirs[0], locale) if catalog_dirs else f"a catalog for {locale}"
    return [
        Problem(
            f"catalog {locale}",
            "catalog",
            f"no translation of {quoted} (add it to {target}: relationclient i18n update)",
        )
    ]


# -- the whole check ---------------------------------------------------------------------
def load_data(path: str | Path) -> tuple[Shop, dict[str, Any]]:
    """Read a shop's JSON data file: ``{"shop": {...}, "order": {...}, ...}``.

    Returns:
        The validated :class:`Shop` and the rest of the object (a message context).

    Raises:
        ConfigurationError: The file cannot be read, is not JSON, or has no ``shop``.
        pydantic.ValidationError: The shop is invalid (the error names the field).
    """
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(payload, dict) or "shop" not in payload:
        raise ConfigurationError(f'{path} needs a JSON object with a "shop" key')
    shop = Shop.model_validate(payload.pop("shop"))
    return shop, payload


def sample_context(
    kind: Kind | str, locale: str, data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The context that renders ``kind`` for ``locale``: sample data, the shop's own first.

    ``data`` holds the shop's own values (``order``, ``shipment``, ``customer``,
    ``delay``, ``promo``, ``login_url``, ``review_url``; models or their JSON),
    used wherever the kind needs them; :mod:`relationclient.samples` fills the
    rest. An ``order`` without a ``shipment`` is shipped whole in one sample parcel.
    """
    kind = str(kind.value if isinstance(kind, Kind) else kind)
    context = samples.context(kind, locale)
    if not data:
        return context
    given = _models({k: v for k, v in data.items() if k != "shop"})
    for name in context:
        if name in given:
            context[name] = given[name]
    if kind == Kind.SHIPMENT_SENT and "shipment" not in given and "order" in given:
        context["shipment"] = samples.shipment(locale, order=given["order"])
    if kind == Kind.ACCOUNT_CREATED and "customer" not in given and "order" in given:
        context["customer"] = given["order"].customer
    return context


@dataclass
class MessageResult:
    """One rendered message of the check: its numbers and its problems."""

    kind: str
    channel: Channel
    locale: str
    html_size: int | None = None
    encoding: str | None = None
    segments: int | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CheckReport:
    """Everything :func:`run_checks` found; ``ok`` when there is no problem."""

    templates: list[str] = field(default_factory=list)
    catalogs: list[str] = field(default_factory=list)
    messages: list[MessageResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def run_checks(
    shop: Shop | None = None,
    *,
    template_dirs: Sequence[str | Path] = (),
    catalog_dirs: Sequence[str | Path] = (),
    locales: Sequence[str] = SHIPPED_LOCALES,
    kinds: Sequence[Kind | str] = tuple(Kind),
    html_limit: int | None = DEFAULT_HTML_LIMIT,
    sms_segments: int | None = DEFAULT_SMS_SEGMENTS,
    data: Mapping[str, Any] | None = None,
) -> CheckReport:
    """A shop's CI in one call: templates compile, catalogs complete, every message right.

    Args:
        shop: The shop whose contact block and rules apply (sample shop by default).
        template_dirs: The shop's template folders, searched before the packaged ones.
        catalog_dirs: The shop's gettext catalogs, tried before the packaged ones.
        locales: The locales to check (every shipped locale by default).
        kinds: The message kinds to check (all by default).
        html_limit: Bytes of HTML allowed per email; None: no limit.
        sms_segments: Most segments allowed per SMS; None: no budget.
        data: The shop's own order, shipment… used instead of samples (see
            :func:`sample_context`).

    Returns:
        The report; ``report.ok`` is False on any problem.
    """
    clear_caches()  # a check reads the catalogs as they are on disk now
    # Absolute folders: catalogs are cached by folder name, and "locale" means another
    # folder after a change of working directory.
    template_dirs = [Path(d).resolve() for d in template_dirs]
    catalog_dirs = [Path(d).resolve() for d in catalog_dirs]
    report = CheckReport()
    names, problems, notes = template_problems(template_dirs)
    report.templates, report.notes = names, notes
    report.problems += problems
    report.catalogs, problems = catalog_problems(template_dirs, catalog_dirs, locales)
    report.problems += problems
    composer = Composer(
        shop or samples.shop(),
        template_dirs=template_dirs,
        catalog_dirs=catalog_dirs,
        html_size_limit=sys.maxsize,  # measured and reported below, not refused
    )
    for kind in kinds:
        kind = str(kind.value if isinstance(kind, Kind) else kind)
        for locale in locales:
            for channel in CHANNELS:
                result = MessageResult(kind, channel, locale)
                try:
                    context = sample_context(kind, locale, data)
                    message: Email | Sms = (
                        composer.email(kind, locale=locale, **context)
                        if channel == "email"
                        else composer.sms(kind, locale=locale, **context)
                    )
                    result.problems = message_problems(
                        composer,
                        message,
                        context,
                        html_limit=html_limit,
                        sms_segments=sms_segments,
                    )
                except (RelationClientError, ValidationError) as exc:
                    where = f"{kind} · {channel} · {locale}"
                    result.problems = [Problem(where, "render", str(exc))]
                else:
                    if isinstance(message, Email):
                        result.html_size = len(message.html.encode())
                    else:
                        result.encoding, result.segments = message.encoding, message.segments
                report.messages.append(result)
                report.problems += result.problems
    return report
