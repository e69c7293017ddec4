"""What each message must show, and the check of a rendered message against it.

The rules come from ``DESIGN.md`` ("Message kinds and what each must show"):
:func:`must_show` lists the :class:`Requirement` of one kind, channel and
context, and :func:`message_problems` checks a rendered
:class:`~relationclient.Email` or :class:`~relationclient.Sms` against them,
plus size and segment budgets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from babel.support import NullTranslations

from ..composer import DEFAULT_HTML_LIMIT, Composer
from ..i18n import Formatter, locale_profile, translations
from ..i18n.isolation import plain
from ..messages import Email, Kind, Sms
from ..models import (
    Cancellation,
    Customer,
    Delay,
    Inquiry,
    Order,
    OrderLine,
    Promo,
    Refund,
    Reply,
    Shipment,
    Shop,
    Withdrawal,
)
from .data import with_models
from .problem import Problem, shown
from .reading import squash, visible_text

Channel = Literal["email", "sms"]


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


def _delay_reason(composer: Composer, catalog: str, reason: str, macro: str = "reason") -> str:
    """A reason in words (``macro`` of ``common.txt``), as the templates write it."""
    return composer.renderer.call_macro("common.txt", catalog, macro, reason)


def _lines_or_whole(
    lines: Sequence[OrderLine], gettext: NullTranslations, what: str
) -> list[Requirement]:
    """The names of ``lines``, or the words for the whole order when there are none."""
    if not lines:
        return [Requirement(f"{what}: the whole order", gettext.gettext("the whole order"))]
    return [Requirement(f"{what} {i}", line.name) for i, line in enumerate(lines, 1)]


def _refund(refund: Refund, fmt: Formatter, prefix: str = "refund") -> list[Requirement]:
    return [
        Requirement(f"{prefix} amount", fmt.money(refund.amount)),
        Requirement(f"{prefix} method", refund.method),
        Requirement(f"{prefix} date", fmt.day(refund.expected_by)),
    ]


def _lifecycle(
    composer: Composer,
    kind: str,
    catalog: str,
    ctx: Mapping[str, Any],
    fmt: Formatter,
    gettext: NullTranslations,
) -> list[Requirement]:
    """What the kinds after the order (preparing, cancelled, refunded, withdrawn) must show."""
    order: Order = ctx["order"]
    items = [Requirement("order number", order.number)]
    if kind == Kind.ORDER_PREPARING:
        if order.delivery.estimated_date:
            items.append(Requirement("estimated delivery", fmt.day(order.delivery.estimated_date)))
        if order.tracking_url:
            items.append(Requirement("order-tracking link", order.tracking_url))
    elif kind == Kind.ORDER_CANCELLED:
        cancellation: Cancellation = ctx["cancellation"]
        reason = _delay_reason(composer, catalog, str(cancellation.reason), "cancel_reason")
        items.append(Requirement("reason of the cancellation", reason))
        items += _lines_or_whole(cancellation.lines, gettext, "cancelled line")
        if cancellation.refund is not None:
            items += _refund(cancellation.refund, fmt)
        else:
            nothing = gettext.gettext(
                "Nothing was charged to you for it, so there is nothing to refund."
            )
            items.append(Requirement("nothing charged", nothing))
        if cancellation.initiated_by == "shop":
            sorry = gettext.gettext("Please accept our apologies for the inconvenience.")
            items.append(Requirement("apology (the shop cancelled)", sorry))
    elif kind == Kind.REFUND_ISSUED:
        refund: Refund = ctx["refund"]
        items += _refund(refund, fmt)
        items += [
            Requirement(f"refunded line {i}", ln.name) for i, ln in enumerate(refund.lines, 1)
        ]
        if refund.reason:
            items.append(Requirement("refund reason", refund.reason))
    elif kind == Kind.WITHDRAWAL_ACKNOWLEDGED:
        withdrawal: Withdrawal = ctx["withdrawal"]
        view = ctx["withdrawal_view"]
        items.append(Requirement("withdrawal received (date and time)", view.received))
        items += _lines_or_whole(withdrawal.lines, gettext, "withdrawn line")
        items += [
            Requirement(f"return address, line {i}", line)
            for i, line in enumerate(view.return_address, 1)
        ]
        items.append(Requirement("return deadline", view.return_by))
        costs = (
            "The cost of returning the items is yours to bear."
            if view.return_costs == "customer"
            else "We pay for the return: contact us and we will send you a prepaid label."
        )
        items.append(Requirement("who bears the return costs", gettext.gettext(costs)))
        items.append(Requirement("refund deadline", view.refund_by))
    return items


def _contact(shop: Shop, fmt: Formatter) -> list[Requirement]:
    hours = fmt.hours(shop.support_hours, shop.timezone)
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
        # The model form itself (Directive 2011/83/EU, Annex I(B)), in the email: a
        # link is not a durable medium. Its text is the law's (templates/legal/).
        items.append(Requirement("model withdrawal form", gettext.gettext("Model withdrawal form")))
        if shop.return_costs == "customer":
            cost = "If you withdraw, you bear the direct cost of returning the items."
            items.append(Requirement("return costs (the customer's)", gettext.gettext(cost)))
        elif shop.return_costs == "shop":
            cost = "If you withdraw, we bear the cost of returning the items."
            items.append(Requirement("return costs (the shop's)", gettext.gettext(cost)))
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
    elif kind in _LIFECYCLE:
        items += _lifecycle(composer, kind, locale, ctx, fmt, gettext)
    elif kind in (Kind.INQUIRY_RECEIVED, Kind.SUPPORT_REPLY):
        items += _support(composer, kind, locale, ctx, fmt)
    return items + _contact(shop, fmt)


def _support(
    composer: Composer, kind: str, catalog: str, ctx: Mapping[str, Any], fmt: Formatter
) -> list[Requirement]:
    """A question's acknowledgement (the answer time) and the answer (the agent's text)."""
    inquiry: Inquiry = ctx["inquiry"]
    question = ctx["question"]
    items = [
        Requirement("greeting by first name", inquiry.customer.first_name),
        Requirement("reference", inquiry.id),
        Requirement("the customer's subject", inquiry.subject),
    ]
    if kind == Kind.INQUIRY_RECEIVED:
        when = composer.renderer.call_macro("common.txt", catalog, "answer_time", question)
        items += [
            Requirement("the promised answer time", when),
            Requirement("the first words of the question", question.excerpt.split("\n")[0]),
            Requirement("phone for urgent matters", fmt.phone(composer.shop.phone)),
        ]
    else:
        reply: Reply = ctx["reply"]
        first = next(line for line in reply.body.split("\n") if line.strip())
        # Its words up to a link: the HTML part shows a link's address twice.
        words = first.split("https://")[0].strip() or first
        items += [
            Requirement("the answer", words),
            Requirement("the agent's first name", reply.agent_first_name),
            Requirement("the question quoted", inquiry.body.split("\n")[0]),
        ]
    return items


_LIFECYCLE = frozenset(
    {Kind.ORDER_PREPARING, Kind.ORDER_CANCELLED, Kind.REFUND_ISSUED, Kind.WITHDRAWAL_ACKNOWLEDGED}
)


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
    if kind in (Kind.INQUIRY_RECEIVED, Kind.SUPPORT_REPLY):
        # The SMS only says an answer is coming, or came, by email: never the answer.
        reference = Requirement("reference", ctx["inquiry"].id)
        if kind == Kind.SUPPORT_REPLY:
            first = next(line for line in ctx["reply"].body.split("\n") if line.strip())
            return [*items, reference, Requirement("the answer itself", first, present=False)]
        return [*items, reference]
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
    elif kind == Kind.ORDER_PREPARING and order.delivery.estimated_date:
        estimated = fmt.short_date(order.delivery.estimated_date)
        items.append(Requirement("estimated delivery", estimated))
    elif kind == Kind.ORDER_CANCELLED and ctx["cancellation"].refund is not None:
        items.append(Requirement("refund amount", fmt.money(ctx["cancellation"].refund.amount)))
    elif kind == Kind.REFUND_ISSUED:
        items.append(Requirement("refund amount", fmt.money(ctx["refund"].amount)))
    elif kind == Kind.WITHDRAWAL_ACKNOWLEDGED:
        items.append(Requirement("return deadline", ctx["withdrawal_view"].return_by_short))
    elif kind == Kind.DELIVERY_CHECK:
        items.append(Requirement("review link", str(ctx["review_url"])))
        promo: Promo | None = ctx.get("promo")
        if promo is not None:
            consent = ctx["customer"].marketing_consent
            items.append(Requirement("promo code", promo.code, present=consent))
            items.append(Requirement("STOP instructions", "STOP", present=consent))
            if composer.shop.sms_stop_number:
                stop = composer.shop.sms_stop_number
                items.append(Requirement("STOP number", stop, present=consent))
    return items


def formatter(composer: Composer, locale: str, context: Mapping[str, Any]) -> Formatter:
    """The :class:`Formatter` the composer uses for ``context``'s reader in ``locale``."""
    customer: Customer = with_models(context)["customer"]
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
        # HTML shows an isolated value bare, in its dir="ltr" span; text parts and
        # SMS show it as the string is (between U+2066 and U+2069 in right-to-left text).
        found = squash(plain(item.text) if part == "HTML" else item.text) in haystack
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
    order: Order | None = with_models(context).get("order")
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
