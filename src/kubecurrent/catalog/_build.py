"""Building the catalog from the built-in data files and the user's extra files: every file
parsed, every entry validated and checked, into one ``Catalog``.

Problems name the file, the entry and what is wrong, e.g.
``apis.yaml: entry 12 (policy/v1beta1 PodSecurityPolicy): removed_in 1.21 is before ...``;
all of them are listed in one CatalogError (see ``_problems``). A run whose catalog is cached
(see ``_load``) imports none of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kubecurrent.catalog._addon import Addon
from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._check import Entry, check_entries
from kubecurrent.catalog._cve import Cve
from kubecurrent.catalog._lifecycle import LIFECYCLE_FILE, read_lifecycle
from kubecurrent.catalog._model import (
    ApiDeprecation,
    KubernetesRelease,
    Meta,
    SkewRule,
    UpgradeRule,
)
from kubecurrent.catalog._problems import Problems
from kubecurrent.catalog._provider import ProviderPrice, ProviderRelease
from kubecurrent.catalog._read import Reader

# section name -> (model, file that holds the built-in entries, key inside that file)
SECTIONS: dict[str, tuple[type[BaseModel], str, str]] = {
    "releases": (KubernetesRelease, "kubernetes.yaml", "releases"),
    "apis": (ApiDeprecation, "apis.yaml", "apis"),
    "skew": (SkewRule, "skew.yaml", "skew"),
    "upgrade": (UpgradeRule, "skew.yaml", "upgrade"),
    "cves": (Cve, "cves.yaml", "cves"),
    "addons": (Addon, "addons/*.yaml", "addons"),
    "provider_releases": (ProviderRelease, "providers/*.yaml", "releases"),
    "provider_prices": (ProviderPrice, "providers/*.yaml", "prices"),
}


@dataclass
class _Sections:
    meta: Meta | None
    entries: dict[str, list[Entry]]


def _keys_of(filename: str) -> list[str]:
    return [key for (_, f, key) in SECTIONS.values() if f == filename]


def _load_data_files(root: Path, reader: Reader, entries: dict[str, list[Entry]]) -> None:
    for filename in dict.fromkeys(f for (_, f, _) in SECTIONS.values() if "*" not in f):
        ok, raw = reader.document(root / filename, filename)
        keys = _keys_of(filename)
        doc = reader.mapping(raw, filename, keys) if ok else {}
        for section, (model, f, key) in SECTIONS.items():
            if f == filename:
                items = doc.get(key, [])
                entries[section] = reader.entries(section, model, items, filename, len(keys) > 1)


def _load_addon(path: Path, reader: Reader) -> Entry | None:
    origin = f"addons/{path.name}"
    ok, raw = reader.document(path, origin)
    addon = reader.entry(Addon, raw, origin, path.stem) if ok else None
    if addon is None:
        return None
    if addon.name != path.stem:
        reader.problems.add(
            origin,
            addon.name,
            "name does not match the file name",
            f"rename the file to {addon.name}.yaml or set name: {path.stem}",
        )
    return Entry(origin, addon.name, addon)


def _load_provider(path: Path, reader: Reader, entries: dict[str, list[Entry]]) -> None:
    """``providers/<name>.yaml``: its releases and prices; every entry names that provider."""
    origin = f"providers/{path.name}"
    ok, raw = reader.document(path, origin)
    doc = reader.mapping(raw, origin, ("releases", "prices")) if ok else {}
    for section in ("provider_releases", "provider_prices"):
        model, _, key = SECTIONS[section]
        found = reader.entries(section, model, doc.get(key, []), origin, True)
        for entry in found:
            provider = getattr(entry.value, "provider", None)
            if provider != path.stem:
                reader.problems.add(
                    origin,
                    entry.label,
                    f"provider {provider!r} does not match the file name",
                    f"set provider: {path.stem}, or move the entry to providers/{provider}.yaml",
                )
        entries[section] += found


def _load_builtin(root: Path, reader: Reader) -> _Sections:
    entries: dict[str, list[Entry]] = {name: [] for name in SECTIONS}
    _load_data_files(root, reader, entries)
    for path in sorted((root / "providers").glob("*.yaml")):
        _load_provider(path, reader, entries)
    for path in sorted((root / "addons").glob("*.yaml")):
        found = _load_addon(path, reader)
        if found is not None:
            entries["addons"].append(found)
    ok, raw = reader.document(root / "meta.yaml", "meta.yaml")
    meta = reader.entry(Meta, raw, "meta.yaml", "meta") if ok else None
    return _Sections(meta, entries)


def _load_extra(path: Path, reader: Reader) -> dict[str, list[Entry]]:
    origin = str(path)
    ok, raw = reader.document(path, origin, user=True)
    doc = reader.mapping(raw, origin, SECTIONS) if ok else {}
    return {
        section: reader.entries(section, SECTIONS[section][0], items, origin, len(doc) > 1)
        for section, items in doc.items()
    }


def build(root: Path, extra: Sequence[Path] = ()) -> Catalog:
    """Load, validate and check the catalog in ``root`` plus ``extra`` files (no caching).

    Every problem in every file is collected first; then one CatalogError lists them all.
    """
    problems = Problems()
    reader = Reader(problems)
    loaded = _load_builtin(root, reader)
    builtin = {k: len(v) for k, v in loaded.entries.items()}
    for path in extra:
        for section, found in _load_extra(path, reader).items():
            loaded.entries[section].extend(found)
    check_entries(loaded.entries, builtin, problems)
    problems.raise_if_any()
    assert loaded.meta is not None  # a missing meta is a recorded problem
    values: dict[str, Any] = {k: tuple(e.value for e in v) for k, v in loaded.entries.items()}
    if (root / LIFECYCLE_FILE).exists():
        values["lifecycle"] = read_lifecycle(root / LIFECYCLE_FILE)
    return Catalog(meta=loaded.meta, **values)
