"""The ``RELATIONCLIENT`` setting: read, checked, and turned into an outbox and a transport.

Everything the integration needs is one dict in the Django settings::

    RELATIONCLIENT = {
        "OUTBOX": "sqlite:////var/lib/shop/outbox.sqlite3",   # or postgresql://…
        "TRANSPORT": "django://",            # or smtp://…, postmark://… (see below)
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "UNSUBSCRIBE_SECRET": env("UNSUBSCRIBE_SECRET"),
        "WEBHOOKS": {"postmark": BasicAuth("hooks", env("POSTMARK_HOOK_PASSWORD"))},
        "WEBHOOK_PUBLIC_URL": "https://shop.example/hooks",   # Twilio and Vonage need it
        "DATABASE": "default",   # when OUTBOX is that database: put() joins its transaction
    }

``TRANSPORT`` is a transport URL of :mod:`relationclient.transports.url`
(credentials from the environment, never in the URL) or ``django://``: the
:class:`~relationclient.contrib.django.DjangoTransport`, which sends through
the Django backend ``EMAIL_BACKEND`` names — an Anymail ESP, Django's SMTP
backend. Every error names the key at fault (``RELATIONCLIENT["OUTBOX"]``).

The outbox and the transport are built once per process and rebuilt when a
test changes the setting (Django's ``setting_changed`` signal).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import conf as django_conf
from django.core.signals import setting_changed
from django.dispatch import receiver

from ...errors import ConfigurationError
from ...events.apps import WebhookEndpoint
from ...messages import Message
from ...outbox import Outbox, OutboxEntry
from ...transports.base import Transport
from ...transports.url import transport_from_url

__all__ = [
    "DJANGO_TRANSPORT_URL",
    "KEYS",
    "OWN_BACKEND",
    "Settings",
    "get_outbox",
    "get_settings",
    "get_transport",
    "get_webhook_endpoint",
    "name",
    "put",
    "reset",
]

#: The ``TRANSPORT`` that sends through the Django backend of ``EMAIL_BACKEND``.
DJANGO_TRANSPORT_URL = "django://"
#: Our own ``EMAIL_BACKEND``, which ``RELATIONCLIENT["EMAIL_BACKEND"]`` must not name.
OWN_BACKEND = "relationclient.contrib.django.EmailBackend"
#: Every key ``RELATIONCLIENT`` takes.
KEYS = frozenset(
    {
        "OUTBOX",
        "TRANSPORT",
        "EMAIL_BACKEND",
        "UNSUBSCRIBE_SECRET",
        "WEBHOOKS",
        "WEBHOOK_PUBLIC_URL",
        "SHOP_ID",
        "DATABASE",
    }
)
_OWN_BACKENDS = frozenset(
    {
        OWN_BACKEND,
        "relationclient.contrib.django.backend.EmailBackend",
    }
)


def name(key: str) -> str:
    """How errors name a key: ``RELATIONCLIENT["OUTBOX"]``."""
    return f'RELATIONCLIENT["{key}"]'


def is_own_backend(path: str) -> bool:
    """True when ``path`` is relationclient's own ``EMAIL_BACKEND`` (which would loop)."""
    return path.strip() in _OWN_BACKENDS


