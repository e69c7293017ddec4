"""The webhook views: Postmark's signed webhooks through Django's test client and a real server.

The confirmation leaves through DjangoTransport (Anymail's test ESP gives its
id); Postmark's bounce for it comes back to ``hooks/postmark``, checked with
the credentials of ``RELATIONCLIENT["WEBHOOKS"]`` by the events package's own
endpoint, recorded once, and the next mail to that address is suppressed.
The same requests go through Django's WSGI handler served by :mod:`wsgiref`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from django.core.wsgi import get_wsgi_application
from django.test import Client

from relationclient.contrib.django import get_outbox, get_transport
from relationclient.events import BasicAuth

from ...events.payloads import POSTMARK_AUTH, postmark_body, postmark_bounce, postmark_headers
from ...transports.sample_messages import composed_email

Post = Callable[[str, dict[str, str], bytes], tuple[int, Any]]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _client_post(path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    answer = Client().generic(
        "POST", path, body, content_type=headers.get("Content-Type", "application/json"), **extra
    )
    return answer.status_code, answer.json()


@pytest.fixture
def wsgi_base() -> Iterator[str]:
    """Django's WSGI application served by wsgiref on 127.0.0.1: its base URL."""
    server: WSGIServer = make_server(
        "127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(params=["test_client", "wsgiref"])
def post(request: pytest.FixtureRequest) -> Post:
    """POST through Django's test client, or over HTTP to the real WSGI server."""
    if request.param == "test_client":
        return _client_post
    base = request.getfixturevalue("wsgi_base")

    def over_http(path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        answer = httpx.post(base + path, headers=headers, content=body, timeout=10)
        return answer.status_code, answer.json()

    return over_http


@pytest.fixture
def hooks(shop_settings: Any) -> Any:
    shop_settings.RELATIONCLIENT = {
        **shop_settings.RELATIONCLIENT,
        "WEBHOOKS": {"postmark": POSTMARK_AUTH},
    }
    return shop_settings


def test_a_bounce_is_recorded_once_and_stops_the_next_mail(hooks: Any, post: Post) -> None:
    outbox = get_outbox()
    confirmation = composed_email()
    outbox.put(confirmation)
    assert outbox.dispatch(get_transport()).sent == 1
    entry = outbox.get(confirmation.idempotency_key)
    assert entry is not None
    assert entry.receipt is not None
    bounce = postmark_bounce(confirmation.recipient, message_id=entry.receipt.message_id)
    body = postmark_body(bounce)
    assert post("/hooks/postmark", postmark_headers(), body) == (
        200,
        {"recorded": 1, "duplicates": 0},
    )
    assert post("/hooks/postmark/", postmark_headers(), body) == (
        200,
        {"recorded": 0, "duplicates": 1},
    )
    [event] = outbox.events(confirmation.idempotency_key)
    assert (event.type, event.hard) == ("bounced", True)
    shipment = composed_email("fr").model_copy(update={"idempotency_key": "shipment-notice-1"})
    assert outbox.put(shipment).state == "suppressed"


def test_wrong_credentials_record_nothing(hooks: Any, post: Post) -> None:
    body = postmark_body(postmark_bounce(composed_email().recipient))
    wrong = postmark_headers(BasicAuth(POSTMARK_AUTH.username, "not-the-password"))
    status, answer = post("/hooks/postmark", wrong, body)
    assert status == 403
    assert "error" in answer
    assert get_outbox().suppressions() == []


def test_other_answers_are_the_endpoints(hooks: Any, post: Post) -> None:
    assert post("/hooks/twilio", postmark_headers(), b"{}")[0] == 404
    assert post("/hooks/postmark", postmark_headers(), b"not json")[0] == 400
    unsigned = {"Content-Type": "application/json"}
    assert post("/hooks/postmark", unsigned, b"{}")[0] == 401
    answer = Client().get("/hooks/postmark")
    assert (answer.status_code, answer["Allow"]) == (405, "POST")


def test_unset_webhooks_name_the_setting(shop_settings: Any) -> None:
    from relationclient.errors import ConfigurationError

    shop_settings.RELATIONCLIENT = {**shop_settings.RELATIONCLIENT, "WEBHOOKS": {}}
    with pytest.raises(ConfigurationError, match=r'RELATIONCLIENT\["WEBHOOKS"\]'):
        Client(raise_request_exception=True).post("/hooks/postmark", b"{}", "application/json")
