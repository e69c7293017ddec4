"""Properties of the models over generated data: Money, order totals, JSON round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from relationclient import (
    Address,
    Customer,
    Delay,
    DelayReason,
    Delivery,
    Money,
    Order,
    OrderLine,
    Promo,
    Shipment,
    Shop,
    SupportHours,
    samples,
)
from relationclient.models import currency_precision

CURRENCIES = ("EUR", "JPY", "KWD")
TAX_RATES = tuple(Decimal(rate) for rate in ("0", "0.021", "0.055", "0.10", "0.20", "0.25"))
CUSTOMER = samples.customer()

common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def minor_units(currency: str) -> Decimal:
    """The smallest amount of ``currency``: 0.01 EUR, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-currency_precision(currency))


def fits_precision(money: Money) -> bool:
    """Whether ``money`` has no more decimals than its currency allows."""
    exponent = money.amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent <= currency_precision(money.currency)


def amounts(currency: str, *, low: int = -(10**9), high: int = 10**9) -> st.SearchStrategy[Decimal]:
    """Amounts of ``currency`` in its precision, between ``low`` and ``high`` minor units."""
    unit = minor_units(currency)
    return st.integers(low, high).map(lambda n: Decimal(n) * unit)


def moneys(currency: str, **bounds: int) -> st.SearchStrategy[Money]:
    return amounts(currency, **bounds).map(lambda amount: Money(amount=amount, currency=currency))


@st.composite
def money_pairs(draw: st.DrawFn) -> tuple[Money, Money]:
    """Two amounts of one currency."""
    currency = draw(st.sampled_from(CURRENCIES))
    return draw(moneys(currency)), draw(moneys(currency))


@st.composite
def money_triples(draw: st.DrawFn) -> tuple[Money, Money, Money]:
    currency = draw(st.sampled_from(CURRENCIES))
    return draw(moneys(currency)), draw(moneys(currency)), draw(moneys(currency))


any_money = st.sampled_from(CURRENCIES).flatmap(moneys)


@st.composite
def orders(draw: st.DrawFn, *, discount_within_subtotal: bool = False) -> Order:
    """A valid order in EUR, JPY or KWD: 1-5 lines, mixed tax rates, shipping and discount.

    The discount goes up to subtotal plus shipping (the most the models accept), or
    only up to the subtotal with ``discount_within_subtotal``.
    """
    currency = draw(st.sampled_from(CURRENCIES))
    count = draw(st.integers(1, 5))
    lines = [
        OrderLine(
            sku=f"SKU-{index}",
            name=f"Article {index}",
            quantity=draw(st.integers(1, 5)),
            unit_price=draw(amounts(currency, low=0, high=10**7)),
            tax_rate=draw(st.sampled_from(TAX_RATES)),
            currency=draw(st.sampled_from([None, currency])),
        )
        for index in range(count)
    ]
    subtotal = sum((line.total for line in lines), Decimal(0))
    shipping = draw(amounts(currency, low=0, high=10**5))
    ceiling = subtotal if discount_within_subtotal else subtotal + shipping
    discount = draw(
        st.integers(0, int(ceiling / minor_units(currency))).map(
            lambda n: Decimal(n) * minor_units(currency)
        )
    )
    return Order(
        number=f"T-{draw(st.integers(1, 99999)):05d}",
        placed_at=draw(
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        ),
        customer=CUSTOMER,
        currency=currency,
        lines=tuple(lines),
        shipping_price=shipping,
        discount=discount,
        delivery=Delivery(method="Colissimo", estimated_date=date(2026, 11, 25)),
        prices_include_tax=draw(st.booleans()),
        shipping_tax_rate=draw(st.sampled_from([None, *TAX_RATES])),
    )


# --- Money arithmetic ----------------------------------------------------------------------


@common
@given(money_pairs())
def test_adding_then_subtracting_gives_back_the_amount(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a + b - b == a
    assert a - b + b == a


@common
@given(money_pairs())
def test_addition_is_commutative(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a + b == b + a


@common
@given(money_triples())
def test_addition_is_associative(triple: tuple[Money, Money, Money]) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)


@common
@given(any_money)
def test_zero_is_neutral_and_negation_cancels(money: Money) -> None:
    zero = Money.zero(money.currency)
    assert money + zero == money
    assert money + -money == zero
    assert not zero


@st.composite
def mixed_pairs(draw: st.DrawFn) -> tuple[Money, Money]:
    """Two amounts in two different currencies."""
    first, second = draw(st.permutations(CURRENCIES))[:2]
    return draw(moneys(first)), draw(moneys(second))


@common
@given(mixed_pairs())
def test_mixing_currencies_raises_value_error(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert a.currency != b.currency
    with pytest.raises(ValueError, match="cannot combine"):
        a + b
    with pytest.raises(ValueError, match="cannot combine"):
        a - b
    with pytest.raises(ValueError, match="cannot combine"):
        a < b  # noqa: B015


@common
@given(
    st.sampled_from(CURRENCIES).flatmap(lambda c: moneys(c, low=-(10**6), high=10**6)),
    st.integers(0, 25),
)
def test_multiplying_by_an_int_is_repeated_addition(money: Money, factor: int) -> None:
    repeated = Money.zero(money.currency)
    for _ in range(factor):
        repeated += money
    assert money * factor == repeated
    assert factor * money == repeated


@common
@given(
    money_pairs(),
    st.integers(-50, 50),
    st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False),
)
def test_results_respect_currency_precision(
    pair: tuple[Money, Money], factor: int, decimal_factor: Decimal
) -> None:
    a, b = pair
    results = [a + b, a - b, -a, a * factor, a * decimal_factor, decimal_factor * b]
    for result in results:
        assert result.currency == a.currency
        assert fits_precision(result), result


@common
@given(
    st.sampled_from(CURRENCIES),
    st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False),
)
def test_rounded_money_is_half_up_to_the_minor_unit(currency: str, amount: Decimal) -> None:
    money = Money.rounded(amount, currency)
    assert fits_precision(money)
    assert abs(money.amount - amount) <= minor_units(currency) / 2


