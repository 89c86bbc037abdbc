"""The API lifecycle table the rules look things up in: built-in and add-on APIs, by apiVersion
and kind, with their status relative to the scan's target."""

from __future__ import annotations

from dataclasses import dataclass

from kubecurrent.catalog import Catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Status


@dataclass(frozen=True, slots=True)
class ApiRule:
    """One (apiVersion, kind) that is deprecated or removed."""

    group: str
    version: str
    kind: str
    resource: str
    deprecated_in: str
    removed_in: str | None
    replacement: str | None
    migration: tuple[str, ...] = ()
    replacement_kind: str | None = None
    """Only when the replacement is a different kind (Endpoints -> EndpointSlice)."""
    addon: str | None = None
    """Set for an add-on's own CRD API; its versions are then the add-on's, not Kubernetes'."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def fix_by(self) -> str | None:
        if self.removed_in is None:
            return None
        return f"{self.addon} {self.removed_in}" if self.addon else self.removed_in

    def status_at(self, target: MinorVersion) -> Status | None:
        """``removed`` if the target no longer serves it, ``deprecated`` if it still does."""
        if self.addon is not None:
            return Status.REMOVED if self.removed_in else Status.DEPRECATED
        if self.removed_in is not None and MinorVersion.parse(self.removed_in) <= target:
            return Status.REMOVED
        if MinorVersion.parse(self.deprecated_in) <= target:
            return Status.DEPRECATED
        return None


@dataclass(frozen=True)
class ApiTable:
    """All deprecated and removed APIs the catalog knows, indexed for the rules."""

    by_kind: dict[tuple[str, str], ApiRule]
    by_resource: dict[tuple[str, str], tuple[ApiRule, ...]]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ApiTable:
        rules = [
            ApiRule(
                group=a.group,
                version=a.version,
                kind=a.kind,
                resource=a.resource,
                deprecated_in=str(a.deprecated_in),
                removed_in=str(a.removed_in) if a.removed_in else None,
                replacement=a.replacement,
                migration=a.migration or ((a.note,) if a.note else ()),
                replacement_kind=a.replacement_kind,
            )
            for a in catalog.apis
        ]
        for addon in catalog.addons:
            rules += [
                ApiRule(
                    group=api.group,
                    version=api.version,
                    kind=kind,
                    resource=kind.lower() + "s",
                    deprecated_in=str(api.deprecated_in),
                    removed_in=str(api.removed_in) if api.removed_in else None,
                    replacement=api.replacement,
                    migration=(api.note,) if api.note else (),
                    addon=addon.name,
                )
                for api in addon.apis
                for kind in api.kinds
            ]
        by_resource: dict[tuple[str, str], list[ApiRule]] = {}
        for rule in rules:
            by_resource.setdefault((rule.group, rule.resource), []).append(rule)
        return cls(
            by_kind={(r.api_version, r.kind): r for r in rules},
            by_resource={k: tuple(v) for k, v in by_resource.items()},
        )

    def lookup(self, api_version: str, kind: str) -> ApiRule | None:
        return self.by_kind.get((api_version, kind))
