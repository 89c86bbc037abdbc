"""``python -m kubecurrent`` runs the command line."""

from kubecurrent.cli import main

main()
