"""A FastAPI shop: an order placed over HTTP, its confirmation stored and sent in the background.

``POST /orders`` renders the order confirmation with the Composer and stores it
with ``await outbox.aput(…)`` — nothing is sent in the request, and a
provider's bad minute never fails an order. The app's lifespan runs one
dispatcher task that loops ``await outbox.adispatch(transport)``, woken at once
by each new order and every few seconds anyway (for retries that fall due);
when the app stops, the task is cancelled, which the outbox survives: what was
out comes back to the queue, nothing is lost. The provider's webhooks come in
through ``relationclient.events.asgi_app`` mounted at ``/webhooks``.

Neither the database nor the provider blocks the event loop: on SQLite the
outbox works from a worker thread, on PostgreSQL through psycopg's async
connection; an HTTP provider (``PostmarkTransport(token)`` in production)
sends a batch concurrently over one pooled ``httpx.AsyncClient``.

Run as a script (``pip install fastapi uvicorn``), it serves the app with
uvicorn on 127.0.0.1, places an order over HTTP, waits for the confirmation
to land in a Maildir (standing in for the provider), then plays Postmark
reporting its delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Mapping
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

import relationclient as rc
from relationclient import events, samples
from relationclient.outbox import Outbox
from relationclient.transports import AsyncTransport, MaildirTransport

logger = logging.getLogger("fastapi_shop")

#: Postmark calls https://user:password@shop.example/webhooks/postmark (from settings, in a shop).
POSTMARK_HOOKS = events.BasicAuth("postmark-hooks", "change-me-4e1f9a")


class OrderRequest(BaseModel):
    """What the shop's checkout posts (the lines come from the sample catalogue here)."""

    number: str
    email: str
    first_name: str
    last_name: str
    locale: str = "fr"


def create_app(
    outbox: Outbox,
    transport: AsyncTransport,
    composer: rc.Composer,
    webhook_secrets: Mapping[str, Any],
    *,
    public_url: str | None = None,
    poll_seconds: float = 5.0,
) -> FastAPI:
    """The shop's app: ``POST /orders``, the dispatcher in its lifespan, ``/webhooks``."""

    async def dispatch_forever(wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            try:
                report = await outbox.adispatch(transport)
                if report.claimed:
                    logger.info("dispatched: %s", report)
            except Exception:  # a database hiccup: log it, try again at the next turn
                logger.exception("dispatch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.wake = asyncio.Event()
        dispatcher = asyncio.create_task(dispatch_forever(app.state.wake))
        try:
            yield
        finally:
            dispatcher.cancel()  # entries out at that moment go back to the queue
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            await transport.aclose()
            await outbox.aclose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/orders", status_code=201)
    async def place_order(placed: OrderRequest, request: Request) -> dict[str, str]:
        customer = samples.customer(
            placed.locale,
            email=placed.email,
            first_name=placed.first_name,
            last_name=placed.last_name,
        )
        order = samples.order(placed.locale, number=placed.number, customer=customer)
        confirmation = composer.email("order_confirmation", order=order)
        entry = await outbox.aput(confirmation)  # stored: it will be sent, even after a crash
        request.app.state.wake.set()
        return {"order": order.number, "message": entry.idempotency_key, "state": entry.state}

    app.mount("/webhooks", events.asgi_app(outbox, webhook_secrets, public_url=public_url))
    return app


def wait_for_mail(folder: Path) -> Path:
    """The first message delivered into the Maildir ``folder`` (polled)."""
    for _ in range(1000):
        delivered = sorted((folder / "new").glob("*"))
        if delivered:
            return delivered[0]
        time.sleep(0.01)
    raise SystemExit("the confirmation never arrived")


if __name__ == "__main__":
    try:
        import uvicorn
    except ImportError:
        sys.exit("this example needs an ASGI server: pip install uvicorn")
    with tempfile.TemporaryDirectory() as folder:
        outbox = Outbox(f"sqlite:///{Path(folder) / 'outbox.sqlite3'}")
        maildir = Path(folder) / "maildir"
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        app = create_app(
            outbox,
            MaildirTransport(maildir),
            rc.Composer(samples.shop()),
            {"postmark": POSTMARK_HOOKS},
            public_url=f"{base}/webhooks",
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            order = {
                "number": "ML-2026-20001",
                "email": "camille.dupont@example.fr",
                "first_name": "Camille",
                "last_name": "Dupont",
                "locale": "fr",
            }
            answer = httpx.post(f"{base}/orders", json=order, timeout=10)
            placed = answer.json()
            print(f"Order placed: {answer.status_code} {placed['order']}, {placed['state']}")

            delivered = message_from_bytes(wait_for_mail(maildir).read_bytes(), policy=default)
            print(f"Delivered: {delivered['Subject']} to {delivered['To']}")
            entry = outbox.get(placed["message"])
            while entry is None or entry.state != "sent":  # the record follows the delivery
                time.sleep(0.01)
                entry = outbox.get(placed["message"])
            print(f"Outbox entry: {entry.state}, attempts {entry.attempts}")

            delivery = {  # Postmark's Delivery webhook, as it documents it
                "RecordType": "Delivery",
                "MessageID": entry.provider_message_id,
                "Recipient": order["email"],
                "DeliveredAt": "2026-11-20T10:43:05Z",
                "Details": "smtp;250 2.0.0 OK",
                "Metadata": {"idempotency_key": placed["message"]},
            }
            hooks = (POSTMARK_HOOKS.username, POSTMARK_HOOKS.password)
            answer = httpx.post(f"{base}/webhooks/postmark", json=delivery, auth=hooks, timeout=10)
            print(f"Postmark delivery webhook: {answer.status_code} {answer.json()}")
            answer = httpx.post(f"{base}/webhooks/postmark", json=delivery, timeout=10)
            print(f"Without the credentials: {answer.status_code}")
        finally:
            server.should_exit = True
            thread.join()
            listener.close()
        for event in outbox.events(placed["message"]):
            print(f"History of the confirmation: {event.type.value} ({event.provider})")
        print(f"Outbox: {outbox.counts()}")
        outbox.close()
