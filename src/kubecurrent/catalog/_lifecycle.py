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

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

LIFECYCLE_FILE = "lifecycle.json"
Component = Literal[
    "kube-apiserver", "kube-aggregator", "apiextensions-apiserver", "audit-policy-file"
]


class ModuleSource(msgspec.Struct, frozen=True):
    """Where one fact was read: ``k8s.io/api@v0.37.2`` and the file inside the module."""

    module: str
    version: str
    file: str

    def __str__(self) -> str:
        return f"{self.module}@{self.version}/{self.file}"

    @property
    def url(self) -> str:
        return f"https://proxy.golang.org/{self.module}/@v/{self.version}.zip"


class ShippedRange(msgspec.Struct, frozen=True):
    """Consecutive releases (inclusive) whose module carried the type."""

    first: MinorVersion
    last: MinorVersion

    def __contains__(self, minor: object) -> bool:
        return isinstance(minor, MinorVersion) and self.first <= minor <= self.last


class LifecycleApi(msgspec.Struct, frozen=True):
    """One kind of one group/version, as upstream declares it."""

    group: str
    version: str
    """``v1``, ``v1beta2``, ``v2alpha1`` (checked when read)."""
    kind: str
    component: Component
    shipped: tuple[ShippedRange, ...]
    """At least one range (checked when read)."""
    source: ModuleSource
    """The newest release's file the lifecycle tags (or the registration) were read from."""
    introduced: MinorVersion | None = None
    deprecated: MinorVersion | None = None
    removed: MinorVersion | None = None
    replacement: str | None = None
    """apiVersion upstream names as the replacement."""
    replacement_kind: str | None = None
    """Only when it differs from ``kind``."""
    resource: bool = True
    """False for kinds upstream does not serve as a REST resource (no ``+genclient`` tag):
    subresources such as ``Scale``, review payloads such as ``AdmissionReview``."""

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


class LifecycleRelease(msgspec.Struct, frozen=True):
    """One release the generator read, and the module versions it read for it."""

    version: MinorVersion
    modules: dict[str, str]
    prerelease: bool = False


@dataclass(frozen=True)
class Lifecycle:
    """The whole generated file (plain records: a file scan reads it without pydantic; the
    catalog's pydantic models hold it through ``__get_pydantic_core_schema__``)."""

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

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        """As a field of a pydantic model (``Catalog.lifecycle``): read from and written as the
        generated file's shape, only when such a model is built."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            lambda v: v if isinstance(v, Lifecycle) else lifecycle_from_data(v, "lifecycle"),
            serialization=core_schema.plain_serializer_function_ser_schema(lifecycle_data),
        )


# The generated file's shape, checked by msgspec when read (unknown keys are errors).
_Minor = Annotated[str, msgspec.Meta(pattern=r"^\d+\.\d+$")]


class _Source(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    module: str
    version: str
    file: str


class _Range(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    first: _Minor
    last: _Minor


class _Api(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    group: str
    version: Annotated[str, msgspec.Meta(pattern=r"^v\d+((alpha|beta)\d+)?$")]
    kind: str
    component: Component
    shipped: Annotated[tuple[_Range, ...], msgspec.Meta(min_length=1)]
    source: _Source
    introduced: _Minor | None = None
    deprecated: _Minor | None = None
    removed: _Minor | None = None
    replacement: str | None = None
    replacement_kind: str | None = None
    resource: bool = True


class _Release(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    version: _Minor
    modules: dict[str, str]
    prerelease: bool = False


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    generated_by: str
    releases: tuple[_Release, ...]
    apis: tuple[_Api, ...]


@lru_cache(maxsize=256)
def _parse(text: str) -> MinorVersion:
    """A few dozen distinct minors are written a thousand times in the file."""
    return MinorVersion.parse(text)


def _minor(text: str | None) -> MinorVersion | None:
    return _parse(text) if text is not None else None


def _text(minor: MinorVersion | None) -> str | None:
    return str(minor) if minor is not None else None


def _from_file(f: _File) -> Lifecycle:
    parse = _parse
    return Lifecycle(
        generated_by=f.generated_by,
        releases=tuple(
            LifecycleRelease(parse(r.version), r.modules, r.prerelease) for r in f.releases
        ),
        apis=tuple(
            LifecycleApi(
                group=a.group,
                version=a.version,
                kind=a.kind,
                component=a.component,
                shipped=tuple(ShippedRange(parse(r.first), parse(r.last)) for r in a.shipped),
                source=ModuleSource(a.source.module, a.source.version, a.source.file),
                introduced=_minor(a.introduced),
                deprecated=_minor(a.deprecated),
                removed=_minor(a.removed),
                replacement=a.replacement,
                replacement_kind=a.replacement_kind,
                resource=a.resource,
            )
            for a in f.apis
        ),
    )


def _to_file(lc: Lifecycle) -> _File:
    return _File(
        generated_by=lc.generated_by,
        releases=tuple(_Release(str(r.version), r.modules, r.prerelease) for r in lc.releases),
        apis=tuple(
            _Api(
                group=a.group,
                version=a.version,
                kind=a.kind,
                component=a.component,
                shipped=tuple(_Range(str(r.first), str(r.last)) for r in a.shipped),
                source=_Source(a.source.module, a.source.version, a.source.file),
                introduced=_text(a.introduced),
                deprecated=_text(a.deprecated),
                removed=_text(a.removed),
                replacement=a.replacement,
                replacement_kind=a.replacement_kind,
                resource=a.resource,
            )
            for a in lc.apis
        ),
    )


def lifecycle_data(lc: Lifecycle) -> Any:
    """``lc`` in the generated file's shape (JSON-ready)."""
    return msgspec.to_builtins(_to_file(lc))


def lifecycle_from_data(data: object, where: str) -> Lifecycle:
    """A lifecycle from data in the generated file's shape; ValueError naming ``where``."""
    try:
        return _from_file(msgspec.convert(data, _File))
    except msgspec.ValidationError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def read_lifecycle(path: Path) -> Lifecycle:
    """The generated lifecycle file; CatalogError naming the file when it is unusable."""
    try:
        return _from_file(msgspec.json.decode(path.read_bytes(), type=_File))
    except (OSError, ValueError, msgspec.MsgspecError) as exc:
        raise CatalogError(
            f"{path.name}: cannot use the generated API lifecycle: {exc}",
            hint="regenerate it with scripts/gen_lifecycle.py",
        ) from exc


EMPTY_LIFECYCLE = Lifecycle(generated_by="nothing", releases=(), apis=())
"""The lifecycle of a data directory without ``lifecycle.json``: every rule based on it is off."""
