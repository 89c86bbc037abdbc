"""The ``kubecurrent`` command line: thin commands over the library, one module per command.

``kubectl_main`` (the ``kubectl kubecurrent`` plugin's entry point) is imported on first use
(``kubecurrent._lazy``): ``kubecurrent`` itself never loads the plugin's argument handling."""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports
from kubecurrent.cli._app import main

if TYPE_CHECKING:
    from kubecurrent.cli._kubectl import kubectl_main

__all__ = ["kubectl_main", "main"]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, {"kubectl_main": "_kubectl"})
