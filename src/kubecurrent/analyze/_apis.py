"""The API lifecycle table the rules look things up in: built-in and add-on APIs, by apiVersion
and kind, with their status relative to the scan's target."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from kubecurrent.analyze._served import Why
from kubecurrent.catalog import EMPTY_LIFECYCLE, Lifecycle, ScanFacts, scan_facts
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Status

if TYPE_CHECKING:
    from kubecurrent.catalog import Catalog


class ApiRule(msgspec.Struct, frozen=True):
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
    replacement_since: str | None = None
    """First release serving ``replacement`` (set once resolved at a target)."""
    unserved: Why | None = None
    """Set for a rule derived from upstream's lifecycle: why the target refuses it."""
    alpha: bool = False
    first_served: str | None = None
    """For a kind the target does not serve yet: the first release that does."""
    installed: str | None = None
    """For an add-on API: the add-on version the scan judges against (``--addon-version``);
    None when unknown, then a removal is reported as the add-on release that removes it."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def fix_by(self) -> str | None:
        if self.removed_in is None:
            return None
        return f"{self.addon} {self.removed_in}" if self.addon else self.removed_in

    @property
    def rule_id(self) -> str:
        if self.unserved in (Why.NOT_YET, Why.UNKNOWN_VERSION):
            return "KC-API-NOT-SERVED"
        return "KC-API-REMOVED"

    def status_at(self, target: MinorVersion) -> Status | None:
        """``removed`` if the target no longer serves it, ``deprecated`` if it still does."""
        if self.unserved is not None:
            return Status.REMOVED
        if self.addon is not None:
            return self._addon_status()
        if self.removed_in is not None and MinorVersion.parse(self.removed_in) <= target:
            return Status.REMOVED
        if MinorVersion.parse(self.deprecated_in) <= target:
            return Status.DEPRECATED
        return None

    def _addon_status(self) -> Status | None:
        if self.installed is None:
            return Status.REMOVED if self.removed_in else Status.DEPRECATED
        from kubecurrent.catalog import DottedVersion  # only with --addon-version

        have = DottedVersion.parse(self.installed)
        if self.removed_in is not None and DottedVersion.parse(self.removed_in) <= have:
            return Status.REMOVED
        if DottedVersion.parse(self.deprecated_in) <= have:
            return Status.DEPRECATED
        return None


class ApiTable(msgspec.Struct, frozen=True):
    """All deprecated and removed APIs the catalog knows, indexed for the rules."""

    by_kind: dict[tuple[str, str], ApiRule]
    by_resource: dict[tuple[str, str], tuple[ApiRule, ...]]
    lifecycle: Lifecycle = EMPTY_LIFECYCLE
    """Upstream's generated lifecycle: what each release serves."""

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> ApiTable:
        return cls.from_facts(scan_facts(catalog), catalog.lifecycle)

    @classmethod
    def from_facts(cls, facts: ScanFacts, lifecycle: Lifecycle) -> ApiTable:
        """The table of the catalog's ``facts`` (``load_scan_facts``) and its ``lifecycle``."""
        rules = [
            ApiRule(
                group=a.group,
                version=a.version,
                kind=a.kind,
                resource=a.resource,
                deprecated_in=a.deprecated_in,
                removed_in=a.removed_in,
                replacement=a.replacement,
                migration=a.migration,
                replacement_since=a.replacement_since,
                replacement_kind=a.replacement_kind,
                addon=a.addon,
            )
            for a in facts.apis
        ]
        by_resource: dict[tuple[str, str], list[ApiRule]] = {}
        for rule in rules:
            by_resource.setdefault((rule.group, rule.resource), []).append(rule)
        return cls(
            by_kind={(r.api_version, r.kind): r for r in rules},
            by_resource={k: tuple(v) for k, v in by_resource.items()},
            lifecycle=lifecycle,
        )

    def lookup(self, api_version: str, kind: str) -> ApiRule | None:
        return self.by_kind.get((api_version, kind))
