"""Views: shop data as one reader sees it, every value formatted once.

An email shows each amount, date and address twice — in the HTML part and in
the text part. Templates read them from these views (``o.total``,
``o.lines[0].unit_price``) instead of formatting inline, so each value is
formatted once per message and a template stays a page of markup with
attribute look-ups. The raw models stay in the context too (``order``,
``shipment``…) for shop templates that want them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from ..models import (
    Cancellation,
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
from ..workdays import AnswerDue
from .formatting import Formatter

__all__ = [
    "CancellationView",
    "DelayView",
    "InquiryView",
    "LineView",
    "OrderView",
    "PromoView",
    "RefundView",
    "ReplyView",
    "ShipmentView",
    "TaxView",
    "WithdrawalView",
]


class LineView(NamedTuple):
    """One order line, formatted: name, variant, quantity, unit price, line total, picture."""

    name: str
    variant: str | None
    quantity: int
    unit_price: str
    total: str
    #: The product's picture (``OrderLine.image_url``), or None.
    image_url: str | None = None


class TaxView(NamedTuple):
    """One tax rate of an order and its amount, formatted."""

    rate: str
    amount: str


def _lines(lines: Iterable[OrderLine], money: Callable[[Decimal], str]) -> list[LineView]:
    views = []
    for line in lines:
        unit = money(line.unit_price)
        # One article (most lines): the line total is the unit price, same text.
        total = unit if line.total == line.unit_price else money(line.total)
        views.append(LineView(line.name, line.variant, line.quantity, unit, total, line.image_url))
    return views


class OrderView:
    """An :class:`~relationclient.Order` for one reader; values computed on first use."""

    def __init__(self, order: Order, fmt: Formatter) -> None:
        self.order = order
        self.fmt = fmt
        #: The order number, kept whole in right-to-left text (:meth:`Formatter.ltr`).
        self.number = fmt.ltr(order.number)
        self.tracking_url = order.tracking_url
        self.payment_method = order.payment_method
        self.prices_include_tax = order.prices_include_tax
        #: How the parcel travels, as the shop names it.
        self.delivery_method = order.delivery.method
        #: The pickup point, for store or relay deliveries.
        self.pickup_point = order.delivery.pickup_point
        #: Formats a bare amount in the order's currency.
        self.money = fmt.currency(order.currency)

    @cached_property
    def item_count(self) -> int:
        """Number of articles."""
        return self.order.item_count

    @cached_property
    def placed(self) -> str:
        """Date and time the order was placed, in the reader's zone."""
        return self.fmt.datetime(self.order.placed_at)

    @cached_property
    def lines(self) -> list[LineView]:
        """Every line, with unit price and line total."""
        return _lines(self.order.lines, self.money)

    @cached_property
    def subtotal(self) -> str:
        """Sum of the lines."""
        return self.money(self.order.amounts.subtotal)

    @cached_property
    def shipping(self) -> str | None:
        """Shipping price, or None when shipping is free."""
        order = self.order
        return self.money(order.shipping_price) if order.shipping_price else None

    @cached_property
    def discount(self) -> str | None:
        """Discount as the negative amount it is (``-15,00 €``), or None when there is none.

        Babel places the minus sign where the locale wants it (``€ -15,00`` in
        Dutch, after a right-to-left mark in Arabic).
        """
        order = self.order
        return self.money(-order.discount) if order.discount else None

    @cached_property
    def taxes(self) -> list[TaxView]:
        """Tax per rate."""
        rate_text, money, taxes = self.fmt.rate, self.money, self.order.amounts.taxes
        return [TaxView(rate_text(rate), money(tax)) for rate, tax in taxes]

    @cached_property
    def total(self) -> str:
        """What the customer pays."""
        return self.money(self.order.amounts.total)

    @cached_property
    def delivery_address(self) -> list[str]:
        """Delivery address lines (empty when there is none)."""
        address = self.order.delivery.address
        return self.fmt.address(address) if address else []

    @cached_property
    def delivery_day(self) -> str | None:
        """Promised delivery date with its weekday, or None."""
        when = self.order.delivery.estimated_date
        return self.fmt.day(when) if when else None


class ShipmentView:
    """A :class:`~relationclient.Shipment` for one reader."""

    def __init__(self, shipment: Shipment, order: OrderView) -> None:
        self.shipment = shipment
        self.order = order
        self.carrier = shipment.carrier_name
        #: The tracking number, kept whole in right-to-left text.
        self.tracking_number = order.fmt.ltr(shipment.tracking_number)
        self.tracking_url = shipment.tracking_url

    @cached_property
    def partial(self) -> bool:
        """True when this parcel holds only part of the order."""
        return self.shipment.is_partial

    @cached_property
    def more_to_come(self) -> bool:
        """True when other parcels of the order are still to ship after this one."""
        return self.shipment.more_to_come

    @cached_property
    def shipped(self) -> str:
        """The ship date."""
        return self.order.fmt.date(self.shipment.shipped_at)

    @cached_property
    def expected(self) -> str | None:
        """Expected delivery date with its weekday, or None."""
        when = self.shipment.expected_on
        return self.order.fmt.day(when) if when else None

    @cached_property
    def expected_short(self) -> str | None:
        """Expected delivery date, short (SMS)."""
        when = self.shipment.expected_on
        return self.order.fmt.short_date(when) if when else None

    @cached_property
    def items(self) -> list[LineView]:
        """What is in this parcel."""
        return _lines(self.shipment.items, self.order.money)


