"""Where the catalog's data is: the built-in files, and the user's extra files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

EXTRA_ENV = "KUBECURRENT_CATALOG_EXTRA"


def data_dir() -> Path:
    """The directory of the built-in data files."""
    return Path(__file__).with_name("data")


def extra_from_env(getenv: Callable[[str], str | None] = os.environ.get) -> list[Path]:
    """Extra files listed in KUBECURRENT_CATALOG_EXTRA (separated like PATH)."""
    value = getenv(EXTRA_ENV) or ""
    return [Path(p) for p in value.split(os.pathsep) if p]