@dataclass(frozen=True)
class Settings:
    """The ``RELATIONCLIENT`` dict, checked.

    Attributes:
        outbox: The outbox URL (``OUTBOX``).
        transport: The transport URL (``TRANSPORT``), ``django://`` included.
        email_backend: The Django backend :class:`DjangoTransport` sends through
            (``EMAIL_BACKEND``); Django's SMTP backend when not set.
        unsubscribe_secret: The key of unsubscribe tokens (``UNSUBSCRIBE_SECRET``).
        webhooks: Provider name → what its webhooks are checked with (``WEBHOOKS``).
        webhook_public_url: Where the webhook URLconf is reachable from outside
            (``WEBHOOK_PUBLIC_URL``).
        shop_id: The shop events belong to when no entry says (``SHOP_ID``).
        database: The alias of the Django database that holds the outbox
            (``DATABASE``): :func:`put` then writes through that connection,
            in its current transaction.
    """

    outbox: str | None = None
    transport: str | None = None
    email_backend: str = "django.core.mail.backends.smtp.EmailBackend"
    unsubscribe_secret: str | None = None
    webhooks: Mapping[str, Any] = field(default_factory=dict)
    webhook_public_url: str | None = None
    shop_id: str | None = None
    database: str | None = None

    def require_outbox(self) -> str:
        """The outbox URL, or a :class:`ConfigurationError` naming the setting."""
        if not self.outbox:
            raise ConfigurationError(
                f"{name('OUTBOX')} is not set: give the outbox URL "
                "(sqlite:////var/lib/shop/outbox.sqlite3 or postgresql://…)"
            )
        return self.outbox

    def require_transport(self) -> str:
        """The transport URL, or a :class:`ConfigurationError` naming the setting."""
        if not self.transport:
            raise ConfigurationError(
                f"{name('TRANSPORT')} is not set: give a transport URL (smtp://…, "
                f"postmark://…) or {DJANGO_TRANSPORT_URL!r} to send through "
                f"{name('EMAIL_BACKEND')}"
            )
        return self.transport


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{name(key)} must be a string, not {type(value).__name__}")
    return value


def get_settings() -> Settings:
    """Read and check ``settings.RELATIONCLIENT``.

    Raises:
        ConfigurationError: ``RELATIONCLIENT`` is not a dict, has an unknown
            key, a value of the wrong type, or an ``EMAIL_BACKEND`` naming
            relationclient's own backend. The message names the key.
    """
    raw = getattr(django_conf.settings, "RELATIONCLIENT", None)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(
            f"settings.RELATIONCLIENT must be a dict, not {type(raw).__name__}"
        )
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ConfigurationError(
            f"{name(unknown[0])} is not a relationclient setting; known: {', '.join(sorted(KEYS))}"
        )
    webhooks = raw.get("WEBHOOKS") or {}
    if not isinstance(webhooks, Mapping):
        raise ConfigurationError(
            f"{name('WEBHOOKS')} must map provider names to their secrets, "
            f"not be a {type(webhooks).__name__}"
        )
    backend = _text(raw, "EMAIL_BACKEND") or Settings.email_backend
    if is_own_backend(backend):
        raise ConfigurationError(
            f"{name('EMAIL_BACKEND')} names relationclient's own backend ({backend}): "
            "DjangoTransport would store every mail back into the outbox, forever. Name the "
            "backend that really sends (anymail.backends.<esp>.EmailBackend, "
            "django.core.mail.backends.smtp.EmailBackend)"
        )
    return Settings(
        outbox=_text(raw, "OUTBOX"),
        transport=_text(raw, "TRANSPORT"),
        email_backend=backend,
        unsubscribe_secret=_text(raw, "UNSUBSCRIBE_SECRET"),
        webhooks=dict(webhooks),
        webhook_public_url=_text(raw, "WEBHOOK_PUBLIC_URL"),
        shop_id=_text(raw, "SHOP_ID"),
        database=_text(raw, "DATABASE"),
    )


_lock = threading.Lock()
_built: dict[str, Any] = {}


def get_outbox() -> Outbox:
    """The process's :class:`~relationclient.outbox.Outbox` for ``RELATIONCLIENT["OUTBOX"]``.

    Raises:
        ConfigurationError: The setting is missing or not an outbox URL (the
            message names it).
    """
    url = get_settings().require_outbox()
    with _lock:
        outbox = _built.get("outbox")
        if outbox is None or outbox.url != url:
            try:
                outbox = Outbox(url)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{name('OUTBOX')}: {exc}") from exc
            _built["outbox"] = outbox
        return outbox


