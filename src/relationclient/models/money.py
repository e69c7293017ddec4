"""Money: a ``Decimal`` amount with its ISO 4217 currency, never a float."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Self

from pydantic import model_validator

from ._types import Amount, CurrencyCode, Model, check_precision, currency_precision

__all__ = ["Money", "round_money", "rounder"]


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (EUR cents, whole yen)."""
    return rounder(currency)(amount)


@lru_cache(maxsize=512)
def rounder(currency: str) -> Callable[[Decimal], Decimal]:
    """:func:`round_money` for one currency, its minor unit looked up once."""
    quantum = Decimal(1).scaleb(-currency_precision(currency))

    def round_to_minor_unit(amount: Decimal) -> Decimal:
        return amount.quantize(quantum, ROUND_HALF_UP)

    return round_to_minor_unit


class Money(Model):
    """An amount of one currency.

    The amount may not carry more decimals than the currency has minor units
    (``Money(amount="9.999", currency="EUR")`` is refused; JPY takes whole yen
    only, KWD three decimals). Arithmetic keeps the currency and refuses to mix
    two: adding euros to yen raises :class:`ValueError`.

    Example:
        >>> Money(amount="12.50", currency="EUR") * 3
        Money(amount=Decimal('37.50'), currency='EUR')
    """

    amount: Amount
    currency: CurrencyCode

    @model_validator(mode="after")
    def _respect_precision(self) -> Self:
        check_precision(self.amount, self.currency)
        return self

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Nothing, in ``currency``."""
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str) -> Money:
        """Build a Money from an unrounded result, rounding half-up to the currency.

        ``currency`` must already be a validated code (it comes from a model);
        the rounding itself guarantees the precision, so nothing is re-checked.
        """
        return cls.model_construct(amount=round_money(amount, currency), currency=currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money.model_construct(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money.model_construct(amount=self.amount - other.amount, currency=self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError("Money can be multiplied by an int or a Decimal only")
        return Money.rounded(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{round_money(self.amount, self.currency)} {self.currency}"
