"""What was bought, how it travels, and what can go wrong on the way."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, NamedTuple, Self

from pydantic import AfterValidator, AwareDatetime, Field, computed_field, model_validator
from pydantic_core import PydanticCustomError

from ..carriers import find_carrier, tracking_url_for
from ._types import (
    Amount,
    CurrencyCode,
    HttpUrl,
    Identifier,
    LongLine,
    Model,
    SingleLine,
    check_precision,
)
from .money import Money, rounder
from .parties import Address, Customer

__all__ = [
    "Delay",
    "DelayReason",
    "Delivery",
    "Order",
    "OrderLine",
    "Promo",
    "Shipment",
    "TaxLine",
    "check_lines_of",
]


def _fraction(value: Decimal) -> Decimal:
    if not 0 <= value < 1:
        raise PydanticCustomError(
            "tax_rate_unit",
            "a tax rate is a fraction from 0 to under 1 (0.20 for 20 %), not {value}{hint}",
            {
                "value": str(value),
                "hint": f" (did you mean {value / 100}?)" if 1 <= value < 100 else "",
            },
        )
    return value


def _percentage(value: Decimal) -> Decimal:
    if not 1 <= value <= 100:
        raise PydanticCustomError(
            "percent_off_unit",
            "percent_off is a percentage from 1 to 100 (15 for 15 % off), not {value}{hint}",
            {
                "value": str(value),
                "hint": f" (did you mean {value * 100}?)" if 0 < value < 1 else "",
            },
        )
    return value


TaxRate = Annotated[Amount, AfterValidator(_fraction)]
"""A tax rate as a fraction: ``0.20`` for 20 % VAT, ``0.055`` for 5.5 % (never ``20``)."""

Percentage = Annotated[Amount, AfterValidator(_percentage)]
"""A percentage from 1 to 100: ``15`` for 15 % off (never ``0.15``)."""


class OrderLine(Model):
    """One line of an order: an article, how many, at what unit price.

    ``unit_price`` is in the order's currency, tax included when the order's
    ``prices_include_tax`` is true (the EU consumer default). ``tax_rate`` is a
    fraction (``0.20``). ``total`` is computed. ``image_url``, an ``https://``
    address of the product's picture, shows as a thumbnail beside the line in
    emails, with the name as its alt text.
    """

    sku: Identifier
    name: LongLine
    quantity: Annotated[int, Field(gt=0, strict=True)]
    unit_price: Annotated[Amount, Field(ge=0)]
    tax_rate: TaxRate = Decimal(0)
    currency: CurrencyCode | None = None
    variant: SingleLine | None = None
    image_url: HttpUrl | None = None

    @model_validator(mode="after")
    def _price_fits_currency(self) -> Self:
        if self.currency is not None:
            check_precision(self.unit_price, self.currency, "unit_price")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def total(self) -> Decimal:
        """``quantity × unit_price``."""
        return self.unit_price * self.quantity


class TaxLine(Model):
    """The tax at one rate in an order: ``rate`` as a fraction, ``amount`` of tax."""

    rate: Decimal
    amount: Money


class Delivery(Model):
    """How and where the parcel goes: ``method`` as the shop names it, the address, the date.

    A store pickup has the store's address; ``estimated_date`` is the date the
    customer was promised (a later :class:`Delay` moves it).
    """

    method: SingleLine
    address: Address | None = None
    estimated_date: date | None = None
    pickup_point: SingleLine | None = None


class OrderAmounts(NamedTuple):
    """An order's sums, rounded to its currency: see :attr:`Order.amounts`."""

    subtotal: Decimal
    #: (rate, tax) per tax rate, highest rate first.
    taxes: tuple[tuple[Decimal, Decimal], ...]
    tax: Decimal
    total: Decimal


