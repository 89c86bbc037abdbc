"""The ``kubecurrent`` command line: thin commands over the library, one module per command."""

from kubecurrent.cli._app import main
from kubecurrent.cli._kubectl import kubectl_main

__all__ = ["kubectl_main", "main"]