@common
@given(money_pairs())
def test_comparisons_follow_the_amounts(pair: tuple[Money, Money]) -> None:
    a, b = pair
    assert (a < b) == (a.amount < b.amount)
    assert (a <= b) == (a.amount <= b.amount)
    assert (a > b) == (a.amount > b.amount)
    assert (a >= b) == (a.amount >= b.amount)


def test_multiplying_by_a_float_or_bool_is_refused() -> None:
    money = Money(amount="12.50", currency="EUR")
    with pytest.raises(TypeError, match="int or a Decimal"):
        money * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError, match="int or a Decimal"):
        money * True
    assert money * 3 == Money(amount="37.50", currency="EUR")


# --- order totals ----------------------------------------------------------------------------


@common
@given(orders())
def test_order_total_identity(order: Order) -> None:
    shipping = Money(amount=order.shipping_price, currency=order.currency)
    discount = Money(amount=order.discount, currency=order.currency)
    expected = order.subtotal + shipping - discount
    if not order.prices_include_tax:
        expected += order.tax
    assert order.total == expected
    assert order.total.amount >= 0
    assert {order.subtotal.currency, order.tax.currency, order.total.currency} == {order.currency}
    assert all(fits_precision(m) for m in (order.subtotal, order.tax, order.total))


@common
@given(orders())
def test_order_subtotal_is_the_sum_of_line_totals(order: Order) -> None:
    assert order.subtotal.amount == sum(line.unit_price * line.quantity for line in order.lines)
    assert all(line.total == line.unit_price * line.quantity for line in order.lines)
    assert order.item_count == sum(line.quantity for line in order.lines)


@common
@given(orders(discount_within_subtotal=True))
def test_order_tax_is_never_negative(order: Order) -> None:
    assert order.tax.amount >= 0
    assert all(tax_line.amount.amount >= 0 for tax_line in order.tax_lines)
    assert order.tax == sum((t.amount for t in order.tax_lines), Money.zero(order.currency))


@pytest.mark.parametrize("prices_include_tax", [True, False])
def test_order_tax_is_never_negative_when_discount_covers_shipping(
    prices_include_tax: bool,
) -> None:
    order = Order(
        number="T-1",
        placed_at=datetime(2026, 11, 20, 10, 42, tzinfo=UTC),
        customer=CUSTOMER,
        currency="EUR",
        lines=(OrderLine(sku="A", name="A", quantity=1, unit_price="10.00", tax_rate="0.20"),),
        shipping_price="10.00",
        shipping_tax_rate="0",
        discount="15.00",  # allowed: at most subtotal + shipping = 20.00
        delivery=Delivery(method="Colissimo"),
        prices_include_tax=prices_include_tax,
    )
    assert order.tax.amount >= 0


@common
@given(orders(discount_within_subtotal=True))
def test_tax_inclusive_and_exclusive_orders_agree_on_the_tax_base(order: Order) -> None:
    flipped = Order.model_validate(
        {
            **order.model_dump(exclude={"subtotal", "tax", "total"}),
            "prices_include_tax": not order.prices_include_tax,
        }
    )
    inclusive, exclusive = (order, flipped) if order.prices_include_tax else (flipped, order)
    # The same prices carry less tax when the tax is inside them than when it is added.
    assert inclusive.tax <= exclusive.tax
    assert exclusive.total == inclusive.total + exclusive.tax


# --- JSON round trips ------------------------------------------------------------------------


def assert_json_round_trip(model: BaseModel) -> None:
    """``model`` survives JSON unchanged, and so does its JSON."""
    text = model.model_dump_json()
    again = type(model).model_validate_json(text)
    assert again == model
    assert again.model_dump_json() == text
    assert type(model).model_validate(model.model_dump()) == model


@common
@given(any_money)
def test_money_json_round_trip(money: Money) -> None:
    assert_json_round_trip(money)


@common
@given(orders())
def test_generated_order_json_round_trip(order: Order) -> None:
    assert_json_round_trip(order)
    for line in order.lines:
        assert_json_round_trip(line)
    for tax_line in order.tax_lines:
        assert_json_round_trip(tax_line)


