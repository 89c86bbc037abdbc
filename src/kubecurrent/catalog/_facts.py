"""The catalog facts a file scan needs, in a flat form that is cheap to read, and their cache.

A scan of manifests asks the catalog for little: the release lines it knows, the add-on names,
and every deprecated or removed API (the built-in ones and the add-ons' own). Getting them from
the data files means reading every YAML file and validating the whole catalog, which costs more
than scanning a small repository. So ``scan_facts()`` derives them from a loaded ``Catalog``
(the only place that does), and ``load_scan_facts()`` keeps the built-in catalog's facts as JSON
in the catalog's cache (``scan-facts-<key>.json``, see ``_cache``), written at first use. Facts
with extra catalog files are never cached: they are built from the full load each time.

Upstream's generated lifecycle (``lifecycle.json``) is not part of the facts: it is JSON already
and is read as it is (``load_lifecycle``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from kubecurrent.catalog._cache import cache_file, cached
from kubecurrent.catalog._data import data_dir

if TYPE_CHECKING:
    from kubecurrent.catalog._catalog import Catalog
    from kubecurrent.catalog._lifecycle import Lifecycle


class ApiFact(msgspec.Struct, frozen=True):
    """One deprecated or removed kind of one group/version (built-in or an add-on's)."""

    group: str
    version: str
    kind: str
    resource: str
    """Plural resource name as RBAC rules write it."""
    deprecated_in: str
    removed_in: str | None
    """For an add-on API: the add-on release that stops serving it."""
    replacement: str | None
    migration: tuple[str, ...] = ()
    replacement_kind: str | None = None
    replacement_since: str | None = None
    addon: str | None = None
    """Set for an add-on's API; its versions are then the add-on's, not Kubernetes'."""


class ScanFacts(msgspec.Struct, frozen=True):
    """What a file scan reads from the catalog."""

    releases: tuple[str, ...]
    """The Kubernetes minors the catalog knows (``1.37``), in catalog order."""
    addons: tuple[str, ...]
    """Every add-on name, in catalog order."""
    addons_with_apis: tuple[str, ...]
    """The add-ons that have API history (what ``--addon-version`` is useful for)."""
    apis: tuple[ApiFact, ...]

    def newest_release(self) -> str:
        return max(self.releases, key=lambda m: tuple(int(p) for p in m.split(".")))


def scan_facts(catalog: Catalog) -> ScanFacts:
    """The facts of a loaded catalog (built-in data plus any extra files)."""
    apis = [
        ApiFact(
            group=a.group,
            version=a.version,
            kind=a.kind,
            resource=a.resource,
            deprecated_in=str(a.deprecated_in),
            removed_in=str(a.removed_in) if a.removed_in else None,
            replacement=a.replacement,
            migration=a.migration or ((a.note,) if a.note else ()),
            replacement_since=str(a.replacement_available_in)
            if a.replacement_available_in
            else None,
            replacement_kind=a.replacement_kind,
        )
        for a in catalog.apis
    ]
    apis += [
        ApiFact(
            group=api.group,
            version=api.version,
            kind=kind,
            resource=kind.lower() + "s",
            deprecated_in=str(api.deprecated_in),
            removed_in=str(api.unserved_from) if api.unserved_from else None,
            replacement=api.replacement,
            migration=(api.note,) if api.note else (),
            addon=addon.name,
        )
        for addon in catalog.addons
        for api in addon.apis
        for kind in api.kinds
    ]
    return ScanFacts(
        releases=tuple(str(r.version) for r in catalog.releases),
        addons=tuple(a.name for a in catalog.addons),
        addons_with_apis=tuple(a.name for a in catalog.addons if a.apis),
        apis=tuple(apis),
    )


def facts_cache_file(root: Path) -> Path:
    """Where the facts of the data in ``root`` are cached."""
    return cache_file(root, "scan-facts")


def cached_facts(root: Path) -> ScanFacts:
    """The facts of the data in ``root`` (no extra files): from the cache when it holds them,
    else from a full load, then written to the cache."""

    def make() -> ScanFacts:
        from kubecurrent.catalog._load import cached_catalog  # the validated models

        return scan_facts(cached_catalog(root))

    def decode(blob: bytes) -> ScanFacts:
        return msgspec.json.decode(blob, type=ScanFacts)

    def encode(facts: ScanFacts) -> bytes:
        return msgspec.json.encode(facts)

    return cached(facts_cache_file(root), decode, make, encode)


@lru_cache(maxsize=1)
def _builtin(root: str) -> ScanFacts:
    return cached_facts(Path(root))


def load_scan_facts(extra: Sequence[str | os.PathLike[str]] = ()) -> ScanFacts:
    """The facts of the built-in catalog plus ``extra`` files; the built-in ones from the cache
    when it holds them for this version and these data files."""
    if extra:
        from kubecurrent.catalog._load import load_catalog  # validates every data file

        return scan_facts(load_catalog(extra))
    return _builtin(str(data_dir()))


@lru_cache(maxsize=1)
def _lifecycle(root: str) -> Lifecycle:
    from kubecurrent.catalog._lifecycle import EMPTY_LIFECYCLE, LIFECYCLE_FILE, read_lifecycle

    path = Path(root) / LIFECYCLE_FILE
    return read_lifecycle(path) if path.exists() else EMPTY_LIFECYCLE


def load_lifecycle() -> Lifecycle:
    """Upstream's generated API lifecycle of the built-in data (``Catalog.lifecycle``)."""
    return _lifecycle(str(data_dir()))