def put(message: Message, *, not_before: datetime | None = None) -> OutboxEntry:
    """Store ``message`` in the outbox, in the Django transaction under way when there is one.

    With ``RELATIONCLIENT["DATABASE"]`` naming the Django database that also
    holds the outbox (the same SQLite file or PostgreSQL database as
    ``OUTBOX``), a ``put`` inside ``transaction.atomic()`` writes through
    Django's own connection: the message is stored if and only if the order
    it confirms commits. Outside an atomic block, or without the setting, it
    is stored at once.

    Raises:
        ConfigurationError: ``DATABASE`` names no database of ``DATABASES``,
            or one that is not the outbox's.
    """
    outbox = get_outbox()
    alias = get_settings().database
    if alias is None:
        return outbox.put(message, not_before=not_before)
    from django.db import connections

    if alias not in connections:
        raise ConfigurationError(
            f"{name('DATABASE')} is {alias!r}, which is not in settings.DATABASES"
        )
    connection = connections[alias]
    if not connection.in_atomic_block:
        return outbox.put(message, not_before=not_before)
    connection.ensure_connection()
    try:
        return outbox.put(message, not_before=not_before, connection=connection.connection)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{name('DATABASE')} ({alias!r}): {exc}") from exc


def build_transport(url: str, email_backend: str) -> Transport:
    """The transport ``url`` names; ``django://`` is a :class:`DjangoTransport`.

    Raises:
        ConfigurationError: An unknown or malformed URL, a missing credential
            variable; the message names ``RELATIONCLIENT["TRANSPORT"]``.
    """
    if url.strip().lower().rstrip("/") in {DJANGO_TRANSPORT_URL.rstrip("/"), "django:"}:
        from .transport import DjangoTransport

        return DjangoTransport(email_backend)
    try:
        return transport_from_url(url, os.environ)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{name('TRANSPORT')}: {exc}") from exc


def get_transport() -> Transport:
    """The process's transport for ``RELATIONCLIENT["TRANSPORT"]``, built once.

    Raises:
        ConfigurationError: The setting is missing or unusable (the message names it).
    """
    current = get_settings()
    url = current.require_transport()
    with _lock:
        built = _built.get("transport")
        if built is None or built[0] != (url, current.email_backend):
            built = ((url, current.email_backend), build_transport(url, current.email_backend))
            _built["transport"] = built
        return built[1]


def build_webhook_endpoint(outbox: Outbox, current: Settings) -> WebhookEndpoint:
    """The events package's request handler for ``RELATIONCLIENT["WEBHOOKS"]``.

    Raises:
        ConfigurationError: No provider, an unknown one, a secret of the wrong
            kind, or a provider whose signature covers the URL without
            ``WEBHOOK_PUBLIC_URL``; the message names the setting.
    """
    if not current.webhooks:
        raise ConfigurationError(
            f"{name('WEBHOOKS')} is not set: map each provider whose webhooks you take to "
            'its secret ({"postmark": BasicAuth("user", "password"), "twilio": AUTH_TOKEN})'
        )
    try:
        return WebhookEndpoint(
            outbox,
            current.webhooks,
            public_url=current.webhook_public_url,
            shop_id=current.shop_id,
        )
    except ConfigurationError as exc:
        raise ConfigurationError(f"{name('WEBHOOKS')}: {exc}") from exc


def get_webhook_endpoint() -> WebhookEndpoint:
    """The process's webhook handler (see :func:`build_webhook_endpoint`), built once."""
    current = get_settings()
    outbox = get_outbox()
    with _lock:
        endpoint = _built.get("endpoint")
        if endpoint is None or endpoint.outbox is not outbox:
            endpoint = build_webhook_endpoint(outbox, current)
            _built["endpoint"] = endpoint
        assert isinstance(endpoint, WebhookEndpoint)
        return endpoint


def reset() -> None:
    """Forget the outbox and transport built so far (closing them); the next call rebuilds."""
    with _lock:
        outbox = _built.pop("outbox", None)
        built = _built.pop("transport", None)
        _built.pop("endpoint", None)
    if outbox is not None:
        outbox.close()
    if built is not None:
        built[1].close()


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "RELATIONCLIENT":
        reset()
