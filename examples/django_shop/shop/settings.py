"""A small Django shop on relationclient: its settings.

* Customer messages (the order confirmation) are relationclient's Emails, put
  in the outbox by the order view.
* Django's own mail (the staff's new-order notice, password resets) goes into
  the same outbox through relationclient's ``EmailBackend``.
* ``python manage.py relationclient_dispatch --loop`` sends both through
  ``RELATIONCLIENT["TRANSPORT"]``: here ``django://``, the Django backend of
  ``RELATIONCLIENT["EMAIL_BACKEND"]`` — Django's file backend for the demo, an
  Anymail ESP in production (``anymail.backends.postmark.EmailBackend`` with
  ``ANYMAIL = {"POSTMARK_SERVER_TOKEN": …}``).
* Postmark's delivery webhooks post to ``/hooks/postmark``.

Where files go: ``SHOP_DATA_DIR`` (the outbox's SQLite file and the sent
mail), by default ``var/`` next to this project.
"""

import os
from pathlib import Path

from relationclient.events import BasicAuth

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SHOP_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "dev-only-change-me")
DEBUG = os.environ.get("SHOP_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["relationclient.contrib.django", "orders"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
DATABASES: dict[str, dict[str, str]] = {}  # the orders are samples; the outbox has its own file
USE_TZ = True
LANGUAGE_CODE = "fr"

EMAIL_BACKEND = "relationclient.contrib.django.EmailBackend"
DEFAULT_FROM_EMAIL = "Maison Lumière <boutique@maison-lumiere.fr>"
SHOP_STAFF = ["commandes@maison-lumiere.fr"]

# What DjangoTransport sends through: Django's file backend writes each mail in
# EMAIL_FILE_PATH. In production: "anymail.backends.postmark.EmailBackend".
EMAIL_FILE_PATH = str(DATA_DIR / "sent")

RELATIONCLIENT = {
    "OUTBOX": f"sqlite:///{DATA_DIR / 'outbox.sqlite3'}",
    "TRANSPORT": "django://",
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "WEBHOOKS": {
        "postmark": BasicAuth(
            "postmark", os.environ.get("POSTMARK_WEBHOOK_PASSWORD", "dev-webhook-password")
        )
    },
    "SHOP_ID": "maison-lumiere.fr",
}
