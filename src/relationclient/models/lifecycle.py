"""What happens to an order after it is placed: a cancellation, a refund, a withdrawal.

Each is an *event model*: its ``id``, when the shop gives one, is the event's
identity in the message's idempotency key (two partial refunds of one order
are two messages); without it, its content is (the same refund retried is one
message). None of them holds its order: the order comes with it in the
message's context, and :meth:`check_for` checks one against the other (money
in the order's currency, lines that belong to the order, a refund not above
what was paid, a withdrawal received after the order).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime
from pydantic_core import PydanticCustomError

from ._types import Identifier, LongLine, Model, SingleLine
from .money import Money
from .orders import Order, OrderLine, check_lines_of
from .parties import Address, Party

__all__ = [
    "Cancellation",
    "CancellationReason",
    "Refund",
    "Withdrawal",
]


class CancellationReason(StrEnum):
    """Why an order is cancelled; each is explained in plain words in every locale."""

    CUSTOMER_REQUEST = "customer_request"
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_FAILED = "payment_failed"
    UNDELIVERABLE = "undeliverable"
    OTHER = "other"


class Refund(Model):
    """Money going back to the customer: how much, how, by when, for what.

    ``method`` is how the customer will see it (``"Visa •••• 4242"``,
    ``"PayPal"``); ``expected_by`` the date by which it reaches them;
    ``lines`` the order lines it covers (empty: no particular line, e.g. a
    shipping refund or a goodwill gesture, then say why in ``reason``).
    """

    id: Identifier | None = None
    amount: Money
    method: SingleLine
    expected_by: date
    lines: tuple[OrderLine, ...] = ()
    reason: LongLine | None = None

    def check_for(self, order: Order, field: str = "refund") -> None:
        """Refuse a refund that does not fit ``order``.

        Raises:
            PydanticCustomError: Naming ``field`` and what is wrong: another
                currency, an amount above the order's total or not positive,
                lines that are not the order's.
        """
        if self.amount.currency != order.currency:
            raise PydanticCustomError(
                "refund_currency",
                "{field}.amount is in {got}, the order in {want}",
                {"field": field, "got": self.amount.currency, "want": order.currency},
            )
        if self.amount.amount <= 0:
            raise PydanticCustomError(
                "refund_amount", "{field}.amount must be more than zero", {"field": field}
            )
        if self.amount.amount > order.total.amount:
            raise PydanticCustomError(
                "refund_amount",
                "{field}.amount {amount} is more than the order's total {total}",
                {
                    "field": field,
                    "amount": str(self.amount.amount),
                    "total": str(order.total.amount),
                },
            )
        check_lines_of(order, self.lines, f"{field}.lines")
        if self.expected_by < order.placed_at.date():
            raise PydanticCustomError(
                "refund_date",
                "{field}.expected_by is before the order was placed",
                {"field": field},
            )


class Cancellation(Model):
    """An order, or some of its lines, that will not be delivered.

    ``initiated_by`` says who cancelled (the customer, or the shop — then the
    message apologises); ``lines`` the lines cancelled (empty: the whole
    order); ``refund`` the money going back, or None when nothing was charged
    (the message then says so plainly).
    """

    id: Identifier | None = None
    reason: CancellationReason
    initiated_by: Party
    lines: tuple[OrderLine, ...] = ()
    refund: Refund | None = None
    detail: LongLine | None = None

    def check_for(self, order: Order, field: str = "cancellation") -> None:
        """Refuse a cancellation that does not fit ``order`` (lines, refund)."""
        check_lines_of(order, self.lines, f"{field}.lines")
        if self.refund is not None:
            self.refund.check_for(order, f"{field}.refund")


class Withdrawal(Model):
    """A customer's withdrawal from a distance contract (EU: 14 days, no reason needed).

    ``received_at`` is when the shop received the customer's statement (the
    acknowledgement must show it); ``lines`` the lines withdrawn from (empty:
    the whole order); ``return_costs`` who pays the return (default: the
    shop's :attr:`Shop.return_costs`); ``return_address`` where the goods go
    back (default: the shop's address).
    """

    id: Identifier | None = None
    received_at: AwareDatetime
    lines: tuple[OrderLine, ...] = ()
    return_costs: Party | None = None
    return_address: Address | None = None

    def check_for(self, order: Order, field: str = "withdrawal") -> None:
        """Refuse a withdrawal that does not fit ``order`` (lines, date)."""
        check_lines_of(order, self.lines, f"{field}.lines")
        if self.received_at < order.placed_at:
            raise PydanticCustomError(
                "withdrawal_date",
                "{field}.received_at is before the order was placed",
                {"field": field},
            )
