"""The delivery webhooks as a Django view: the events package's handler behind Django's URLs.

Include :mod:`relationclient.contrib.django.urls` (``path("hooks/",
include("relationclient.contrib.django.urls"))``) and each provider of
``RELATIONCLIENT["WEBHOOKS"]`` posts to ``hooks/<provider>``. The view hands
the request to :class:`~relationclient.events.WebhookEndpoint` — the same
object the ASGI and WSGI apps use, so the signature checks, the parsing and
the answers (200, 400, 401, 403, 404, 405, 413, 500) are theirs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .conf import get_webhook_endpoint

__all__ = ["webhook"]


@csrf_exempt
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Verify, parse and record one provider's webhook; answer as the events apps do.

    CSRF does not apply: a provider signs its requests (or sends credentials),
    which the endpoint checks before reading anything.
    """
    endpoint = get_webhook_endpoint()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > endpoint.max_body:
        answer = endpoint.too_large()
    else:
        # read(), not .body: Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) is smaller than
        # the batches SendGrid sends; the endpoint's own max_body bounds what is read.
        body = request.read(endpoint.max_body + 1)
        if len(body) > endpoint.max_body:
            answer = endpoint.too_large()
        else:
            headers = {key.lower(): value for key, value in request.headers.items()}
            answer = endpoint.handle(
                request.method or "GET",
                request.path,
                request.META.get("QUERY_STRING", ""),
                headers,
                body,
            )
    response = HttpResponse(
        answer.encoded(), status=answer.status, content_type="application/json; charset=utf-8"
    )
    for name, value in answer.headers:
        response[name] = value
    return response
