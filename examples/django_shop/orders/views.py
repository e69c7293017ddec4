"""Placing an order: its confirmation goes into the outbox, and the staff is told by send_mail.

Nothing is sent during the request — the customer never waits on a provider,
and a provider's outage loses nothing: ``manage.py relationclient_dispatch``
sends what the outbox holds, retrying what fails.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from relationclient import Composer, samples
from relationclient.contrib.django import get_outbox, put

COMPOSER = Composer(samples.shop())


@csrf_exempt  # a demo API; a real shop's order form keeps Django's CSRF protection
@require_POST
def place_order(request: HttpRequest) -> JsonResponse:
    order = samples.order(request.POST.get("locale", "fr"))
    confirmation = COMPOSER.email("order_confirmation", order=order)
    entry = put(confirmation)  # in the request's transaction when DATABASE is set
    send_mail(
        f"Nouvelle commande {order.number}",
        f"Commande {order.number} de {order.customer.email} : {order.total} {order.currency}.",
        None,
        settings.SHOP_STAFF,
    )
    return JsonResponse(
        {"order": order.number, "confirmation": entry.idempotency_key, "state": entry.state}
    )


@require_GET
def confirmation_status(request: HttpRequest, key: str) -> JsonResponse:
    entry = get_outbox().get(key)
    if entry is None:
        raise Http404(key)
    events = [event.type for event in get_outbox().events(key)]
    return JsonResponse({"state": entry.state, "events": events})
