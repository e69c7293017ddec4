"""``relationclient_dispatch``."""
