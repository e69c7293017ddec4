"""One customer, one order, its whole life in messages: from welcome to "did it arrive well?".

Each step builds the email and the SMS the customer receives at that moment
and sends them through a :class:`~relationclient.transports.MemoryTransport`,
the transport tests use; swap in SMTP or a provider and nothing else changes.
Run it with ``python examples/order_lifecycle.py [LOCALE]`` (``fr`` by default).
"""

from __future__ import annotations

import sys
from datetime import date

import relationclient as rc
from relationclient import samples
from relationclient.transports import MemoryTransport

locale = sys.argv[1] if len(sys.argv) > 1 else "fr"
shop = samples.shop()
customer = samples.customer(locale)
order = samples.order(locale, customer=customer)
# The promo of the last step makes it marketing: the email links to the shop's
# unsubscribe endpoint with a signed token (see examples/unsubscribe_endpoint.py).
composer = rc.Composer(
    shop,
    unsubscribe_url=samples.UNSUBSCRIBE_URL,
    unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
)

# What happens to the order, in order, and what each message needs to know.
steps: list[tuple[rc.Kind, dict[str, object]]] = [
    (rc.Kind.ACCOUNT_CREATED, {"customer": customer, "login_url": samples.LOGIN_URL}),
    (rc.Kind.ORDER_CONFIRMATION, {"order": order}),
    (rc.Kind.ORDER_PREPARING, {"order": order}),
    # The supplier cannot deliver one item: the shop cancels that line and refunds it.
    (rc.Kind.ORDER_CANCELLED, {"order": order, "cancellation": samples.cancellation(order)}),
    (
        rc.Kind.ORDER_DELAYED,
        {
            "order": order,
            "delay": rc.Delay(
                reason=rc.DelayReason.CARRIER,
                previous_date=order.delivery.estimated_date,
                new_date=date(2026, 11, 27),
            ),
        },
    ),
    (rc.Kind.SHIPMENT_SENT, {"shipment": samples.shipment(locale, order=order)}),
    # A week after delivery the customer withdraws from the lamp (EU: 14 days, no reason);
    # the shop acknowledges it, then refunds it once the lamp is back.
    (rc.Kind.WITHDRAWAL_ACKNOWLEDGED, {"order": order, "withdrawal": samples.withdrawal(order)}),
    (
        rc.Kind.REFUND_ISSUED,
        {
            "order": order,
            "refund": samples.refund(
                order,
                amount=rc.Money(amount=order.lines[0].total, currency=order.currency),
                lines=(order.lines[0],),
                expected_by=date(2026, 12, 10),
            ),
        },
    ),
    (
        rc.Kind.DELIVERY_CHECK,
        {"order": order, "review_url": samples.REVIEW_URL, "promo": samples.promo()},
    ),
]

with MemoryTransport() as transport:
    for kind, context in steps:
        email = composer.email(kind, **context)
        sms = composer.sms(kind, **context)
        transport.send_many([email, sms])
        print(f"{kind.value:<23} email: {email.subject}")
        print(f"{'':<23} sms:   {sms.segments} segment(s) {sms.encoding}, {sms.purpose}")

    # The same event always gets the same idempotency key, so a retried job
    # can tell it already sent this one.
    again = composer.email(rc.Kind.ORDER_CONFIRMATION, order=order)
    sent_keys = {message.idempotency_key for message in transport.outbox}
    print(f"Sent {len(transport.outbox)} messages to {customer.full_name} ({locale}).")
    print(f"Rebuilt confirmation already sent: {again.idempotency_key in sent_keys}")
    marketing = [m for m in transport.outbox if m.purpose == "marketing"]
    print(f"Marketing messages (promo, consent given): {len(marketing)}")
