"""Optional integrations with other frameworks, each behind its own extra.

* :mod:`relationclient.contrib.celery` — the outbox dispatched by Celery
  workers (``pip install "relationclient[celery]"``).

Each module imports its framework when it is imported itself, and raises
:class:`~relationclient.ConfigurationError` naming the extra to install when
the framework is missing. Nothing here is imported by ``import relationclient``.
"""
