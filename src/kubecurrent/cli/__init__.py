"""The ``kubecurrent`` command line: thin commands over the library, one module per command."""

from kubecurrent.cli._app import main

__all__ = ["main"]
