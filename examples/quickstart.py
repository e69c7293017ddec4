"""Quickstart: describe a shop and an order, build the confirmation, deliver it to a Maildir.

Run it with ``python examples/quickstart.py``. Everything stays on this
machine: the Maildir is created in a temporary directory and read back.
"""

from __future__ import annotations

import mailbox
import tempfile
from datetime import date, datetime
from decimal import Decimal
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import relationclient as rc
from relationclient.transports import MaildirTransport

# The shop: everything in the contact block of every email comes from here.
shop = rc.Shop(
    name="Atelier Papier",
    email="contact@atelier-papier.example",
    phone="01 42 68 53 00",  # national form, read with the address's country
    address=rc.Address(line1="8 rue des Archives", postal_code="75004", city="Paris", country="FR"),
    website="https://www.atelier-papier.example",
    support_hours=[rc.SupportHours(days="mon-fri", opens="09:30", closes="18:00")],
    terms_url="https://www.atelier-papier.example/cgv",
)

# The customer and the order, as the shop's own database would give them.
customer = rc.Customer(
    first_name="Inès",
    last_name="Martin",
    email="ines.martin@example.com",
    phone="06 98 76 54 32",
    country="FR",
    locale="fr",
)
order = rc.Order(
    number="AP-1042",
    placed_at=datetime(2026, 3, 2, 14, 5, tzinfo=ZoneInfo("Europe/Paris")),
    customer=customer,
    currency="EUR",
    lines=[
        rc.OrderLine(
            sku="NB-A5", name="Carnet A5 ligné", quantity=2, unit_price="14.90", tax_rate="0.20"
        ),
        rc.OrderLine(
            sku="INK-BL", name="Encre bleu nuit", quantity=1, unit_price="9.50", tax_rate="0.20"
        ),
    ],
    shipping_price=Decimal("4.90"),
    delivery=rc.Delivery(
        method="Colissimo",
        address=rc.Address(
            name="Inès Martin",
            line1="3 place Bellecour",
            postal_code="69002",
            city="Lyon",
            country="FR",
        ),
        estimated_date=date(2026, 3, 5),
    ),
    tracking_url="https://www.atelier-papier.example/commandes/AP-1042",
)

# Build the messages: one composer per shop, reused for every message.
composer = rc.Composer(shop)
email = composer.email("order_confirmation", order=order)
sms = composer.sms("order_confirmation", order=order)
print(f"Email subject: {email.subject}")
print(f"Order total:   {order.total}")
print(f"SMS ({sms.encoding}, segments={sms.segments}): {sms.body}")

# Deliver both into a Maildir, the embedded transport, and read the email back.
with tempfile.TemporaryDirectory() as tmp:
    folder = Path(tmp) / "maildir"
    with MaildirTransport(folder) as transport:
        receipts = transport.send_many([email, sms])
    for receipt in receipts:
        print(f"Delivered to {receipt.recipient} by {receipt.transport}: {receipt.message_id}")
    box = mailbox.Maildir(folder, create=False)
    [key] = box.keys()
    stored = BytesParser(policy=policy.default).parse(box.get_file(key))
    print(f"Maildir holds: {stored['Subject']} (to {stored['To']})")
    sms_lines = (folder / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    print(f"SMS log holds {len(sms_lines)} SMS")
