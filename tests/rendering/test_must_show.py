"""Every kind × channel × shipped locale renders and shows what the customer must see.

The lists below are this test's own reading of DESIGN.md, kept apart from the
rules in :mod:`relationclient.checks` on purpose: every message must pass both,
and the library's rules must cover everything listed here, so neither can
quietly drop an item.
"""

import html as htmllib
from datetime import timedelta
from typing import Any

import pytest
from babel import Locale
from babel.numbers import format_currency, format_decimal

from relationclient import checks, samples
from relationclient.composer import Composer
from relationclient.i18n import translations
from relationclient.i18n.isolation import plain

from .conftest import KINDS, Expected, expected, squash, visible_text

LOCALES = samples.LOCALES


def contact_items(context: dict[str, Any], fmt: Expected) -> list[str]:
    shop = samples.shop()
    return [
        shop.name,
        fmt.fmt.phone(shop.phone),
        *fmt.fmt.hours(shop.support_hours),
        *fmt.fmt.address(shop.address, with_name=False),
        shop.email,
    ]


def must_show(kind: str, context: dict[str, Any], fmt: Expected, locale: str) -> list[str]:
    shop = samples.shop()
    items = contact_items(context, fmt)
    if kind == "account_created":
        customer = context["customer"]
        return [*items, customer.first_name, customer.email, context["login_url"], shop.terms_url]
    if kind == "order_confirmation":
        order = context["order"]
        items += [order.number, fmt.datetime(order.placed_at)]
        for line in order.lines:
            items += [
                line.name,
                str(line.quantity),
                fmt.money(line.unit_price, order.currency),
                fmt.money(line.total, order.currency),
            ]
        items += [
            fmt.money(order.subtotal),
            fmt.money(order.shipping_price, order.currency),
            fmt.money(-order.discount, order.currency),
            *(fmt.money(t.amount) for t in order.tax_lines),
            fmt.money(order.total),
            order.delivery.method,
            *fmt.fmt.address(order.delivery.address),
            fmt.day(order.delivery.estimated_date),
            order.tracking_url,
            str(shop.withdrawal_days),
            shop.terms_url,
        ]
        return items
    if kind == "shipment_sent":
        shipment = context["shipment"]
        return [
            *items,
            shipment.order.number,
            shipment.tracking_number,
            shipment.carrier_name,
            shipment.tracking_url,
            fmt.date(shipment.shipped_at),
            *(line.name for line in shipment.items),
            fmt.day(shipment.expected_on),
            *fmt.fmt.address(shipment.order.delivery.address),
        ]
    if kind == "order_delayed":
        order, delay = context["order"], context["delay"]
        reason = translations(locale).gettext(
            "an item of your order is out of stock at our supplier's, and we are waiting for "
            "the new delivery"
        )
        return [
            *items,
            order.number,
            reason,
            fmt.day(delay.previous_date),
            fmt.day(delay.new_date),
        ]
    if kind == "delivery_check":
        order = context["order"]
        items += [order.number, context["review_url"]]
        if order.customer.marketing_consent:
            promo = context["promo"]
            items += [promo.code, fmt.date(promo.expires_on)]
        return items
    if kind in ("inquiry_received", "support_reply"):
        inquiry = context["inquiry"]
        items += [inquiry.customer.first_name, inquiry.id, inquiry.subject]
        if kind == "support_reply":
            reply = context["reply"]
            return [
                *items,
                reply.agent_name.split()[0],
                reply.body.split("\n")[0].split(" https")[0],
            ]
        return [*items, inquiry.body.split("\n")[0]]
    order = context["order"]
    items.append(order.number)
    if kind == "order_preparing":
        return [*items, fmt.day(order.delivery.estimated_date), order.tracking_url]
    if kind in ("order_cancelled", "refund_issued"):
        event = context.get("cancellation")
        refund = event.refund if event is not None else context["refund"]
        lines = event.lines if event is not None else refund.lines
        return [
            *items,
            *(line.name for line in lines),
            fmt.money(refund.amount),
            refund.method,
            fmt.day(refund.expected_by),
        ]
    if kind == "withdrawal_acknowledged":
        withdrawal = context["withdrawal"]
        deadline = fmt._day(withdrawal.received_at) + timedelta(days=14)
        return [
            *items,
            fmt.datetime(withdrawal.received_at),
            *(line.name for line in withdrawal.lines),
            *fmt.fmt.address(shop.address),
            fmt.day(deadline),
        ]
    raise AssertionError(kind)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_email_shows_everything_the_customer_must_see(
    composer: Composer, kind: str, locale: str
) -> None:
    context = samples.context(kind, locale)
    email = composer.email(kind, **context)
    assert email.locale == locale
    assert email.kind == kind
    fmt = expected(context)
    text, html = squash(email.text), visible_text(email.html)
    for item in must_show(kind, context, fmt, locale):
        assert squash(item) in text, f"text part of {kind}/{locale} lacks {item!r}"
        # In HTML an isolated value is bare, in its span (tests/rendering/test_isolation.py).
        assert squash(plain(item)) in html, f"HTML part of {kind}/{locale} lacks {item!r}"
    assert email.subject
    assert "\n" not in email.subject
    assert email.preheader
    if "inquiry" in context:
        assert context["inquiry"].id in email.subject
    elif kind != "account_created":
        order = context.get("order") or context["shipment"].order
        assert order.number in email.subject
    # The library's rules (what `relationclient check` applies) agree, and cover this list.
    assert checks.message_problems(composer, email, context) == []
    rules = {
        checks.squash(plain(r.text))
        for r in checks.must_show(composer, kind, "email", locale, context)
    }
    for item in must_show(kind, context, fmt, locale):
        assert squash(plain(item)) in rules, (
            f"relationclient.checks forgets {item!r} in {kind}/{locale}"
        )


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_sms_carries_the_essential_fact(composer: Composer, kind: str, locale: str) -> None:
    context = samples.context(kind, locale)
    sms = composer.sms(kind, **context)
    fmt = expected(context)
    problems = checks.message_problems(
        composer, sms, context, sms_segments=checks.DEFAULT_SMS_SEGMENTS
    )
    assert problems == []
    assert samples.shop().name in sms.body
    assert sms.to.startswith("+")
    assert sms.sender == samples.shop().sender
    assert "\n" not in sms.body
    if kind == "account_created":
        assert context["login_url"] in sms.body
    elif "inquiry" in context:
        assert context["inquiry"].id in sms.body
        assert "SHADE-LIN" not in sms.body  # the answer goes by email, never by SMS
    else:
        order = context.get("order") or context["shipment"].order
        assert order.number in sms.body
    if kind == "shipment_sent":
        assert context["shipment"].tracking_url in sms.body
        assert context["shipment"].tracking_number in sms.body
    if kind == "order_delayed":
        assert fmt.short_date(context["delay"].new_date) in sms.body
    if kind == "delivery_check":
        assert context["review_url"] in sms.body
        consent = context["order"].customer.marketing_consent
        assert (context["promo"].code in sms.body) is consent
        assert sms.purpose == ("marketing" if consent else "transactional")
        assert ("STOP" in sms.body) is consent


