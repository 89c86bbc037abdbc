"""The catalog a command uses: the built-in data files plus the user's extra files, loaded once
per process.

Without extra files the validated catalog comes from its cache (see ``_cache``), read back
through the same models; the data files are parsed and checked (``_build``) only on a miss.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from kubecurrent.catalog._cache import cache_file, cached
from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._data import data_dir


def catalog_cache_file(root: Path) -> Path:
    """Where the validated catalog of the data in ``root`` is cached (see ``_cache``)."""
    return cache_file(root, "catalog")


def cached_catalog(root: Path) -> Catalog:
    """``build(root)`` (no extra files), from the cache when it holds it: the validated catalog
    as JSON, read back through the same models without parsing or checking the YAML again."""

    def encode(catalog: Catalog) -> bytes:
        return catalog.model_dump_json().encode()

    def make() -> Catalog:
        from kubecurrent.catalog._build import build  # a miss only: parsers and checks

        return build(root)

    return cached(catalog_cache_file(root), Catalog.model_validate_json, make, encode)


@lru_cache(maxsize=8)
def _cached(root: str, extra: tuple[str, ...]) -> Catalog:
    if not extra:
        return cached_catalog(Path(root))
    from kubecurrent.catalog._build import build  # extra files are never cached

    return build(Path(root), [Path(p) for p in extra])


def load_catalog(extra: Sequence[str | os.PathLike[str]] = ()) -> Catalog:
    """The built-in catalog plus ``extra`` files; loaded once per process for each set."""
    key = tuple(str(Path(p).resolve()) for p in extra)
    return _cached(str(data_dir()), key)
