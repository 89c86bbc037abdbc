"""Upstream's API lifecycle, generated from the Go modules by ``scripts/gen_lifecycle.py``.

``data/lifecycle.json`` holds, for every kind of every built-in group/version that any
Kubernetes release the catalog knows shipped (``k8s.io/api``, ``k8s.io/kube-aggregator``,
``k8s.io/apiextensions-apiserver``, and ``audit.k8s.io`` from ``k8s.io/apiserver``): upstream's
prerelease lifecycle tags (introduced, deprecated, removed, replacement) and the releases whose
module carried the type. It is committed; nothing is fetched at scan time.

A kind is *served* by a release when that release's module carries it, and its lifecycle (if
tagged) has it introduced by then and not yet removed. Types without tags (GA-only) are served
whenever shipped.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from kubecurrent.catalog._common import Frozen
from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion
from kubecurrent.model.fields import MinorField

LIFECYCLE_FILE = "lifecycle.json"
Component = Literal[
    "kube-apiserver", "kube-aggregator", "apiextensions-apiserver", "audit-policy-file"
]


class ModuleSource(Frozen):
    """Where one fact was read: ``k8s.io/api@v0.37.2`` and the file inside the module."""

    module: str
    version: str
    file: str

    def __str__(self) -> str:
        return f"{self.module}@{self.version}/{self.file}"

    @property
    def url(self) -> str:
        return f"https://proxy.golang.org/{self.module}/@v/{self.version}.zip"


class ShippedRange(Frozen):
    """Consecutive releases (inclusive) whose module carried the type."""

    first: MinorField
    last: MinorField

    def __contains__(self, minor: object) -> bool:
        return isinstance(minor, MinorVersion) and self.first <= minor <= self.last


class LifecycleApi(Frozen):
    """One kind of one group/version, as upstream declares it."""

    group: str
    version: str = Field(pattern=r"^v\d+((alpha|beta)\d+)?$")
    kind: str
    component: Component
    introduced: MinorField | None = None
    deprecated: MinorField | None = None
    removed: MinorField | None = None
    replacement: str | None = None
    """apiVersion upstream names as the replacement."""
    replacement_kind: str | None = None
    """Only when it differs from ``kind``."""
    resource: bool = True
    """False for kinds upstream does not serve as a REST resource (no ``+genclient`` tag):
    subresources such as ``Scale``, review payloads such as ``AdmissionReview``."""
    shipped: tuple[ShippedRange, ...] = Field(min_length=1)
    source: ModuleSource
    """The newest release's file the lifecycle tags (or the registration) were read from."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def tagged(self) -> bool:
        """Whether upstream gave the type lifecycle tags (GA-only types have none)."""
        return self.introduced is not None

    @property
    def stage(self) -> Literal["alpha", "beta", "ga"]:
        return "alpha" if "alpha" in self.version else "beta" if "beta" in self.version else "ga"

    def in_release(self, minor: MinorVersion) -> bool:
        return any(minor in r for r in self.shipped)

    def served_at(self, minor: MinorVersion) -> bool:
        """Whether the release ``minor`` serves this kind (alpha: when its gate is enabled)."""
        if self.removed is not None and self.removed <= minor:
            return False
        if self.introduced is not None and minor < self.introduced:
            return False
        return self.in_release(minor)

    def first_served(self) -> MinorVersion:
        first = self.shipped[0].first
        return max(first, self.introduced) if self.introduced is not None else first

    def gone_from(self, newest: MinorVersion) -> MinorVersion | None:
        """The first release that does not serve it: upstream's removal tag, or the release
        after the last one whose module carried it, whichever comes first (None while
        ``newest`` still serves it and no removal is tagged)."""
        last = self.shipped[-1].last
        dropped = last.offset(1) if last < newest else None
        found = [m for m in (self.removed, dropped) if m is not None]
        return min(found) if found else None

    def last_served(self) -> MinorVersion:
        """The newest release that served it (from the generated releases)."""
        last = self.shipped[-1].last
        return min(last, self.removed.offset(-1)) if self.removed is not None else last


class LifecycleRelease(Frozen):
    """One release the generator read, and the module versions it read for it."""

    version: MinorField
    prerelease: bool = False
    modules: dict[str, str]


class Lifecycle(Frozen):
    """The whole generated file."""

    generated_by: str
    releases: tuple[LifecycleRelease, ...]
    apis: tuple[LifecycleApi, ...]

    def minors(self) -> list[MinorVersion]:
        return [r.version for r in self.releases]

    def newest(self, *, prerelease: bool = False) -> MinorVersion:
        return max(r.version for r in self.releases if prerelease or not r.prerelease)

    def groups(self) -> set[str]:
        return set(self._groups)

    def has_group(self, group: str) -> bool:
        """Whether upstream ever shipped an API in ``group`` (a set lookup: called per object)."""
        return group in self._groups

    def covers(self, minor: MinorVersion) -> bool:
        """Whether the generated data has release ``minor`` (a set lookup: called per object)."""
        return minor in self._minors

    @cached_property
    def _groups(self) -> frozenset[str]:
        return frozenset(a.group for a in self.apis)

    @cached_property
    def _minors(self) -> frozenset[MinorVersion]:
        return frozenset(r.version for r in self.releases)

    def lookup(self, group: str, version: str, kind: str) -> LifecycleApi | None:
        return self._by_kind.get((group, version, kind))

    def group_version(self, group: str, version: str) -> tuple[LifecycleApi, ...]:
        """Every kind upstream ever shipped in ``group``/``version`` (empty when none)."""
        return self._by_group_version.get((group, version), ())

    @cached_property
    def _by_kind(self) -> dict[tuple[str, str, str], LifecycleApi]:
        return {(a.group, a.version, a.kind): a for a in self.apis}

    @cached_property
    def _by_group_version(self) -> dict[tuple[str, str], tuple[LifecycleApi, ...]]:
        found: dict[tuple[str, str], list[LifecycleApi]] = {}
        for a in self.apis:
            found.setdefault((a.group, a.version), []).append(a)
        return {k: tuple(v) for k, v in found.items()}


def read_lifecycle(path: Path) -> Lifecycle:
    """The generated lifecycle file; CatalogError naming the file when it is unusable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Lifecycle.model_validate(raw)
    except (OSError, ValueError, ValidationError) as exc:
        raise CatalogError(
            f"{path.name}: cannot use the generated API lifecycle: {exc}",
            hint="regenerate it with scripts/gen_lifecycle.py",
        ) from exc


EMPTY_LIFECYCLE = Lifecycle(generated_by="nothing", releases=(), apis=())
"""The lifecycle of a data directory without ``lifecycle.json``: every rule based on it is off."""
