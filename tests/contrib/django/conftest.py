"""A real, minimal Django project for relationclient's Django integration (``project/``).

The project (``shopsite`` settings and URLs, an ``orders`` app) is put on the
path and configured here, so pytest-django applies to this folder only; the
rest of the suite never needs Django. Without the ``django`` extra (Django,
django-anymail, pytest-django) this folder skips, naming it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ...services import require_module
from ...transports.conftest import start_smtp_server

__all__ = ["start_smtp_server"]

require_module("django", "django")
require_module("anymail", "django")
require_module("pytest_django", "django")

PROJECT = Path(__file__).resolve().parent / "project"
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))
import django  # noqa: E402

# Configured for this process only: the variable is not left in the environment,
# where every subprocess a test starts (pytest runs of the docs snippets, example
# scripts) would inherit it and try to load a project it cannot find.
_previous = os.environ.get("DJANGO_SETTINGS_MODULE")
os.environ["DJANGO_SETTINGS_MODULE"] = "shopsite.settings"
try:
    django.setup()
finally:
    if _previous is None:
        del os.environ["DJANGO_SETTINGS_MODULE"]
    else:
        os.environ["DJANGO_SETTINGS_MODULE"] = _previous


@pytest.fixture
def outbox_url(tmp_path: Path) -> str:
    """A fresh SQLite outbox in the test's own directory."""
    return f"sqlite:///{tmp_path / 'outbox.sqlite3'}"


@pytest.fixture
def shop_settings(settings: Any, outbox_url: str) -> Iterator[Any]:
    """The project's settings with this test's outbox, and Django mail into the outbox.

    (pytest-django's test environment swaps EMAIL_BACKEND for locmem; the shop's
    own setting is put back.)
    """
    from django.core import mail

    settings.EMAIL_BACKEND = "relationclient.contrib.django.EmailBackend"
    settings.RELATIONCLIENT = {**settings.RELATIONCLIENT, "OUTBOX": outbox_url}
    mail.outbox = []
    yield settings
    from relationclient.contrib.django import conf

    conf.reset()