def test_french_and_english_money_styles(composer: Composer) -> None:
    fr = composer.email("order_confirmation", order=samples.order("fr"))
    en = composer.email("order_confirmation", order=samples.order("en"))
    total = samples.order("fr").total.amount
    assert format_currency(total, "EUR", locale="fr_FR") in fr.text  # 1 365,20 €
    assert format_currency(total, "EUR", locale="en_GB") in en.text  # €1,365.20
    assert format_currency(total, "EUR", locale="fr_FR") in htmllib.unescape(fr.html)


def test_yen_has_no_minor_unit(composer: Composer) -> None:
    order = samples.jpy_order()
    email = composer.email("order_confirmation", order=order)
    assert email.locale == "en"
    assert email.format_locale == "en_JP"
    assert order.total.amount == order.total.amount.to_integral_value()
    total = format_currency(order.total.amount, "JPY", locale="en_JP")
    assert total.endswith(format_decimal(order.total.amount, locale="en_JP"))  # no minor unit
    assert total in email.text
    assert total in visible_text(email.html)


def test_partial_shipment_says_so(composer: Composer) -> None:
    first, second = samples.shipments("fr")
    email = composer.email("shipment_sent", shipment=first)
    whole = composer.email("shipment_sent", shipment=samples.shipment("fr"))
    assert first.items[0].name in email.text
    assert second.items[0].name not in email.text
    assert email.subject != whole.subject
    assert email.idempotency_key != composer.email("shipment_sent", shipment=second).idempotency_key


@pytest.mark.parametrize("locale", LOCALES)
def test_the_last_parcel_of_a_split_order_announces_no_other(
    composer: Composer, locale: str
) -> None:
    first, last = samples.shipments(locale)
    assert first.more_to_come
    assert not last.more_to_come
    gettext = translations(locale).gettext
    follow = gettext(
        "Good news: part of your order has left our warehouse. "
        "The other items follow in a separate parcel."
    )
    rest = gettext("Good news: the rest of your order has left our warehouse.")
    opening, closing = (
        composer.email("shipment_sent", shipment=parcel, locale=locale) for parcel in (first, last)
    )
    assert follow in opening.text
    assert rest not in opening.text
    assert rest in closing.text
    assert follow not in closing.text
    assert squash(htmllib.escape(rest, quote=False)) in squash(closing.html)
    number = first.order.number
    if Locale.parse(locale).character_order == "right-to-left":
        number = f"\u2066{number}\u2069"  # kept whole by LRI…PDI (test_isolation.py)
    assert closing.subject == gettext("The rest of your order %(number)s has shipped") % {
        "number": number
    }
    sms = composer.sms("shipment_sent", shipment=last, locale=locale).body
    assert gettext("rest of order %(number)s shipped") % {"number": number} in sms


def test_withdrawal_right_only_for_eu_shops(composer: Composer) -> None:
    us_shop = samples.shop().model_copy(
        update={
            "address": samples.shop().address.model_copy(
                update={"country": "US", "postal_code": "10001", "city": "New York", "region": "NY"}
            ),
            "phone": "+12125550123",
        }
    )
    eu = composer.email("order_confirmation", order=samples.order("en"))
    us = Composer(us_shop).email("order_confirmation", order=samples.order("en"))
    assert "withdraw" in eu.text
    assert "withdraw" not in us.text


@pytest.mark.parametrize(
    ("kind", "locale"), [("order_confirmation", "fr"), ("shipment_sent", "ar")]
)
def test_checks_notice_each_item_taken_out(composer: Composer, kind: str, locale: str) -> None:
    """Blank out each must-show text in turn: relationclient.checks reports exactly that item."""
    context = samples.context(kind, locale)
    email = composer.email(kind, **context)
    html = htmllib.unescape(email.html)
    for item in checks.must_show(composer, kind, "email", locale, context):
        if not item.present or len(item.text) < 3:
            continue  # a quantity "1" or a day "14" appears elsewhere too
        gutted = email.model_copy(update={"html": html.replace(plain(item.text), "")})
        found = checks.message_problems(composer, gutted, context)
        assert any(p.part == "HTML" and item.what in p.detail for p in found), (
            f"{kind}/{locale}: removing the {item.what} {item.text!r} went unnoticed"
        )
