"""``python -m attrition`` runs the command line."""

from attrition.cli import main

main()
