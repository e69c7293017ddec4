"""A transport of your own: post every message as JSON to a webhook.

Shops sometimes hand messages to an in-house service (a CRM, a message bus
bridge) rather than to an email provider. Subclass
:class:`~relationclient.transports.BaseTransport`, which owns the send loop
(checking the channel, retrying, ``send_many``, the context manager), and
write only:

* ``name`` and ``channels``;
* ``_send(message) -> Receipt``, translating every failure into
  :class:`~relationclient.TransientTransportError` (may pass: network, 5xx, 429)
  or :class:`~relationclient.PermanentTransportError` (will repeat: 4xx), with
  ``accepted`` saying whether the service may have taken the message;
* ``open``/``close`` when it holds a connection.

The webhook here is a small HTTP server on 127.0.0.1 that answers 503 to the
first request, to show the retry policy at work.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx

import relationclient as rc
from relationclient import samples
from relationclient.messages import Message
from relationclient.transports import BaseTransport, Receipt, RetryPolicy


class WebhookTransport(BaseTransport):
    """POST each message as JSON to ``url``; the service answers ``{"id": "…"}``."""

    name = "webhook"
    channels = frozenset({"email", "sms"})

    def __init__(self, url: str, *, token: str, retry: RetryPolicy | None = None) -> None:
        super().__init__(retry=retry)
        self.url = url
        self._token = token
        self._client: httpx.Client | None = None

    def open(self) -> None:
        if self._client is None:
            self._client = httpx.Client(
                timeout=5.0, headers={"Authorization": f"Bearer {self._token}"}
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _send(self, message: Message) -> Receipt:
        self.open()
        assert self._client is not None
        payload = {
            "channel": message.channel,
            "idempotency_key": message.idempotency_key,
            "message": message.model_dump(mode="json"),
        }
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.ConnectError as exc:  # the service never saw the request
            raise rc.TransientTransportError(
                f"{self.name}: cannot connect ({exc})", transport=self.name, accepted=False
            ) from exc
        except httpx.HTTPError as exc:  # sent, but no answer: nobody knows
            raise rc.TransientTransportError(
                f"{self.name}: no answer ({exc})", transport=self.name, accepted=None
            ) from exc
        if response.status_code >= 400:
            transient = response.status_code in (408, 429) or response.status_code >= 500
            error = rc.TransientTransportError if transient else rc.PermanentTransportError
            raise error(
                f"{self.name}: HTTP {response.status_code}",
                transport=self.name,
                code=response.status_code,
                provider_message=response.text,
                accepted=False,
            )
        return self.receipt(message, response.json()["id"], raw=response.json())


class Webhook(BaseHTTPRequestHandler):
    """The in-house service: refuses the first request (503), then accepts."""

    received: ClassVar[list[dict[str, Any]]] = []
    refuse_next: ClassVar[bool] = True

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Webhook.refuse_next:
            Webhook.refuse_next = False
            self._answer(503, {"error": "warming up"})
            return
        Webhook.received.append(body)
        self._answer(200, {"id": f"msg-{len(Webhook.received)}"})

    def _answer(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the example's output quiet."""


server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/messages"

composer = rc.Composer(samples.shop())
context = samples.context("shipment_sent", "fr")
messages = [composer.email("shipment_sent", **context), composer.sms("shipment_sent", **context)]

retry = RetryPolicy(attempts=3, base=0.05, cap=0.2)  # short waits, for the example
with WebhookTransport(url, token="local-token", retry=retry) as webhook:
    receipts = webhook.send_many(messages)
for receipt in receipts:
    print(f"{receipt.transport} accepted {receipt.recipient}: {receipt.message_id}")
print(f"Webhook received {len(Webhook.received)} messages (the first try got a 503, retried)")

# A service that is down: the error says it is transient and was not accepted.
server.shutdown()
server.server_close()
with WebhookTransport(url, token="local-token") as webhook:
    try:
        webhook.send(messages[0])
    except rc.TransportError as exc:
        print(f"Service down: transient={exc.transient}, accepted={exc.accepted}")
