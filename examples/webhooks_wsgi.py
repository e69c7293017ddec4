"""Webhooks into the outbox, served by the standard library: providers report, the outbox obeys.

``events.wsgi_app`` is a plain WSGI application: Flask routes to it (for
instance with werkzeug's ``DispatcherMiddleware``), Django serves it beside
its own under the same WSGI server, gunicorn serves it alone. Here the
standard library's :mod:`wsgiref` serves it on 127.0.0.1, and the script
plays Postmark (a hard bounce, with the basic-auth credentials of the webhook
URL) and Twilio (a STOP, signed as Twilio signs) against it — then the next
email to the bounced address and the next marketing SMS are not sent, while
the shipment SMS is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx

import relationclient as rc
from relationclient import events, samples
from relationclient.outbox import Outbox
from relationclient.transports import MemoryTransport

# What the shop keeps out of its code: the webhook URL's password, Twilio's Auth Token.
POSTMARK_PASSWORD = "a-long-random-webhook-password"
TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"


class QuietHandler(WSGIRequestHandler):
    """No access log on the terminal."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def postmark_bounce(email: rc.Email) -> dict[str, Any]:
    """What Postmark POSTs when the mailbox does not exist (its Bounce webhook)."""
    return {
        "RecordType": "Bounce",
        "ID": 4323372036,
        "Type": "HardBounce",
        "TypeCode": 1,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"idempotency_key": email.idempotency_key},  # PostmarkTransport sent it
        "Email": email.recipient,
        "From": email.sender.address,
        "BouncedAt": "2026-03-10T10:15:42.2735393+01:00",
        "Inactive": True,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 unknown user",
    }


def twilio_post(url: str, fields: dict[str, str]) -> httpx.Response:
    """POST ``fields`` as Twilio does: a form signed by HMAC-SHA1 of the URL and sorted fields."""
    signed = url + "".join(name + fields[name] for name in sorted(fields))
    digest = hmac.new(TWILIO_AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()
    headers = {"X-Twilio-Signature": base64.b64encode(digest).decode()}
    return httpx.post(url, data=fields, headers=headers, timeout=10)


if __name__ == "__main__":
    shop = samples.shop()
    composer = rc.Composer(
        shop, unsubscribe_url=samples.UNSUBSCRIBE_URL, unsubscribe_secret=samples.UNSUBSCRIBE_SECRET
    )
    with tempfile.TemporaryDirectory() as folder:
        outbox = Outbox(f"sqlite:///{Path(folder) / 'outbox.sqlite3'}")
        confirmation = composer.email("order_confirmation", **samples.context("order_confirmation"))
        outbox.put(confirmation)
        outbox.put(composer.sms("order_confirmation", **samples.context("order_confirmation")))
        outbox.dispatch(MemoryTransport())

        server = make_server("127.0.0.1", 0, lambda e, s: [], handler_class=QuietHandler)
        public_url = f"http://127.0.0.1:{server.server_port}/webhooks"
        server.set_app(
            events.wsgi_app(
                outbox,
                {
                    "postmark": events.BasicAuth("hooks", POSTMARK_PASSWORD),
                    "twilio": TWILIO_AUTH_TOKEN,
                },
                public_url=public_url,  # what Twilio signs: the URL it was given
                shop_id=shop.id,  # this shop's endpoint: a STOP to its number is its own
            )
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            # Postmark: the order confirmation bounced (sent twice, as after a timeout).
            auth = ("hooks", POSTMARK_PASSWORD)
            for attempt in ("Postmark bounce", "Postmark retry"):
                answer = httpx.post(
                    f"{public_url}/postmark", json=postmark_bounce(confirmation), auth=auth
                )
                print(f"{attempt}: {answer.status_code} {answer.json()}")
            forged = httpx.post(
                f"{public_url}/postmark", json=postmark_bounce(confirmation), auth=("x", "y")
            )
            print(f"Wrong credentials: {forged.status_code}")

            # Twilio: the customer texts STOP to the shop's STOP number.
            stop = {
                "MessageSid": "SM5f7b1c2e8a1d4e0012c3b4a5d6e7f809",
                "AccountSid": "AC0123456789abcdef0123456789abcdef",
                "From": samples.customer().phone or "",
                "To": shop.sms_stop_number or "",
                "Body": "STOP",
                "SmsStatus": "received",
            }
            answer = twilio_post(f"{public_url}/twilio", stop)
            print(f"Twilio STOP: {answer.status_code} {answer.json()}")
            tampered = httpx.post(
                f"{public_url}/twilio",
                content=urlencode({**stop, "Body": "START"}),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": "forged",
                },
            )
            print(f"Forged Twilio request: {tampered.status_code}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

        for line in outbox.suppressions(shop.id):
            print(f"Suppressed: {line.channel} {line.recipient} ({line.scope}, {line.reason})")
        # The next messages: what the outbox does with them.
        nexts = [
            composer.email("shipment_sent", **samples.context("shipment_sent")),
            composer.sms("delivery_check", **samples.context("delivery_check")),
            composer.sms("shipment_sent", **samples.context("shipment_sent")),
        ]
        for message in nexts:
            entry = outbox.put(message)
            print(f"Next {message.channel} {message.kind} ({message.purpose}): {entry.state}")
        transport = MemoryTransport()
        report = outbox.dispatch(transport)
        sent = ", ".join(f"{m.channel} {m.kind}" for m in transport.outbox)
        print(f"Dispatched: {report.sent} sent ({sent})")
        outbox.close()
