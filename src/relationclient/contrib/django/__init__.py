"""Django integration (``pip install "relationclient[django]"``).

* :class:`DjangoTransport` sends relationclient's messages through the Django
  email backend of ``RELATIONCLIENT["EMAIL_BACKEND"]`` — an Anymail ESP,
  Django's SMTP backend — keeping headers, attachments and ``Message-ID``.
* :class:`EmailBackend` is a Django ``EMAIL_BACKEND`` that stores every
  Django mail in the outbox, in its own shape, to be dispatched like the rest.
* ``relationclient.contrib.django.urls`` serves the delivery webhooks;
  ``manage.py relationclient_dispatch`` sends what is due; system checks
  (``relationclient.E001``…) catch missing or wrong settings.

Add ``"relationclient.contrib.django"`` to ``INSTALLED_APPS`` for the command
and the checks. Settings: :mod:`relationclient.contrib.django.conf`.
"""

from __future__ import annotations

try:
    import django  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra only
    from ...errors import ConfigurationError

    raise ConfigurationError(
        'relationclient.contrib.django needs Django: pip install "relationclient[django]"'
    ) from exc

from .backend import EmailBackend as EmailBackend
from .backend import mail_message as mail_message
from .conf import get_outbox as get_outbox
from .conf import get_settings as get_settings
from .conf import get_transport as get_transport
from .conf import put as put
from .transport import DjangoTransport as DjangoTransport
from .transport import django_message as django_message

__all__ = [
    "DjangoTransport",
    "EmailBackend",
    "django_message",
    "get_outbox",
    "get_settings",
    "get_transport",
    "mail_message",
    "put",
]
