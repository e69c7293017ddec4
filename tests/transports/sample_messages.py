"""Sample messages for the transport tests, built from :mod:`relationclient.samples`.

``composed_email`` goes through the real Composer; ``email`` and ``sms`` build
the messages directly (fast enough to send by the thousand) with the same
sample shop, customers and orders, and vary with ``seed``.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from relationclient import samples
from relationclient.composer import Composer
from relationclient.messages import Email, Mailbox, Sms, idempotency_key


def composed_email(locale: str = "fr") -> Email:
    """The order confirmation of the ``locale`` sample order, rendered by the Composer."""
    return Composer(samples.shop()).email("order_confirmation", order=samples.order(locale))


#: An unsubscribe endpoint whose links pass 300 characters: campaign tags and all.
LONG_UNSUBSCRIBE_URL = (
    "https://www.maison-lumiere.fr/newsletter/desinscription/confirmer?"
    "utm_source=relationclient&utm_medium=email&utm_campaign=avis-livraison-hiver-2026"
    "&utm_content=bandeau-code-promo&lang=fr&token={token}"
)


def marketing_email(locale: str = "fr") -> Email:
    """The delivery check with its promo for a consenting customer, with a 300+ character link."""
    composer = Composer(
        samples.shop(),
        unsubscribe_url=LONG_UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    built = composer.email("delivery_check", **samples.context("delivery_check", locale))
    assert built.purpose == "marketing"
    return built


def list_unsubscribe_lines(raw: bytes) -> list[bytes]:
    """The raw ``List-Unsubscribe`` header of ``raw``: its first line and its continuations."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(b"List-Unsubscribe:"))
    end = start + 1
    while lines[end][:1] in (b" ", b"\t"):
        end += 1
    return lines[start:end]


def assert_list_unsubscribe_unencoded(raw: bytes, built: Email) -> None:
    """``raw`` carries ``built``'s List-Unsubscribe literally, folded only between its items."""
    lines = list_unsubscribe_lines(raw)
    assert b"=?" not in b"".join(lines)  # never RFC 2047-encoded
    url, mailto = built.headers["List-Unsubscribe"].split(", ")
    assert lines == [f"List-Unsubscribe: {url},".encode(), f" {mailto}".encode()]


def email(locale: str = "fr", *, seed: int = 0, **changes: Any) -> Email:
    """An order confirmation for the ``locale`` sample customer; ``changes`` override fields."""
    shop, order = samples.shop(), samples.order(locale, seed=seed)
    customer = order.customer
    lines = "\n".join(f"- {line.quantity} × {line.name}" for line in order.lines)
    fields: dict[str, Any] = {
        "to": Mailbox(address=customer.email, name=customer.full_name),
        "sender": Mailbox(address=shop.email, name=shop.name),
        "reply_to": Mailbox(address="service@maison-lumiere.fr", name=f"{shop.name} — service"),
        "subject": f"Commande {order.number} confirmée — merci {customer.first_name} !",
        "preheader": f"Livraison prévue le {order.delivery.estimated_date:%d/%m/%Y}",
        "html": (
            f'<!doctype html><html lang="{locale}"><body><h1>Merci {customer.first_name}</h1>'
            f"<p>Commande <b>{order.number}</b> : {order.total}</p></body></html>"
        ),
        "text": f"Merci {customer.first_name} !\n\nCommande {order.number}\n{lines}\n",
        "headers": {"X-Order-Number": order.number, "X-Mailer-Kind": "order_confirmation"},
        "kind": "order_confirmation",
        "locale": locale,
        "idempotency_key": idempotency_key(
            "order_confirmation", order.number, "email", customer.email
        ),
        "created_at": order.placed_at,
    }
    fields.update(changes)
    return Email(**fields)


def emails(count: int, locale: str = "fr") -> list[Email]:
    """``count`` distinct order confirmations: own key (so own Message-ID) and subject each."""
    base = email(locale)
    return [
        base.model_copy(
            update={
                "idempotency_key": idempotency_key("bulk", str(i), "email", base.recipient),
                "subject": f"{base.subject} #{i}",
            }
        )
        for i in range(count)
    ]


def assert_arrived_intact(received: EmailMessage, built: Email) -> None:
    """``received`` (parsed on arrival) says exactly what ``built`` said."""
    assert received["Subject"] == built.subject
    assert received["Message-ID"] == built.message_id
    for header, mailbox in (("From", built.sender), ("To", built.to), ("Reply-To", built.reply_to)):
        if mailbox is None:
            assert header not in received
            continue
        [address] = received[header].addresses
        assert (address.display_name or None, address.addr_spec) == (mailbox.name, mailbox.address)
    if built.created_at is not None:
        assert received["Date"].datetime == built.created_at.replace(microsecond=0)
    for name, value in built.headers.items():
        assert received[name] == value
    assert received.get_content_type() == "multipart/alternative"
    for subtype, content in (("plain", built.text), ("html", built.html)):
        part = received.get_body((subtype,))
        assert part is not None
        assert part.get_content_charset() == "utf-8"
        assert part.get_content().replace("\r\n", "\n").rstrip("\n") == content.rstrip("\n")


def sms(locale: str = "fr", *, seed: int = 0, **changes: Any) -> Sms:
    """The shipment SMS for the ``locale`` sample customer; ``changes`` override fields."""
    shop, shipment = samples.shop(), samples.shipment(locale, seed=seed)
    phone = shipment.order.customer.phone
    assert phone is not None
    fields: dict[str, Any] = {
        "to": phone,
        "sender": shop.sender,
        "body": (
            f"{shop.name} : commande {shipment.order.number} expédiée, "
            f"suivi {shipment.tracking_number} {shipment.tracking_url}"
        ),
        "kind": "shipment_sent",
        "locale": locale,
        "idempotency_key": idempotency_key("shipment_sent", shipment.tracking_number, "sms", phone),
    }
    fields.update(changes)
    return Sms(**fields)
