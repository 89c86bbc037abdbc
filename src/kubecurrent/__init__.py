"""kubecurrent: keep fleets of Kubernetes clusters current without breaking what runs on them.

The public Python surface is what ``__all__`` lists; everything else is internal. The names are
imported on first use, so that importing a subpackage (every CLI run does) costs nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubecurrent._version import __version__
    from kubecurrent.errors import KubecurrentError
    from kubecurrent.model import KubeVersion, MinorVersion

__all__ = ["KubeVersion", "KubecurrentError", "MinorVersion", "__version__"]

_HOMES = {
    "KubeVersion": "kubecurrent.model",
    "KubecurrentError": "kubecurrent.errors",
    "MinorVersion": "kubecurrent.model",
    "__version__": "kubecurrent._version",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'kubecurrent' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
