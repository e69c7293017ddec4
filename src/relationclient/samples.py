"""Realistic sample data: one French shop, a customer per shipped locale, orders and parcels.

The same objects feed the tests, the documentation, ``relationclient demo`` and
the benchmarks, so what the docs show is what the tests check. Every function
builds fresh objects; pass ``seed`` to vary numbers and prices (benchmarks render
fresh data each iteration).

Example:
    >>> from relationclient import samples
    >>> samples.order("de").customer.first_name
    'Jonas'
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .models import (
    Address,
    Cancellation,
    CancellationReason,
    Customer,
    Delay,
    DelayReason,
    Delivery,
    Inquiry,
    Money,
    Order,
    OrderLine,
    Promo,
    Refund,
    Reply,
    Shipment,
    Shop,
    SupportHours,
    Withdrawal,
)

__all__ = [
    "LOCALES",
    "LOGIN_URL",
    "REVIEW_URL",
    "UNSUBSCRIBE_SECRET",
    "UNSUBSCRIBE_URL",
    "amount_promo",
    "cancellation",
    "context",
    "customer",
    "customers",
    "delay",
    "inquiry",
    "jpy_order",
    "order",
    "promo",
    "refund",
    "reply",
    "shipment",
    "shipments",
    "shop",
    "withdrawal",
]

#: The locales relationclient ships, French first (the home market).
LOCALES = ("fr", "en", "de", "es", "it", "nl", "ar")

LOGIN_URL = "https://www.maison-lumiere.fr/compte/connexion"
REVIEW_URL = "https://www.maison-lumiere.fr/avis"
#: The sample shop's unsubscribe endpoint: ``Composer(unsubscribe_url=...)``, where
#: the composer puts each reader's signed token (see :mod:`relationclient.unsubscribe`).
UNSUBSCRIBE_URL = "https://www.maison-lumiere.fr/desinscription?token={token}"
#: The secret the sample shop signs unsubscribe tokens with. For samples, tests and
#: docs only: a real shop keeps its own out of the code (an environment variable).
UNSUBSCRIBE_SECRET = "sample-only-unsubscribe-secret-never-use-in-production"
_PARIS = ZoneInfo("Europe/Paris")


def shop() -> Shop:
    """Maison Lumière, a French home-goods shop in Lyon: the home-market example."""
    return Shop(
        name="Maison Lumière",
        legal_name="Maison Lumière SAS",
        email="bonjour@maison-lumiere.fr",
        address=Address(
            line1="12 rue de la République", postal_code="69002", city="Lyon", country="FR"
        ),
        phone="04 78 12 34 56",
        website="https://www.maison-lumiere.fr",
        support_hours=(
            SupportHours(days="mon-fri", opens="09:00", closes="18:00"),
            SupportHours(days=["sat"], opens="10:00", closes="13:00"),
        ),
        default_locale="fr",
        terms_url="https://www.maison-lumiere.fr/cgv",
        privacy_url="https://www.maison-lumiere.fr/confidentialite",
        withdrawal_days=14,
        logo_url="https://www.maison-lumiere.fr/static/logo.png",
        sender="MaisonLum",
        sms_stop_number="36111",
        return_costs="customer",
        vat_number="FR32123456789",
        company_id="RCS Lyon 123 456 789",
    )


_CUSTOMERS: dict[str, dict[str, Any]] = {
    "fr": {
        "first_name": "Camille",
        "last_name": "Dupont",
        "email": "camille.dupont@example.fr",
        "country": "FR",
        "phone": "06 12 34 56 78",
        "timezone": "Europe/Paris",
        "address": ("8 avenue Jean Jaurès", None, "69007", "Lyon", None, "FR"),
    },
    "en": {
        "first_name": "Oliver",
        "last_name": "Smith",
        "email": "oliver.smith@example.co.uk",
        "country": "GB",
        "phone": "07911 123456",
        "timezone": "Europe/London",
        "address": ("221 Baker Street", "Flat 2", "NW1 6XE", "London", None, "GB"),
    },
    "de": {
        "first_name": "Jonas",
        "last_name": "Müller",
        "email": "jonas.mueller@example.de",
        "country": "DE",
        "phone": "0151 23456789",
        "timezone": "Europe/Berlin",
        "address": ("Torstraße 101", None, "10119", "Berlin", None, "DE"),
    },
    "es": {
        "first_name": "Lucía",
        "last_name": "García",
        "email": "lucia.garcia@example.es",
        "country": "ES",
        "phone": "612 345 678",
        "timezone": "Europe/Madrid",
        "address": ("Calle de Alcalá 45", "3º B", "28014", "Madrid", None, "ES"),
    },
    "it": {
        "first_name": "Giulia",
        "last_name": "Rossi",
        "email": "giulia.rossi@example.it",
        "country": "IT",
        "phone": "312 345 6789",
        "timezone": "Europe/Rome",
        "address": ("Via Dante 12", None, "20121", "Milano", "MI", "IT"),
    },
    "nl": {
        "first_name": "Sanne",
        "last_name": "de Vries",
        "email": "sanne.devries@example.nl",
        "country": "NL",
        "phone": "06 12345678",
        "timezone": "Europe/Amsterdam",
        "address": ("Oudegracht 150", None, "3511 AZ", "Utrecht", None, "NL"),
    },
    "ar": {
        "first_name": "ليلى",
        "last_name": "حداد",
        "email": "layla.haddad@example.ae",
        "country": "AE",
        "phone": "050 123 4567",
        "timezone": "Asia/Dubai",
        "address": ("شارع الشيخ زايد، برج الواحة", "الطابق 14", None, "دبي", None, "AE"),
    },
}

# (sku, unit price in EUR, VAT rate, names per locale)
_PRODUCTS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (
        "LAMP-ARC-01",
        "189.00",
        "0.20",
        {
            "fr": "Lampe arc en laiton",
            "en": "Brass arc lamp",
            "de": "Bogenlampe aus Messing",
            "es": "Lámpara de arco de latón",
            "it": "Lampada ad arco in ottone",
            "nl": "Booglamp van messing",
            "ar": "مصباح مقوس من النحاس",
        },
    ),
    (
        "CUSH-LIN-45",
        "34.90",
        "0.20",
        {
            "fr": "Coussin en lin lavé 45 × 45 cm",
            "en": "Washed linen cushion 45 × 45 cm",
            "de": "Kissen aus gewaschenem Leinen 45 × 45 cm",
            "es": "Cojín de lino lavado 45 × 45 cm",
            "it": "Cuscino in lino lavato 45 × 45 cm",
            "nl": "Kussen van gewassen linnen 45 × 45 cm",
            "ar": "وسادة من الكتان المغسول 45 × 45 سم",
        },
    ),
    (
        "CANDLE-FIG",
        "24.50",
        "0.20",
        {
            "fr": "Bougie parfumée figuier",
            "en": "Fig tree scented candle",
            "de": "Duftkerze Feigenbaum",
            "es": "Vela perfumada de higuera",
            "it": "Candela profumata al fico",
            "nl": "Geurkaars vijgenboom",
            "ar": "شمعة معطرة بالتين",
        },
    ),
    (
        "BOOK-DECO",
        "39.00",
        "0.055",
        {
            "fr": "Livre «\u00a0Habiter la lumière\u00a0»",
            "en": "Book “Living with Light”",
            "de": "Buch „Mit Licht wohnen“",
            "es": "Libro «Habitar la luz»",
            "it": "Libro «Abitare la luce»",
            "nl": "Boek ‘Wonen met licht’",
            "ar": "كتاب «العيش مع الضوء»",
        },
    ),
    (
        "VASE-GRES-S",
        "1002.00",
        "0.20",
        {
            "fr": "Vase en grès émaillé, pièce unique",
            "en": "Glazed stoneware vase, one of a kind",
            "de": "Vase aus glasiertem Steinzeug, Unikat",
            "es": "Jarrón de gres esmaltado, pieza única",
            "it": "Vaso in gres smaltato, pezzo unico",
            "nl": "Vaas van geglazuurd steengoed, uniek stuk",
            "ar": "مزهرية من الخزف الحجري المزجج، قطعة فريدة",
        },
    ),
)

_METHODS = {
    "fr": "Colissimo à domicile",
    "en": "DHL Express",
    "de": "DHL Paket",
    "es": "Colissimo Internacional",
    "it": "Colissimo Internazionale",
    "nl": "DPD Home",
    "ar": "DHL Express",
}


def customer(sample: str = "fr", **changes: Any) -> Customer:
    """The sample customer who reads locale ``sample``; ``changes`` override any field."""
    data = {k: v for k, v in _CUSTOMERS[sample].items() if k != "address"}
    data.update(locale=sample, marketing_consent=sample in ("fr", "de", "ar"), id=f"C-{sample}")
    data.update(changes)
    return Customer(**data)


def customers() -> dict[str, Customer]:
    """One sample customer per shipped locale, keyed by locale."""
    return {locale: customer(locale) for locale in LOCALES}


def _address(locale: str, name: str) -> Address:
    line1, line2, postal_code, city, region, country = _CUSTOMERS[locale]["address"]
    return Address(
        name=name,
        line1=line1,
        line2=line2,
        postal_code=postal_code,
        city=city,
        region=region,
        country=country,
    )


def order(locale: str = "fr", *, lines: int = 5, seed: int = 0, **changes: Any) -> Order:
    """A placed EUR order of ``lines`` lines for the ``locale`` customer.

    ``seed`` varies the order number, quantities and prices, so that repeated
    calls give fresh data; seed 0 is the one the docs show (its total passes
    1 000 € so thousands separators are visible).
    """
    buyer = changes.pop("customer", None) or customer(locale)
    order_lines = []
    for i in range(lines):
        sku, price, rate, names = _PRODUCTS[i % len(_PRODUCTS)]
        unit = Decimal(price) + Decimal(seed % 7) * Decimal("0.10")
        order_lines.append(
            OrderLine(
                sku=sku if i < len(_PRODUCTS) else f"{sku}-{i}",
                name=names[locale] if locale in names else names["en"],
                quantity=1 + (i + seed) % 3 if i != 4 else 1,
                unit_price=unit,
                tax_rate=Decimal(rate),
            )
        )
    placed = datetime(2026, 11, 20, 10, 42, tzinfo=_PARIS) + timedelta(minutes=seed % 600)
    data: dict[str, Any] = {
        "number": f"ML-2026-{10482 + seed:05d}",
        "placed_at": placed,
        "customer": buyer,
        "currency": "EUR",
        "lines": tuple(order_lines),
        "shipping_price": Decimal("6.90"),
        "discount": Decimal("15.00"),
        "delivery": Delivery(
            method=_METHODS.get(locale, "Colissimo"),
            address=_address(locale if locale in _CUSTOMERS else "fr", buyer.full_name),
            estimated_date=date(2026, 11, 25),
        ),
        "tracking_url": f"https://www.maison-lumiere.fr/commandes/ML-2026-{10482 + seed:05d}",
        "payment_method": "Visa •••• 4242",
    }
    data.update(changes)
    return Order(**data)


def jpy_order() -> Order:
    """An order in Japanese yen (no minor unit) for an English-speaking customer in Tokyo."""
    buyer = Customer(
        first_name="Hana",
        last_name="Sato",
        email="hana.sato@example.jp",
        country="JP",
        phone="090-1234-5678",
        locale="en",
        timezone="Asia/Tokyo",
    )
    return Order(
        number="ML-2026-20001",
        placed_at=datetime(2026, 11, 21, 9, 5, tzinfo=ZoneInfo("Asia/Tokyo")),
        customer=buyer,
        currency="JPY",
        lines=(
            OrderLine(
                sku="CANDLE-FIG", name="Fig tree scented candle", quantity=2, unit_price=4200
            ),
            OrderLine(sku="LAMP-ARC-01", name="Brass arc lamp", quantity=1, unit_price=31835),
        ),
        shipping_price=Decimal(2500),
        delivery=Delivery(
            method="DHL Express",
            address=Address(
                name="Hana Sato",
                line1="1-2-3 Jingumae",
                postal_code="150-0001",
                city="Shibuya-ku",
                region="Tokyo",
                country="JP",
            ),
            estimated_date=date(2026, 11, 28),
        ),
        tracking_url="https://www.maison-lumiere.fr/commandes/ML-2026-20001",
        prices_include_tax=False,
    )


def shipment(locale: str = "fr", *, seed: int = 0, **changes: Any) -> Shipment:
    """The whole order for ``locale`` shipped in one Colissimo parcel."""
    data: dict[str, Any] = {
        "order": changes.pop("order", None) or order(locale, seed=seed),
        "carrier": "Colissimo",
        "tracking_number": f"6A{23456789012 + seed}",
        "shipped_at": datetime(2026, 11, 22, 16, 5, tzinfo=_PARIS),
    }
    data.update(changes)
    return Shipment(**data)


def shipments(locale: str = "fr") -> tuple[Shipment, Shipment]:
    """The same order in two parcels: the lamp by Chronopost, then the rest by Colissimo."""
    the_order = order(locale)
    lamp, *rest = the_order.lines
    return (
        Shipment(
            order=the_order,
            carrier="Chronopost",
            tracking_number="XY123456789FR",
            shipped_at=datetime(2026, 11, 21, 11, 30, tzinfo=_PARIS),
            lines=(lamp,),
            estimated_delivery=date(2026, 11, 23),
        ),
        Shipment(
            order=the_order,
            carrier="Colissimo",
            tracking_number="6A23456789013",
            shipped_at=datetime(2026, 11, 22, 16, 5, tzinfo=_PARIS),
            lines=tuple(rest),
            completes_order=True,
        ),
    )


def delay(reason: DelayReason = DelayReason.STOCK_SHORTAGE) -> Delay:
    """The delivery of the sample order moved by five days."""
    return Delay(reason=reason, previous_date=date(2026, 11, 25), new_date=date(2026, 11, 30))


def _valid_until(months: int) -> date:
    """The last day of the month ``months`` after this one: sample offers stay current.

    An expired promo is refused at render time, so a sample offer with a fixed
    date would stop rendering the day after it.
    """
    today = date.today()
    years, month = divmod(today.month + months, 12)  # the month after the last one, 0-based
    return date(today.year + years, month + 1, 1) - timedelta(days=1)


def promo() -> Promo:
    """Ten percent off the next order, valid until the end of next month."""
    return Promo(code="MERCI10", percent_off=Decimal(10), expires_on=_valid_until(1))


def amount_promo() -> Promo:
    """Fifteen euros off from 80 euros."""
    return Promo(
        code="RETOUR15",
        amount_off=Money(amount=Decimal(15), currency="EUR"),
        minimum_order=Money(amount=Decimal(80), currency="EUR"),
        expires_on=_valid_until(2),
    )


def refund(of: Order | None = None, **changes: Any) -> Refund:
    """A partial refund of ``of`` (the French sample order): its second line, to the card.

    It arrives two weeks after the order was placed (4 December for the sample order).
    """
    of = of or order()
    line = of.lines[min(1, len(of.lines) - 1)]
    data: dict[str, Any] = {
        "amount": Money(amount=line.total, currency=of.currency),
        "method": "Visa •••• 4242",
        "expected_by": of.placed_at.date() + timedelta(days=14),
        "lines": (line,),
    }
    data.update(changes)
    return Refund(**data)


def cancellation(of: Order | None = None, **changes: Any) -> Cancellation:
    """The shop cancels the second line of ``of``: out of stock at the supplier's; refunded."""
    of = of or order()
    data: dict[str, Any] = {
        "reason": CancellationReason.OUT_OF_STOCK,
        "initiated_by": "shop",
        "lines": (of.lines[min(1, len(of.lines) - 1)],),
        "refund": refund(of),
    }
    data.update(changes)
    return Cancellation(**data)


