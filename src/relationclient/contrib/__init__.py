"""Optional integrations with other frameworks, each behind its own extra.

* :mod:`relationclient.contrib.celery` — the outbox dispatched by Celery
  workers (``pip install "relationclient[celery]"``).
* :mod:`relationclient.contrib.django` — sending through Django's email
  backends (any Anymail ESP), Django's mail stored in the outbox, the webhook
  views, ``manage.py relationclient_dispatch`` and system checks
  (``pip install "relationclient[django]"``).

Each module imports its framework when it is imported itself, and raises
:class:`~relationclient.ConfigurationError` naming the extra to install when
the framework is missing. Nothing here is imported by ``import relationclient``.
"""
