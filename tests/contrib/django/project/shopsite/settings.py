"""Settings of the minimal shop the Django tests run: relationclient's app, an orders app.

The outbox URL is set per test (a SQLite file in the test's directory) by the
``shop_settings`` fixture; everything else is what a shop would write.
"""

import tempfile
from pathlib import Path

from relationclient.events import BasicAuth

SECRET_KEY = "django-tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = ["relationclient.contrib.django", "orders"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "shopsite.urls"
# A shop database; the test of RELATIONCLIENT["DATABASE"] puts the outbox in it too.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(tempfile.mkdtemp(prefix="shopsite-")) / "shop.sqlite3"),
    }
}
USE_TZ = True
LANGUAGE_CODE = "fr"

# Django's own mail (password resets, the staff's order notices) goes into the outbox.
EMAIL_BACKEND = "relationclient.contrib.django.EmailBackend"
DEFAULT_FROM_EMAIL = "Maison Lumière <boutique@maison-lumiere.fr>"
SHOP_STAFF = ["commandes@maison-lumiere.fr"]

POSTMARK_HOOKS = BasicAuth("postmark-hooks", "Zq7-postmark-webhook-password")

RELATIONCLIENT = {
    "OUTBOX": "sqlite:///outbox.sqlite3",
    # Everything leaves through the Django backend below: an Anymail ESP.
    "TRANSPORT": "django://",
    "EMAIL_BACKEND": "anymail.backends.test.EmailBackend",
    "WEBHOOKS": {"postmark": POSTMARK_HOOKS},
    "SHOP_ID": "maison-lumiere.fr",
}
