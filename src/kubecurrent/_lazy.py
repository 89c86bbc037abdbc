"""Packages whose public names are imported on first use (PEP 562).

A package lists its public names once, each with the private module that defines it; the module
is imported when the name is first read, so importing the package (or one light name from it)
does not pay for the heavy ones. The package also imports those names under ``TYPE_CHECKING``
for the type checker; ``tests/unit/test_lazy.py`` checks that both lists agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(
    package: str, homes: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``homes`` maps each public name to
    ``"_module"`` (same name there) or ``"_module:attribute"``, relative to the package."""

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = home.partition(":")
        value = getattr(importlib.import_module(f"{package}.{module}"), attribute or name)
        setattr(importlib.import_module(package), name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *homes})

    return getattr_, dir_
