"""What every rule needs: the API table, the target, and how to build a finding for a document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from kubecurrent.analyze._apis import ApiRule, ApiTable
from kubecurrent.catalog import Lifecycle, ScanFacts, scan_facts
from kubecurrent.collect.files import Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, Location, ObjectRef, Severity, Status

if TYPE_CHECKING:
    from kubecurrent.catalog import Catalog


class ApiVerdict(msgspec.Struct, frozen=True):
    """What an API rule finds in every object of one (apiVersion, kind) at the target: the
    finding's fields that do not depend on the object."""

    rule_id: str
    status: Status
    message: str
    deprecated_in: str | None
    removed_in: str | None
    fix_by: str | None
    replacement: str | None
    remediation: str

    def finding(self, doc: Document) -> Finding:
        return finding(
            doc,
            self.rule_id,
            self.status,
            self.message,
            deprecated_in=self.deprecated_in,
            removed_in=self.removed_in,
            fix_by=self.fix_by,
            replacement=self.replacement,
            remediation=self.remediation,
        )


@dataclass(frozen=True)
class Context:
    """The catalog's API table and the version the scan judges against."""

    table: ApiTable
    target: MinorVersion
    known_versions: tuple[str, ...] = ()
    """Release versions the catalog knows (``1.37.0``), newest first."""
    addon_versions: Mapping[str, str] = msgspec.field(default_factory=dict)
    """Installed add-on versions by catalog name (``--addon-version``, or a cluster's
    inventory); add-on APIs are judged against them when known."""
    judged: dict[tuple[str, str], ApiRule | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """``judge``'s answers by (apiVersion, kind): they depend only on the fields above, and a
    repository repeats a few dozen kinds thousands of times. Not copied by ``replace``."""
    verdicts: dict[tuple[str, str], ApiVerdict | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The API rule's finding fields by (apiVersion, kind) (``check_document``), kept as
    ``judged`` is."""

    @classmethod
    def build(
        cls, catalog: Catalog, target: MinorVersion, addon_versions: Mapping[str, str] | None = None
    ) -> Context:
        return cls.from_facts(scan_facts(catalog), catalog.lifecycle, target, addon_versions)

    @classmethod
    def from_facts(
        cls,
        facts: ScanFacts,
        lifecycle: Lifecycle,
        target: MinorVersion,
        addon_versions: Mapping[str, str] | None = None,
    ) -> Context:
        """The context from the catalog's scan facts (``load_scan_facts``), no full load."""
        known = sorted((MinorVersion.parse(v) for v in facts.releases), reverse=True)
        table = ApiTable.from_facts(facts, lifecycle)
        versions = tuple(f"{v}.0" for v in known)
        return cls(table, target, versions, _comparable(addon_versions or {}))


def target_api_versions(ctx: Context) -> tuple[str, ...]:
    """Replacement APIs the target serves (not deprecated or removed there in turn), as ``group/version`` and ``group/version/Kind``: what
    a chart's ``.Capabilities.APIVersions.Has`` must see so that ``helm template`` (which knows
    only client-go's built-in groups, not apiextensions or apiregistration) renders the version
    the target cluster would get."""
    found: set[str] = set()
    for rules in ctx.table.by_resource.values():
        for rule in rules:
            if rule.addon or not rule.replacement or "/" not in rule.replacement:
                continue
            kind = rule.replacement_kind or rule.kind
            gone = ctx.table.lookup(rule.replacement, kind)  # a replacement removed in turn
            if rule.status_at(ctx.target) and not (gone and gone.status_at(ctx.target)):
                found.add(rule.replacement)
                found.add(f"{rule.replacement}/{kind}")
    return tuple(sorted(found))


def severity_for(status: Status) -> Severity:
    return Severity.ERROR if status is Status.REMOVED else Severity.WARNING


def object_ref(doc: Document) -> ObjectRef:
    return ObjectRef(
        api_version=doc.api_version, kind=doc.kind, name=doc.name, namespace=doc.namespace
    )


def location(doc: Document) -> Location:
    return Location(file=doc.file, line=doc.line, rendered_from=doc.rendered_from)


def finding(
    doc: Document,
    rule: str,
    status: Status,
    message: str,
    *,
    severity: Severity | None = None,
    deprecated_in: str | None = None,
    removed_in: str | None = None,
    fix_by: str | None = None,
    replacement: str | None = None,
    remediation: str = "",
) -> Finding:
    """A finding about ``doc``; the severity follows ``status`` unless given."""
    return Finding(
        rule=rule,
        severity=severity or severity_for(status),
        status=status,
        object=object_ref(doc),
        location=location(doc),
        source=doc.source,
        message=message,
        deprecated_in=deprecated_in,
        removed_in=removed_in,
        fix_by=fix_by,
        replacement=replacement,
        remediation=remediation,
    )


def _comparable(versions: Mapping[str, str]) -> dict[str, str]:
    """The add-on versions that parse as dotted versions (a cluster may report ``latest``)."""
    if not versions:
        return {}
    from kubecurrent.catalog import DottedVersion  # only when add-on versions are given

    out = {}
    for name, version in versions.items():
        try:
            DottedVersion.parse(version)
        except ValueError:
            continue
        out[name] = version
    return out
