"""The module a shop's worker runs: ``celery -A shop_tasks worker`` (this directory on the path)."""

from __future__ import annotations

import os

from shop_app import make_app

app, tasks = make_app(os.environ)
