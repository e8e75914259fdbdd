"""``python -m attrition`` runs the command line."""

from .cli import main

main()