class DelayView:
    """A :class:`~relationclient.Delay` for one reader."""

    def __init__(self, delay: Delay, fmt: Formatter) -> None:
        self.reason = delay.reason.value
        self.detail = delay.detail
        self.previous = fmt.day(delay.previous_date)
        self.new = fmt.day(delay.new_date)
        self.new_short = fmt.short_date(delay.new_date)


class PromoView:
    """A :class:`~relationclient.Promo` for one reader."""

    def __init__(self, promo: Promo, fmt: Formatter) -> None:
        self.code = promo.code
        self.percent = fmt.percent(promo.percent_off / 100) if promo.percent_off else None
        self.amount = fmt.money(promo.amount_off) if promo.amount_off else None
        self.minimum = fmt.money(promo.minimum_order) if promo.minimum_order else None
        self.expires = fmt.date(promo.expires_on) if promo.expires_on else None
        self.expires_short = fmt.short_date(promo.expires_on) if promo.expires_on else None


#: Days the EU gives a consumer to send goods back after withdrawing, and the
#: trader to refund them (Directive 2011/83/EU, articles 13 and 14).
WITHDRAWAL_RETURN_DAYS = 14


class RefundView:
    """A :class:`~relationclient.Refund` for one reader: amount, method, date, lines."""

    def __init__(self, refund: Refund, order: OrderView, shop: Shop) -> None:
        self.refund = refund
        self.amount = order.money(refund.amount.amount)
        self.method = refund.method
        self.expected_by = order.fmt.day(refund.expected_by)
        self.expected_by_short = order.fmt.short_date(refund.expected_by)
        self.lines = _lines(refund.lines, order.money)
        self.reason = refund.reason


class CancellationView:
    """A :class:`~relationclient.Cancellation` for one reader."""

    def __init__(self, cancellation: Cancellation, order: OrderView, shop: Shop) -> None:
        self.cancellation = cancellation
        self.reason = cancellation.reason.value
        self.by_shop = cancellation.initiated_by == "shop"
        #: True when the whole order is cancelled, not some of its lines.
        self.whole = not cancellation.lines
        self.lines = _lines(cancellation.lines, order.money)
        self.detail = cancellation.detail
        self.refund = RefundView(cancellation.refund, order, shop) if cancellation.refund else None


class WithdrawalView:
    """A :class:`~relationclient.Withdrawal` for one reader: dates, lines, return."""

    def __init__(self, withdrawal: Withdrawal, order: OrderView, shop: Shop) -> None:
        fmt = order.fmt
        self.withdrawal = withdrawal
        #: When the shop received the customer's statement, in the reader's zone.
        self.received = fmt.datetime(withdrawal.received_at)
        self.whole = not withdrawal.lines
        self.lines = _lines(withdrawal.lines, order.money)
        #: ``"customer"`` or ``"shop"``: who pays for sending the goods back.
        self.return_costs = withdrawal.return_costs or shop.return_costs
        address = withdrawal.return_address or shop.address
        self.return_address = [shop.legal_name or shop.name, *fmt.address(address)]
        day = withdrawal.received_at.astimezone(fmt.tz).date() if fmt.tz else None
        received_on = day or withdrawal.received_at.date()
        deadline = received_on + timedelta(days=WITHDRAWAL_RETURN_DAYS)
        #: The last day to send the goods back, and to be refunded.
        self.return_by = fmt.day(deadline)
        self.return_by_short = fmt.short_date(deadline)
        self.refund_by = fmt.day(deadline)


#: Blanks a line may break at: every blank but the no-break spaces of typography.
_BREAKABLE = re.compile(r"[^\S\u00a0\u202f\u2007]+")

#: How much of a customer's question an acknowledgement quotes, in characters.
EXCERPT_LENGTH = 300


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """The first lines of ``text``, cut on a word boundary with an ellipsis when longer."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.\n") + "…"


class InquiryView:
    """An :class:`~relationclient.Inquiry` for one reader, with the promised answer time.

    ``due`` is when the answer is due (:func:`relationclient.workdays.answer_due`);
    the answer time is given in the reader's zone, relative to the day the
    question was received there: ``due_when`` is ``"today"``, ``"tomorrow"``,
    ``"weekday"`` (within the week: ``due_day`` is the day's name), ``"date"``
    (``due_day`` is the date) or ``"working_days"`` (``due_days`` of them, for a
    shop without support hours).
    """

    def __init__(self, inquiry: Inquiry, due: AnswerDue, fmt: Formatter) -> None:
        self.inquiry = inquiry
        #: The inquiry's id, kept whole in right-to-left text.
        self.reference = fmt.ltr(inquiry.id)
        self.subject = inquiry.subject
        self.excerpt = excerpt(inquiry.body)
        self.received = fmt.datetime(inquiry.received_at)
        self.due_days = due.working_days
        self.due_time = ""
        self.due_day = ""
        if due.at is None:
            self.due_when = "working_days"
            return
        at = fmt.local(due.at)
        asked = fmt.local(inquiry.received_at).date()
        days = (at.date() - asked).days
        self.due_time = fmt.prose_time(at.time())
        if days <= 0:
            self.due_when = "today"
        elif days == 1:
            self.due_when = "tomorrow"
        elif days < 7:
            self.due_when, self.due_day = "weekday", fmt.weekday(at.date())
        else:
            self.due_when, self.due_day = "date", fmt.short_date(at.date())


class ReplyView:
    """A :class:`~relationclient.Reply` for one reader: the answer, its signature, its date."""

    def __init__(self, reply: Reply, fmt: Formatter) -> None:
        self.reply = reply
        self.body = reply.body
        self.agent = reply.agent_first_name
        self.written = fmt.datetime(reply.written_at)
        #: The answer's first words, for the preheader.
        self.preview = excerpt(_BREAKABLE.sub(" ", reply.body), 120)
