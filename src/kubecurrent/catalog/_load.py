"""Reading the catalog files, validating every entry, and merging the user's extra files.

Errors name the file, the entry and the problem, e.g.
``apis.yaml: entry 12 (policy/v1beta1 PodSecurityPolicy): removed_in 1.21 is before ...``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kubecurrent.catalog._addon import Addon
from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._check import Entry, check_entries
from kubecurrent.catalog._cve import Cve
from kubecurrent.catalog._model import (
    ApiDeprecation,
    KubernetesRelease,
    Meta,
    SkewRule,
    UpgradeRule,
)
from kubecurrent.errors import CatalogError

M = TypeVar("M", bound=BaseModel)

EXTRA_ENV = "KUBECURRENT_CATALOG_EXTRA"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# section name -> (model, file that holds the built-in entries, key inside that file)
SECTIONS: dict[str, tuple[type[BaseModel], str, str]] = {
    "releases": (KubernetesRelease, "kubernetes.yaml", "releases"),
    "apis": (ApiDeprecation, "apis.yaml", "apis"),
    "skew": (SkewRule, "skew.yaml", "skew"),
    "upgrade": (UpgradeRule, "skew.yaml", "upgrade"),
    "cves": (Cve, "cves.yaml", "cves"),
    "addons": (Addon, "addons/*.yaml", "addons"),
}


def data_dir() -> Path:
    """The directory of the built-in data files."""
    return Path(str(files("kubecurrent.catalog") / "data"))


def entry_label(section: str, raw: object) -> str:
    """A short human name for a raw entry, used in error messages."""
    if not isinstance(raw, dict):
        return "?"
    if section == "apis":
        group = raw.get("group") or ""
        return f"{group + '/' if group else ''}{raw.get('version')} {raw.get('kind')}"
    for key in ("id", "name", "version"):
        if key in raw:
            return str(raw[key])
    return "?"


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as ``field: problem`` phrases joined by ``; ``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def read_yaml(path: Path, origin: str) -> Any:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader
    except OSError as exc:
        raise CatalogError(
            f"{origin}: cannot read the file: {exc.strerror}",
            hint="check the path given to --catalog-extra or KUBECURRENT_CATALOG_EXTRA",
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogError(
            f"{origin}: not valid YAML: {exc}", hint="fix the YAML syntax at the position shown"
        ) from exc


def validate(model: type[M], raw: object, origin: str, label: str) -> M:
    """Validate one entry, turning pydantic's error into a CatalogError that names it."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(
            f"{origin}: {label}: {describe(exc)}",
            hint=f"fix the entry in {origin} (see the catalog schema in docs/catalog.md)",
        ) from None


def _entries(section: str, items: object, origin: str) -> list[Entry]:
    model = SECTIONS[section][0]
    if not isinstance(items, list):
        raise CatalogError(
            f"{origin}: {section}: must be a list of entries", hint="write it as a YAML list"
        )
    found = []
    for i, raw in enumerate(items, start=1):
        label = f"entry {i} ({entry_label(section, raw)})"
        found.append(Entry(origin, label, validate(model, raw, origin, label)))
    return found


def _mapping(doc: object, origin: str, allowed: Iterable[str]) -> dict[str, Any]:
    allowed = set(allowed)
    if not isinstance(doc, dict):
        raise CatalogError(f"{origin}: must be a mapping", hint=f"use top-level keys {allowed}")
    unknown = set(doc) - allowed
    if unknown:
        raise CatalogError(
            f"{origin}: unknown top-level key(s) {sorted(unknown)}",
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )
    return doc


@dataclass
class _Sections:
    meta: Meta
    entries: dict[str, list[Entry]]


def _load_builtin(root: Path) -> _Sections:
    entries: dict[str, list[Entry]] = {name: [] for name in SECTIONS}
    for section, (_, filename, key) in SECTIONS.items():
        if section == "addons":
            continue
        doc = _mapping(read_yaml(root / filename, filename), filename, _keys_of(filename))
        entries[section] = _entries(section, doc.get(key, []), filename)
    for path in sorted((root / "addons").glob("*.yaml")):
        origin = f"addons/{path.name}"
        addon = validate(Addon, read_yaml(path, origin), origin, path.stem)
        if addon.name != path.stem:
            raise CatalogError(
                f"{origin}: {addon.name}: name does not match the file name",
                hint=f"rename the file to {addon.name}.yaml or set name: {path.stem}",
            )
        entries["addons"].append(Entry(origin, addon.name, addon))
    meta = validate(Meta, read_yaml(root / "meta.yaml", "meta.yaml"), "meta.yaml", "meta")
    return _Sections(meta, entries)


def _keys_of(filename: str) -> list[str]:
    return [key for (_, f, key) in SECTIONS.values() if f == filename]


def _load_extra(path: Path) -> dict[str, list[Entry]]:
    origin = str(path)
    doc = _mapping(read_yaml(path, origin), origin, SECTIONS)
    return {section: _entries(section, items, origin) for section, items in doc.items()}


def build(root: Path, extra: Sequence[Path] = ()) -> Catalog:
    """Load, validate and check the catalog in ``root`` plus ``extra`` files (no caching)."""
    loaded = _load_builtin(root)
    builtin = {k: len(v) for k, v in loaded.entries.items()}
    for path in extra:
        for section, found in _load_extra(path).items():
            loaded.entries[section].extend(found)
    check_entries(loaded.entries, builtin)
    values: dict[str, Any] = {k: tuple(e.value for e in v) for k, v in loaded.entries.items()}
    return Catalog(meta=loaded.meta, **values)


def extra_from_env(getenv: Callable[[str], str | None] = os.environ.get) -> list[Path]:
    """Extra files listed in KUBECURRENT_CATALOG_EXTRA (separated like PATH)."""
    value = getenv(EXTRA_ENV) or ""
    return [Path(p) for p in value.split(os.pathsep) if p]


@lru_cache(maxsize=8)
def _cached(root: str, extra: tuple[str, ...]) -> Catalog:
    return build(Path(root), [Path(p) for p in extra])


def load_catalog(extra: Sequence[str | os.PathLike[str]] = ()) -> Catalog:
    """The built-in catalog plus ``extra`` files; loaded once per process for each set."""
    key = tuple(str(Path(p).resolve()) for p in extra)
    return _cached(str(data_dir()), key)
