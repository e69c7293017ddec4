"""Fixtures of the provider tests: a provider stand-in on 127.0.0.1, and the messages sent to it.

The server itself is :class:`provider_server.ProviderServer`; ``start_provider_server``
(in the transport tests' conftest) starts more than one.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable

import pytest

from relationclient import Customer, Shop
from relationclient.messages import Attachment, Email, Mailbox, Sms, idempotency_key

from .provider_server import ProviderServer


@pytest.fixture
def server(start_provider_server: Callable[[], ProviderServer]) -> ProviderServer:
    """A provider stand-in listening on 127.0.0.1, stopped after the test."""
    return start_provider_server()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _mailbox_of(shop: Shop) -> Mailbox:
    return Mailbox(address=shop.email, name=shop.name)


@pytest.fixture
def email(shop: Shop, customer: Customer) -> Email:
    """A transactional order confirmation: no reply-to, no attachment, no extra header."""
    return Email(
        to=Mailbox(address=customer.email, name=customer.full_name),
        sender=_mailbox_of(shop),
        subject="Votre commande ML-2026-10482 est confirmée",
        html="<p>Bonjour Camille, merci pour votre commande.</p>",
        text="Bonjour Camille, merci pour votre commande.",
        kind="order_confirmation",
        locale="fr",
        idempotency_key=idempotency_key(
            "order_confirmation", "ML-2026-10482", "email", customer.email
        ),
    )


@pytest.fixture
def full_email(shop: Shop, customer: Customer) -> Email:
    """A marketing delivery check with reply-to, RFC 8058 unsubscribe headers and a PDF."""
    return Email(
        to=Mailbox(address=customer.email, name=customer.full_name),
        sender=_mailbox_of(shop),
        reply_to=Mailbox(address="service-client@maison-lumiere.fr", name="Service client"),
        subject="Votre colis est-il bien arrivé ?",
        html="<p>Votre avis compte : -10 % avec MERCI10.</p>",
        text="Votre avis compte : -10 % avec MERCI10.",
        headers={
            "List-Unsubscribe": "<https://www.maison-lumiere.fr/desabonnement/C-fr>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        attachments=(
            Attachment(
                filename="facture-ML-2026-10482.pdf",
                content=base64.b64encode(b"%PDF-1.7 facture"),
                mimetype="application/pdf",
            ),
        ),
        kind="delivery_check",
        locale="fr",
        purpose="marketing",
        idempotency_key=idempotency_key("delivery_check", "ML-2026-10482", "email", customer.email),
    )


@pytest.fixture
def sms(shop: Shop, customer: Customer) -> Sms:
    """A GSM-7 shipment alert (French, but every letter is in the GSM table)."""
    assert customer.phone is not None
    return Sms(
        to=customer.phone,
        sender=shop.sender,
        body="Maison Lumière : commande ML-2026-10482 expédiée, suivi 6A23456789012.",
        kind="shipment_sent",
        locale="fr",
        idempotency_key=idempotency_key("shipment_sent", "6A23456789012", "sms", customer.phone),
    )


@pytest.fixture
def unicode_sms(shop: Shop, customer: Customer) -> Sms:
    """A UCS-2 marketing SMS: the ``ê`` of "fenêtre" is not in GSM-7."""
    assert customer.phone is not None
    return Sms(
        to=customer.phone,
        sender=shop.sender,
        body="Maison Lumière : -10 % sur les voilages de fenêtre avec MERCI10. STOP au 36111",
        kind="delivery_check",
        locale="fr",
        purpose="marketing",
        idempotency_key=idempotency_key("delivery_check", "ML-2026-10482", "sms", customer.phone),
    )