@common
@given(orders(), st.sampled_from(["Colissimo", "DHL", "Coursier", "UPS"]), st.data())
def test_generated_shipment_json_round_trip(
    order: Order, carrier: str, data: st.DataObject
) -> None:
    parcel = data.draw(
        st.lists(st.sampled_from(order.lines), unique=True, max_size=len(order.lines))
    )
    shipment = Shipment(
        order=order,
        carrier=carrier,
        tracking_number="6A123456789",
        shipped_at=order.placed_at,
        lines=tuple(parcel),
    )
    assert_json_round_trip(shipment)


@common
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=7),
    st.times(max_value=time(22, 0)),
    st.integers(1, 60),
)
def test_support_hours_json_round_trip(days: list[int], opens: time, minutes: int) -> None:
    opens = opens.replace(second=0, microsecond=0)
    closes = time(opens.hour + 1, minutes % 60)
    hours = SupportHours(days=days, opens=opens, closes=closes)
    assert hours.days == tuple(sorted(set(days)))
    assert_json_round_trip(hours)


@common
@given(
    st.sampled_from(list(DelayReason)),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(1, 365),
)
def test_delay_json_round_trip(reason: DelayReason, previous: date, days: int) -> None:
    delay = Delay(
        reason=reason,
        previous_date=previous,
        new_date=date.fromordinal(previous.toordinal() + days),
    )
    assert delay.days == days
    assert_json_round_trip(delay)


def test_sample_shop_json_round_trip(shop: Shop) -> None:
    assert_json_round_trip(shop)
    assert_json_round_trip(shop.address)
    for hours in shop.support_hours:
        assert_json_round_trip(hours)


def test_sample_customers_json_round_trip(customers: dict[str, Customer]) -> None:
    assert set(customers) == set(samples.LOCALES)
    for customer in customers.values():
        assert_json_round_trip(customer)


def test_sample_orders_json_round_trip(orders: dict[str, Order]) -> None:
    assert set(orders) == set(samples.LOCALES)
    for order in orders.values():
        assert_json_round_trip(order)
        assert_json_round_trip(order.delivery)
        assert order.delivery.address is not None
        assert_json_round_trip(order.delivery.address)


@pytest.mark.parametrize("seed", [0, 1, 6, 13])
def test_seeded_sample_orders_json_round_trip(seed: int) -> None:
    assert_json_round_trip(samples.order(seed=seed))
    assert_json_round_trip(samples.shipment(seed=seed))


def test_sample_jpy_order_json_round_trip(jpy_order: Order) -> None:
    assert_json_round_trip(jpy_order)
    assert jpy_order.total.amount == jpy_order.total.amount.to_integral_value()


def test_sample_shipments_json_round_trip(
    shipment: Shipment, shipments: tuple[Shipment, Shipment]
) -> None:
    for parcel in (shipment, *shipments):
        assert_json_round_trip(parcel)
        assert parcel.tracking_url is not None


def test_sample_delay_and_promos_json_round_trip(
    delay: Delay, promo: Promo, amount_promo: Promo
) -> None:
    for model in (delay, promo, amount_promo):
        assert_json_round_trip(model)
    assert amount_promo.amount_off is not None
    assert_json_round_trip(amount_promo.amount_off)


@pytest.mark.parametrize("reason", list(DelayReason))
def test_sample_delay_per_reason_json_round_trip(reason: DelayReason) -> None:
    assert_json_round_trip(samples.delay(reason))


@pytest.mark.parametrize(
    "model",
    [
        Address(line1="1-2-3 Jingumae", postal_code="150-0001", city="Shibuya-ku", country="jp"),
        Delivery(method="Retrait en magasin", pickup_point="Lyon 2e"),
        Money(amount="-0.005", currency="KWD"),
        Money(amount="1E+3", currency="JPY"),
    ],
    ids=repr,
)
def test_other_models_json_round_trip(model: BaseModel) -> None:
    assert_json_round_trip(model)


def test_json_round_trip_keeps_the_computed_fields(order: Order) -> None:
    data: dict[str, Any] = order.model_dump(mode="json")
    assert data["total"] == {"amount": str(order.total.amount), "currency": "EUR"}
    assert data["lines"][0]["total"] == str(order.lines[0].total)


def test_copy_with_other_fields_computes_again() -> None:
    """Values kept on first read (totals, counts) follow a copy's new fields, not the old ones."""
    order = samples.order("fr")
    assert order.item_count > 1  # read: now kept on the instance
    assert order.total.amount > 0
    one_line = order.model_copy(update={"lines": order.lines[:1]})
    assert one_line.item_count == order.lines[0].quantity
    assert one_line.subtotal.amount == order.lines[0].total
    assert order.model_copy().total == order.total  # a plain copy keeps them, rightly

    shop = samples.shop()
    assert shop.eu_withdrawal
    assert not shop.model_copy(update={"withdrawal_days": 0}).eu_withdrawal
    moved = shop.model_copy(update={"address": shop.address.model_copy(update={"country": "US"})})
    assert moved.country == "US"
    assert not moved.eu_withdrawal
