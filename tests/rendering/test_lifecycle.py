"""The order's life after it is placed: preparing, cancelled, refunded, withdrawn."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

import relationclient as rc
import relationclient.i18n
from relationclient import Kind, RenderError, samples
from relationclient.composer import Composer
from relationclient.i18n import translations


def test_kind_lists_every_kind_in_the_order_of_an_orders_life() -> None:
    assert [k.value for k in Kind] == [
        "account_created",
        "order_confirmation",
        "order_preparing",
        "shipment_sent",
        "order_delayed",
        "order_cancelled",
        "refund_issued",
        "withdrawal_acknowledged",
        "delivery_check",
        "inquiry_received",
        "support_reply",
    ]


def test_required_context_names_what_each_kind_needs() -> None:
    assert Composer.required_context("refund_issued") == ("order", "refund")
    assert Composer.required_context(Kind.ORDER_CANCELLED) == ("order", "cancellation")
    assert Composer.required_context("withdrawal_acknowledged") == ("order", "withdrawal")
    assert Composer.required_context("order_preparing") == ("order",)


def test_every_missing_name_is_named_at_once(composer: Composer) -> None:
    with pytest.raises(RenderError, match=r"order_cancelled needs order=…, cancellation=…"):
        composer.email("order_cancelled")
    with pytest.raises(RenderError, match=r"delivery_check needs review_url=…"):
        composer.email("delivery_check", order=samples.order())


def test_two_partial_refunds_are_two_messages_the_same_retried_is_one(
    composer: Composer,
) -> None:
    order = samples.order("fr")
    first = samples.refund(order)
    second = samples.refund(
        order,
        amount=rc.Money(amount=order.lines[2].total, currency="EUR"),
        lines=(order.lines[2],),
    )
    keys = {
        composer.email("refund_issued", order=order, refund=r).idempotency_key
        for r in (first, second, samples.refund(order))
    }
    assert len(keys) == 2
    # With ids, two refunds of the same amount are still two.
    a, b = (first.model_copy(update={"id": i}) for i in ("R-1", "R-2"))
    assert (
        composer.sms("refund_issued", order=order, refund=a).idempotency_key
        != composer.sms("refund_issued", order=order, refund=b).idempotency_key
    )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"amount": rc.Money(amount=Decimal("5000"), currency="EUR")}, "more than the order"),
        ({"amount": rc.Money(amount=Decimal("10"), currency="USD")}, "refund.amount is in USD"),
        ({"expected_by": date(2020, 1, 1)}, "expected_by"),
    ],
)
def test_a_refund_that_does_not_fit_its_order_is_refused(
    composer: Composer, changes: dict[str, object], match: str
) -> None:
    order = samples.order("fr")
    with pytest.raises(RenderError, match=match):
        composer.email("refund_issued", order=order, refund=samples.refund(order, **changes))


def test_lines_must_belong_to_the_order(composer: Composer) -> None:
    order, other = samples.order("fr"), samples.order("fr", lines=1)
    stranger = other.lines[0].model_copy(update={"sku": "NOT-OURS"})
    with pytest.raises(RenderError, match=r"cancellation\.lines\.0: sku 'NOT-OURS'"):
        composer.email(
            "order_cancelled",
            order=order,
            cancellation=samples.cancellation(order, lines=(stranger,), refund=None),
        )


def test_a_withdrawal_before_the_order_is_refused(composer: Composer) -> None:
    order = samples.order("fr")
    early = datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Paris"))
    with pytest.raises(RenderError, match="received_at is before the order"):
        composer.email(
            "withdrawal_acknowledged",
            order=order,
            withdrawal=samples.withdrawal(order, received_at=early),
        )


def test_who_pays_the_return_must_be_said() -> None:
    shop = rc.Shop.model_validate({**samples.shop().model_dump(), "return_costs": None})
    order = samples.order("fr")
    with pytest.raises(RenderError, match="return_costs"):
        Composer(shop).email(
            "withdrawal_acknowledged", order=order, withdrawal=samples.withdrawal(order)
        )
    email = Composer(shop).email(
        "withdrawal_acknowledged",
        order=order,
        withdrawal=samples.withdrawal(order, return_costs="shop"),
    )
    gettext = translations("fr").gettext
    assert gettext("We pay for the return: contact us and we will send you a prepaid label.") in (
        email.text
    )


@pytest.mark.parametrize("locale", samples.LOCALES)
def test_a_customers_own_cancellation_has_no_apology_and_says_nothing_was_charged(
    composer: Composer, locale: str
) -> None:
    order = samples.order(locale)
    mine = samples.cancellation(
        order, initiated_by="customer", reason="customer_request", lines=(), refund=None
    )
    email = composer.email("order_cancelled", order=order, cancellation=mine)
    gettext = translations(locale).gettext
    assert gettext("Please accept our apologies for the inconvenience.") not in email.text
    assert gettext("Nothing was charged to you for it, so there is nothing to refund.") in (
        email.text
    )
    assert gettext("the whole order") in email.text
    shops = composer.email("order_cancelled", **samples.context("order_cancelled", locale))
    assert gettext("Please accept our apologies for the inconvenience.") in shops.text


def test_the_withdrawal_deadlines_are_fourteen_days_after_it_was_received(
    composer: Composer,
) -> None:
    order = samples.order("fr")
    withdrawal = samples.withdrawal(order)
    email = composer.email("withdrawal_acknowledged", order=order, withdrawal=withdrawal)
    deadline = withdrawal.received_at.date() + timedelta(days=14)
    assert format_date(deadline, "full", locale="fr_FR") in email.text


def test_a_second_reply_to_the_same_customer_is_delivered(composer: Composer) -> None:
    from relationclient.transports import MemoryTransport

    inquiry = samples.inquiry("fr")
    first = samples.reply("fr")
    second = samples.reply("fr", id="A-2026-0457-2", body="Il est en stock : commandez-le.")
    with MemoryTransport() as transport:
        for reply in (first, second, first):
            email = composer.email("support_reply", inquiry=inquiry, reply=reply)
            if email.idempotency_key not in {m.idempotency_key for m in transport.outbox}:
                transport.send(email)
    assert len(transport.outbox) == 2


def test_an_agents_text_is_never_interpreted(composer: Composer) -> None:
    body = (
        "<b>Bold</b> {{ shop.email }} & <script>alert(1)</script>\n"
        "See https://www.maison-lumiere.fr/aide, then javascript:alert(1).\n\nSecond paragraph."
    )
    reply = samples.reply("en", body=body)
    email = composer.email("support_reply", inquiry=samples.inquiry("en"), reply=reply)
    assert "<b>Bold</b>" not in email.html
    assert "&lt;b&gt;Bold&lt;/b&gt;" in email.html
    assert "<script>" not in email.html
    assert "{{ shop.email }}" in email.text  # printed as written, not rendered
    assert '<a href="https://www.maison-lumiere.fr/aide"' in email.html  # the link, no comma
    assert 'href="javascript' not in email.html
    assert body.split("\n")[0] in email.text
    sms = composer.sms("support_reply", inquiry=samples.inquiry("en"), reply=reply)
    assert "Bold" not in sms.body  # the SMS only says an answer was sent


def test_the_acknowledgement_promises_the_answer_in_the_customers_time(
    composer: Composer,
) -> None:
    # Friday 19:20 in Paris; one working day of Mon–Fri 9–18 and Sat 10–13: Monday 14:00 Paris.
    monday = date(2026, 12, 7)
    for locale, hour in (("en", 13), ("fr", 14)):  # London is an hour behind Paris
        email = composer.email("inquiry_received", **samples.context("inquiry_received", locale))
        fmt = rc.i18n.Formatter(email.format_locale)
        when = translations(locale).gettext("by %(day)s, %(time)s") % {
            "day": format_date(monday, "EEEE", locale=email.format_locale),
            "time": fmt.time(time(hour, 0)),
        }
        assert when in email.text
    no_hours = rc.Shop.model_validate({**samples.shop().model_dump(), "support_hours": []})
    plain = Composer(no_hours).email(
        "inquiry_received", **samples.context("inquiry_received", "en")
    )
    within = translations("en").ngettext(
        "within %(count)s working day", "within %(count)s working days", 1
    ) % {"count": 1}
    assert within in plain.text