def withdrawal(of: Order | None = None, **changes: Any) -> Withdrawal:
    """The customer withdraws from the first line of ``of``, a week after delivery.

    Received twelve days after the order, in the afternoon (2 December 2026,
    15:12 in Paris for the sample order).
    """
    of = of or order()
    placed = of.placed_at.astimezone(_PARIS)
    received = datetime.combine(placed.date() + timedelta(days=12), time(15, 12), tzinfo=_PARIS)
    data: dict[str, Any] = {"received_at": received, "lines": (of.lines[0],)}
    data.update(changes)
    return Withdrawal(**data)


# A customer's question and a person's answer, in each sample customer's language.
_QUESTIONS = {
    "fr": (
        "Abat-jour de la lampe arc",
        "Bonjour,\n\nL’abat-jour de la lampe arc existe-t-il aussi en lin naturel\u202f? "
        "Je voudrais l’assortir aux coussins que j’ai commandés.\n\nMerci d’avance,\nCamille",
        "Oui\u00a0: l’abat-jour existe en lin naturel (réf. SHADE-LIN), au même "
        "prix. Vous le trouverez ici : https://www.maison-lumiere.fr/abat-jour-lin.\n\n"
        "Si vous le commandez avant jeudi, nous l'expédierons avec le reste de votre commande.",
    ),
    "en": (
        "Lampshade for the arc lamp",
        "Hello,\n\nIs the arc lamp's shade also available in natural linen? I would like it "
        "to match the cushions I ordered.\n\nThanks,\nOliver",
        "Yes: the shade comes in natural linen too (ref. SHADE-LIN), at the "
        "same price. You will find it here: https://www.maison-lumiere.fr/abat-jour-lin.\n\n"
        "Order it before Thursday and we will ship it with the rest of your order.",
    ),
    "de": (
        "Lampenschirm der Bogenlampe",
        "Guten Tag,\n\ngibt es den Schirm der Bogenlampe auch in Naturleinen? Er soll zu den "
        "bestellten Kissen passen.\n\nViele Grüße\nJonas",
        "Ja, den Schirm gibt es auch in Naturleinen (Art. SHADE-LIN), zum "
        "gleichen Preis: https://www.maison-lumiere.fr/abat-jour-lin\n\n"
        "Wenn Sie ihn bis Donnerstag bestellen, versenden wir ihn mit Ihrer Bestellung.",
    ),
    "es": (
        "Pantalla de la lámpara de arco",
        "Hola:\n\n¿La pantalla de la lámpara de arco existe también en lino natural? Me "
        "gustaría combinarla con los cojines que he pedido.\n\nGracias,\nLucía",
        "Sí, la pantalla existe en lino natural (ref. SHADE-LIN), al mismo "
        "precio: https://www.maison-lumiere.fr/abat-jour-lin\n\n"
        "Si la pide antes del jueves, se la enviaremos con el resto de su pedido.",
    ),
    "it": (
        "Paralume della lampada ad arco",
        "Buongiorno,\n\nil paralume della lampada ad arco esiste anche in lino naturale? "
        "Vorrei abbinarlo ai cuscini che ho ordinato.\n\nGrazie,\nGiulia",
        "Sì, il paralume esiste anche in lino naturale (rif. SHADE-LIN), "
        "allo stesso prezzo: https://www.maison-lumiere.fr/abat-jour-lin\n\n"
        "Se lo ordina entro giovedì, lo spediremo insieme al resto del suo ordine.",
    ),
    "nl": (
        "Lampenkap van de booglamp",
        "Goedendag,\n\nIs de kap van de booglamp ook verkrijgbaar in naturel linnen? Ik wil "
        "hem laten passen bij de kussens die ik heb besteld.\n\nGroet,\nSanne",
        "Ja, de kap is ook verkrijgbaar in naturel linnen (art. SHADE-LIN), "
        "voor dezelfde prijs: https://www.maison-lumiere.fr/abat-jour-lin\n\n"
        "Bestelt u hem voor donderdag, dan versturen we hem met de rest van uw bestelling.",
    ),
    "ar": (
        "غطاء المصباح المقوّس",
        "مرحبًا،\n\nهل يتوفر غطاء المصباح المقوّس من الكتان الطبيعي أيضًا؟ أودّ أن يتناسق مع "
        "الوسائد التي طلبتها.\n\nشكرًا لكم،\nليلى",
        "نعم، يتوفر الغطاء من الكتان الطبيعي (المرجع SHADE-LIN) بالسعر نفسه: "
        "https://www.maison-lumiere.fr/abat-jour-lin\n\n"
        "إذا طلبتِه قبل يوم الخميس، فسنشحنه مع بقية طلبك.",
    ),
}


