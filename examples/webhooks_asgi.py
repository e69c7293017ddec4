"""The ASGI webhook app mounted in a shop's ASGI application, served by uvicorn on 127.0.0.1.

``events.asgi_app`` speaks ASGI 3 itself: FastAPI and Starlette mount it as it
is (``app.mount("/webhooks", webhooks)``). To need neither here, the shop's
application below does what a mount does — requests under ``/webhooks`` go
to the webhook app, the rest to the shop — and uvicorn (``pip install
uvicorn``) serves it. Twilio then reports that an SMS was delivered and that
the customer texted STOP: the entry's history shows the receipt, and the next
marketing SMS is not sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

import relationclient as rc
from relationclient import events, samples
from relationclient.outbox import Outbox
from relationclient.transports import MemoryTransport

TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"  # from the environment, in a shop

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def shop_application(webhooks: Callable[[Scope, Receive, Send], Awaitable[None]]) -> Any:
    """The shop's ASGI app, with the webhooks mounted under /webhooks (as FastAPI's mount)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or scope.get("path", "").startswith("/webhooks/"):
            await webhooks(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"the shop"})

    return app


def twilio_post(url: str, fields: dict[str, str]) -> httpx.Response:
    """POST ``fields`` as Twilio does: a form signed by HMAC-SHA1 of the URL and sorted fields."""
    signed = url + "".join(name + fields[name] for name in sorted(fields))
    digest = hmac.new(TWILIO_AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()
    headers = {"X-Twilio-Signature": base64.b64encode(digest).decode()}
    return httpx.post(url, data=fields, headers=headers, timeout=10)


if __name__ == "__main__":
    try:
        import uvicorn
    except ImportError:
        sys.exit("this example needs an ASGI server: pip install uvicorn")
    shop, customer = samples.shop(), samples.customer()
    composer = rc.Composer(
        shop, unsubscribe_url=samples.UNSUBSCRIBE_URL, unsubscribe_secret=samples.UNSUBSCRIBE_SECRET
    )
    with tempfile.TemporaryDirectory() as folder:
        outbox = Outbox(f"sqlite:///{Path(folder) / 'outbox.sqlite3'}")
        confirmation = composer.sms("order_confirmation", **samples.context("order_confirmation"))
        outbox.put(confirmation)
        outbox.dispatch(MemoryTransport())  # Twilio in production: it answers with the SID
        entry = outbox.get(confirmation.idempotency_key)
        assert entry is not None
        assert entry.provider_message_id is not None

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        public_url = f"http://127.0.0.1:{listener.getsockname()[1]}/webhooks"
        webhooks = events.asgi_app(outbox, {"twilio": TWILIO_AUTH_TOKEN}, public_url=public_url)
        config = uvicorn.Config(shop_application(webhooks), log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            print(f"Shop page: {httpx.get(public_url.removesuffix('/webhooks') + '/').text}")
            status = {
                "MessageSid": entry.provider_message_id,
                "MessageStatus": "delivered",
                "From": confirmation.sender,
                "To": confirmation.recipient,
            }
            answer = twilio_post(f"{public_url}/twilio", status)
            print(f"Twilio status callback: {answer.status_code} {answer.json()}")
            stop = {
                "MessageSid": "SM5f7b1c2e8a1d4e0012c3b4a5d6e7f809",
                "From": customer.phone or "",
                "To": shop.sms_stop_number or "",
                "Body": "Stop",
                "SmsStatus": "received",
            }
            answer = twilio_post(f"{public_url}/twilio", stop)
            print(f"Twilio STOP: {answer.status_code} {answer.json()}")
        finally:
            server.should_exit = True
            thread.join()
            listener.close()

        for event in outbox.events(confirmation.idempotency_key):
            print(f"History of the confirmation SMS: {event.type.value} ({event.provider})")
        promo = composer.sms("delivery_check", **samples.context("delivery_check"))
        print(f"Next marketing SMS: {outbox.put(promo).state}")
        shipment = composer.sms("shipment_sent", **samples.context("shipment_sent"))
        print(f"Next shipment SMS: {outbox.put(shipment).state}")
        outbox.close()
