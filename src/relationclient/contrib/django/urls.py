"""The webhook URLs: ``path("hooks/", include("relationclient.contrib.django.urls"))``.

One path per provider, ``<prefix>/<provider>`` (with or without a trailing
slash), named ``relationclient:webhook``.
"""

from __future__ import annotations

from django.urls import path

from .views import webhook

app_name = "relationclient"

urlpatterns = [
    path("<str:provider>", webhook, name="webhook"),
    path("<str:provider>/", webhook),
]
