"""The management commands of the relationclient Django application."""
