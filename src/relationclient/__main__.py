"""``python -m relationclient`` runs the command line."""

from .cli import main

main()
