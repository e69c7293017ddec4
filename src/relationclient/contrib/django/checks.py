"""Django system checks for the ``RELATIONCLIENT`` setting (``manage.py check``).

===================  ===============================================================
id                   what is wrong
===================  ===============================================================
relationclient.E001  ``RELATIONCLIENT`` is not a dict, or has an unknown key or a
                     value of the wrong type
relationclient.E002  ``RELATIONCLIENT["OUTBOX"]`` is missing
relationclient.E003  ``RELATIONCLIENT["OUTBOX"]`` is not a usable outbox URL
relationclient.E004  ``RELATIONCLIENT["TRANSPORT"]`` is missing
relationclient.E005  ``RELATIONCLIENT["TRANSPORT"]`` is not a usable transport URL
relationclient.E006  ``RELATIONCLIENT["EMAIL_BACKEND"]`` names relationclient's own
                     backend, which would store every mail back into the outbox
relationclient.E007  ``RELATIONCLIENT["EMAIL_BACKEND"]`` cannot be imported
relationclient.E008  ``RELATIONCLIENT["WEBHOOKS"]`` is unusable (unknown provider,
                     wrong kind of secret, ``WEBHOOK_PUBLIC_URL`` missing)
relationclient.E009  ``RELATIONCLIENT["DATABASE"]`` is not an alias of
                     ``settings.DATABASES``
===================  ===============================================================

Nothing here connects to anything: URLs are parsed, backends imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import conf as django_conf
from django.core import checks
from django.utils.module_loading import import_string

from ...errors import ConfigurationError
from ...outbox import Outbox
from .conf import (
    DJANGO_TRANSPORT_URL,
    build_transport,
    build_webhook_endpoint,
    get_settings,
    is_own_backend,
    name,
)

__all__ = ["check_settings"]

_HINT = "See the Django page of relationclient's documentation (docs/django.rst)."


def _error(text: str, number: int, hint: str = _HINT) -> checks.Error:
    return checks.Error(
        text, hint=hint, obj="settings.RELATIONCLIENT", id=f"relationclient.E{number:03d}"
    )


@checks.register("relationclient")
def check_settings(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Every problem of ``settings.RELATIONCLIENT``, one message each."""
    raw = getattr(django_conf.settings, "RELATIONCLIENT", None)
    backend = raw.get("EMAIL_BACKEND") if isinstance(raw, dict) else None
    if isinstance(backend, str) and is_own_backend(backend):
        return [
            _error(
                f"{name('EMAIL_BACKEND')} is {backend}, relationclient's own backend: "
                "DjangoTransport would store every mail back into the outbox.",
                6,
                "Name the backend that really sends (anymail.backends.<esp>.EmailBackend, "
                "django.core.mail.backends.smtp.EmailBackend); Django's own EMAIL_BACKEND is "
                "where relationclient's goes.",
            )
        ]
    try:
        current = get_settings()
    except ConfigurationError as exc:
        return [_error(str(exc), 1)]
    errors: list[checks.CheckMessage] = []
    outbox: Outbox | None = None
    if not current.outbox:
        errors.append(
            _error(
                f"{name('OUTBOX')} is not set.",
                2,
                "Give the outbox URL: sqlite:////var/lib/shop/outbox.sqlite3 or postgresql://…",
            )
        )
    else:
        try:
            outbox = Outbox(current.outbox)
        except ConfigurationError as exc:
            errors.append(_error(f"{name('OUTBOX')}: {exc}", 3))
    if not current.transport:
        errors.append(
            _error(
                f"{name('TRANSPORT')} is not set.",
                4,
                f"Give a transport URL (smtp://…, postmark://…) or {DJANGO_TRANSPORT_URL!r} to "
                f"send through {name('EMAIL_BACKEND')}.",
            )
        )
    else:
        try:
            build_transport(current.transport, current.email_backend).close()
        except ConfigurationError as exc:
            errors.append(_error(str(exc), 5))
    try:
        import_string(current.email_backend)
    except ImportError as exc:
        errors.append(
            _error(
                f"{name('EMAIL_BACKEND')} {current.email_backend!r} cannot be imported: {exc}", 7
            )
        )
    if current.webhooks and outbox is not None:
        try:
            build_webhook_endpoint(outbox, current)
        except ConfigurationError as exc:
            errors.append(_error(str(exc), 8))
    if current.database is not None and current.database not in django_conf.settings.DATABASES:
        errors.append(
            _error(
                f"{name('DATABASE')} is {current.database!r}, which is not in settings.DATABASES.",
                9,
                "Name the Django database that holds the outbox (the same SQLite file or "
                "PostgreSQL database as OUTBOX), or leave DATABASE out.",
            )
        )
    if outbox is not None:
        outbox.close()
    return errors
