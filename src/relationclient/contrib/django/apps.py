"""The Django application: add ``"relationclient.contrib.django"`` to ``INSTALLED_APPS``.

It brings the ``relationclient_dispatch`` management command and registers the
system checks (``relationclient.E001``…). It has no models: the outbox keeps
its own tables.
"""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["RelationClientConfig"]


class RelationClientConfig(AppConfig):
    """relationclient's Django application (label ``relationclient``)."""

    name = "relationclient.contrib.django"
    label = "relationclient"
    verbose_name = "relationclient"

    def ready(self) -> None:
        """Register the system checks."""
        from .checks import check_settings  # noqa: F401  (registers on import)