class Order(Model):
    """An order as the customer placed it.

    Amounts are ``Decimal`` in ``currency``; every line shares it. ``subtotal``
    (sum of line totals), ``tax`` and ``total`` are computed, never supplied:

    * prices tax-inclusive (default): ``total = subtotal + shipping_price − discount``
      and ``tax`` is the VAT contained in it;
    * prices tax-exclusive: ``total = subtotal + shipping_price − discount + tax``.

    The discount is spread over the lines pro rata to compute tax; shipping is
    taxed at ``shipping_tax_rate``, by default the highest rate of the lines.
    """

    number: Identifier
    placed_at: AwareDatetime
    customer: Customer
    currency: CurrencyCode
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1)]
    shipping_price: Annotated[Amount, Field(ge=0)] = Decimal(0)
    discount: Annotated[Amount, Field(ge=0)] = Decimal(0)
    delivery: Delivery
    billing_address: Address | None = None
    tracking_url: HttpUrl | None = None
    prices_include_tax: bool = True
    shipping_tax_rate: TaxRate | None = None
    payment_method: SingleLine | None = None

    @model_validator(mode="after")
    def _consistent_amounts(self) -> Self:
        for index, line in enumerate(self.lines):
            if line.currency is not None and line.currency != self.currency:
                raise PydanticCustomError(
                    "currency_mismatch",
                    "lines.{index}.currency is {line}, the order is in {order}",
                    {"index": index, "line": line.currency, "order": self.currency},
                )
            check_precision(line.unit_price, self.currency, f"lines.{index}.unit_price")
        check_precision(self.shipping_price, self.currency, "shipping_price")
        check_precision(self.discount, self.currency, "discount")
        if self.discount > self.subtotal.amount + self.shipping_price:
            raise PydanticCustomError(
                "discount", "discount is larger than the order (subtotal plus shipping)"
            )
        return self

    def money(self, amount: Decimal) -> Money:
        """``amount`` in the order's currency, rounded to its minor unit."""
        return Money.rounded(amount, self.currency)

    @cached_property
    def amounts(self) -> OrderAmounts:
        """The order's sums as rounded ``Decimal`` amounts, computed once.

        ``subtotal``, ``tax_lines``, ``tax`` and ``total`` are these, as
        :class:`Money`; a view formatting an email reads them here.
        """
        rounded = rounder(self.currency)
        gross = sum((line.total for line in self.lines), Decimal(0))
        # The discount comes off the articles first; what exceeds them (a code
        # worth more than the basket) comes off the shipping.
        on_lines = min(self.discount, gross)
        kept = Decimal(1) - (on_lines / gross if gross else Decimal(0))
        bases: dict[Decimal, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            bases[line.tax_rate.normalize()] += line.total * kept
        shipping = self.shipping_price - (self.discount - on_lines)
        if shipping:
            rate = self.shipping_tax_rate
            if rate is None:
                rate = max(line.tax_rate for line in self.lines)
            bases[rate.normalize()] += shipping
        taxes = []
        for rate, base in sorted(bases.items(), reverse=True):
            if not rate:
                continue
            tax = base - base / (1 + rate) if self.prices_include_tax else base * rate
            taxes.append((rate, rounded(tax)))
        subtotal = rounded(gross)
        tax_total = rounded(sum((amount for _, amount in taxes), Decimal(0)))
        total = subtotal + self.shipping_price - self.discount
        if not self.prices_include_tax:
            total += tax_total
        return OrderAmounts(subtotal, tuple(taxes), tax_total, rounded(total))

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def subtotal(self) -> Money:
        """Sum of the line totals."""
        return self.money(self.amounts.subtotal)

    @cached_property
    def tax_lines(self) -> tuple[TaxLine, ...]:
        """The tax per rate, shipping included, highest rate first; zero rates left out."""
        return tuple(
            TaxLine.model_construct(rate=rate, amount=self.money(amount))
            for rate, amount in self.amounts.taxes
        )

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def tax(self) -> Money:
        """Total tax, included in ``total`` or added to it per ``prices_include_tax``."""
        return self.money(self.amounts.tax)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def total(self) -> Money:
        """What the customer pays."""
        return self.money(self.amounts.total)

    @cached_property
    def item_count(self) -> int:
        """Number of articles (sum of quantities)."""
        return sum(line.quantity for line in self.lines)


def check_lines_of(order: Order, lines: tuple[OrderLine, ...], field: str = "lines") -> None:
    """Refuse ``lines`` (part of ``order``: a parcel, a cancellation, a refund) not in the order.

    Each line's ``sku`` must be in the order, and no sku may appear in larger
    quantity than ordered.

    Raises:
        PydanticCustomError: Naming ``field``, the line's index and its sku.
    """
    ordered: dict[str, int] = defaultdict(int)
    for line in order.lines:
        ordered[line.sku] += line.quantity
    taken: dict[str, int] = defaultdict(int)
    for index, line in enumerate(lines):
        if line.sku not in ordered:
            raise PydanticCustomError(
                "order_line",
                "{field}.{index}: sku '{sku}' is not in order {order}",
                {"field": field, "index": index, "sku": line.sku, "order": order.number},
            )
        taken[line.sku] += line.quantity
        if taken[line.sku] > ordered[line.sku]:
            raise PydanticCustomError(
                "order_line",
                "{field}.{index}: {n} of sku '{sku}', the order has {m}",
                {
                    "field": field,
                    "index": index,
                    "n": taken[line.sku],
                    "sku": line.sku,
                    "m": ordered[line.sku],
                },
            )


class Shipment(Model):
    """One parcel of an order, handed to a carrier.

    ``lines`` lists what is in this parcel when it is not the whole order (a
    partial shipment); leave it empty when everything ships at once. For the
    last parcel of an order sent in several, set ``completes_order``: the
    customer is then told the rest of the order is on its way, not that more
    parcels follow. ``tracking_url`` is computed from the carrier registry
    when not given, on the carrier's page for the order's customer: their
    country's site, in their language where the carrier offers it (see
    :mod:`relationclient.carriers`). An unknown carrier leaves it None: the
    messages show the tracking number without a link.
    """

    order: Order
    carrier: SingleLine
    tracking_number: Identifier
    shipped_at: AwareDatetime
    lines: tuple[OrderLine, ...] = ()
    tracking_url: HttpUrl | None = None
    estimated_delivery: date | None = None
    completes_order: bool = False

    @model_validator(mode="after")
    def _tracking_url_from_registry(self) -> Self:
        # The order is validated by now, so its customer chooses the page's
        # language and country; the delivery address completes pages that ask
        # for the destination's postal code (PostNL).
        if self.tracking_url is None:
            customer, address = self.order.customer, self.order.delivery.address
            country = customer.country or (address.country if address else None)
            url = tracking_url_for(
                self.carrier,
                self.tracking_number,
                locale=customer.locale,
                country=country,
                postal_code=address.postal_code if address and address.country == country else None,
            )
            if url is not None:
                object.__setattr__(self, "tracking_url", url)
        return self

    @model_validator(mode="after")
    def _lines_belong_to_order(self) -> Self:
        check_lines_of(self.order, self.lines)
        if self.shipped_at < self.order.placed_at:
            raise PydanticCustomError("shipped_at", "shipped_at is before the order was placed")
        return self

    @property
    def items(self) -> tuple[OrderLine, ...]:
        """What is in this parcel: ``lines``, or the whole order when none are given."""
        return self.lines or self.order.lines

    @property
    def is_partial(self) -> bool:
        """True when this parcel holds only part of the order."""
        if not self.lines:
            return False
        return sum(line.quantity for line in self.lines) < self.order.item_count

    @property
    def more_to_come(self) -> bool:
        """True when other parcels of the order are still to ship after this one."""
        return self.is_partial and not self.completes_order

    @property
    def carrier_name(self) -> str:
        """The carrier's usual name (``"colissimo"`` shows as ``"Colissimo"``)."""
        found = find_carrier(self.carrier)
        return found.name if found else self.carrier

    @property
    def expected_on(self) -> date | None:
        """The delivery date to announce: this parcel's own, else the order's."""
        return self.estimated_delivery or self.order.delivery.estimated_date


class DelayReason(StrEnum):
    """Why a delivery date moved; each is explained in plain words in every locale."""

    STOCK_SHORTAGE = "stock_shortage"
    CARRIER = "carrier"
    WEATHER = "weather"
    OTHER = "other"


class Delay(Model):
    """A delivery date that moved: from ``previous_date`` to a later ``new_date``.

    ``id``, when given, is the event's identity in the idempotency key (two
    delays of one order with the same dates stay two messages); without it the
    content is: the same delay announced twice is one message.
    """

    id: Identifier | None = None
    reason: DelayReason
    previous_date: date
    new_date: date
    detail: LongLine | None = None

    @model_validator(mode="after")
    def _later(self) -> Self:
        if self.new_date <= self.previous_date:
            raise PydanticCustomError(
                "delay_dates",
                "new_date ({new}) must be later than previous_date ({old})",
                {"new": str(self.new_date), "old": str(self.previous_date)},
            )
        return self

    @property
    def days(self) -> int:
        """How many days later the delivery now is."""
        return (self.new_date - self.previous_date).days


class Promo(Model):
    """A promotional code: either ``percent_off`` or ``amount_off``, not both."""

    code: Annotated[SingleLine, Field(pattern=r"^[A-Za-z0-9_-]{3,40}$")]
    #: A percentage, from 1 to 100: ``15`` is 15 % off.
    percent_off: Percentage | None = None
    amount_off: Money | None = None
    expires_on: date | None = None
    minimum_order: Money | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Self:
        if (self.percent_off is None) == (self.amount_off is None):
            raise PydanticCustomError(
                "promo_value", "give exactly one of percent_off and amount_off"
            )
        if self.amount_off is not None and self.amount_off.amount <= 0:
            raise PydanticCustomError("promo_value", "amount_off must be more than zero")
        return self
