"""The shop's one view: placing an order stores its confirmation, and tells the staff.

The customer's confirmation is relationclient's ``order_confirmation`` email,
put in the outbox; the staff's notice is a plain Django ``send_mail``, which
the ``EmailBackend`` puts in the same outbox. Nothing is sent during the
request: ``manage.py relationclient_dispatch`` sends both.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from relationclient import Composer, samples
from relationclient.contrib.django import put

COMPOSER = Composer(samples.shop())


@csrf_exempt
@require_POST
def place_order(request: HttpRequest) -> JsonResponse:
    locale = request.POST.get("locale", "fr")
    order = samples.order(locale, seed=int(request.POST.get("seed", "0")))
    confirmation = COMPOSER.email("order_confirmation", order=order)
    entry = put(confirmation)
    send_mail(
        f"Nouvelle commande {order.number}",
        f"Commande {order.number} de {order.customer.email}, total {order.total}.",
        None,
        settings.SHOP_STAFF,
    )
    return JsonResponse(
        {"order": order.number, "confirmation": entry.idempotency_key, "state": entry.state}
    )
