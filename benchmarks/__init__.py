"""relationclient's benchmarks: ``python -m benchmarks`` (``--quick`` for a smoke run)."""