def inquiry(locale: str = "fr", **changes: Any) -> Inquiry:
    """The ``locale`` sample customer asks about a lampshade, on a Friday evening (Paris time).

    Received after the shop closed: the acknowledgement promises the answer
    for Monday, with the shop's default response time of one working day.
    """
    subject, body, _ = _QUESTIONS[locale if locale in _QUESTIONS else "en"]
    data: dict[str, Any] = {
        "id": "Q-2026-0457",
        "customer": customer(locale),
        "subject": subject,
        "body": body,
        "received_at": datetime(2026, 12, 4, 19, 20, tzinfo=_PARIS),
    }
    data.update(changes)
    return Inquiry(**data)


def reply(locale: str = "fr", **changes: Any) -> Reply:
    """Sophie's answer to the sample question, the next Monday morning."""
    _, _, body = _QUESTIONS[locale if locale in _QUESTIONS else "en"]
    data: dict[str, Any] = {
        "id": "A-2026-0457-1",
        "body": body,
        "agent_name": "Sophie Martin",
        "written_at": datetime(2026, 12, 7, 10, 5, tzinfo=_PARIS),
    }
    data.update(changes)
    return Reply(**data)


def context(kind: str, locale: str = "fr", *, seed: int = 0) -> dict[str, Any]:
    """The keyword arguments that render message ``kind`` for the ``locale`` sample customer."""
    if kind == "account_created":
        return {"customer": customer(locale), "login_url": LOGIN_URL}
    if kind == "order_confirmation":
        return {"order": order(locale, seed=seed)}
    if kind == "shipment_sent":
        return {"shipment": shipment(locale, seed=seed)}
    if kind == "order_preparing":
        return {"order": order(locale, seed=seed)}
    if kind == "order_delayed":
        return {"order": order(locale, seed=seed), "delay": delay()}
    if kind == "order_cancelled":
        placed = order(locale, seed=seed)
        return {"order": placed, "cancellation": cancellation(placed)}
    if kind == "refund_issued":
        placed = order(locale, seed=seed)
        return {"order": placed, "refund": refund(placed)}
    if kind == "withdrawal_acknowledged":
        placed = order(locale, seed=seed)
        return {"order": placed, "withdrawal": withdrawal(placed)}
    if kind == "delivery_check":
        return {"order": order(locale, seed=seed), "promo": promo(), "review_url": REVIEW_URL}
    if kind == "inquiry_received":
        return {"inquiry": inquiry(locale)}
    if kind == "support_reply":
        return {"inquiry": inquiry(locale), "reply": reply(locale)}
    raise KeyError(f"no sample context for message kind {kind!r}")
