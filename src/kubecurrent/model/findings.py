"""Findings: rule hits with a stable rule id, the object, where the evidence came from, the remedy.

Shared by every scan (files, charts, overlays, live clusters). ``status`` is relative to the
target version the scan was run for: ``removed`` means the target no longer serves what the
object needs, ``deprecated`` that it still does but a later version will not.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

_RULE_ID = re.compile(r"^KC-[A-Z0-9-]+$")


# Every record below is a msgspec Struct: immutable and hashable, built by keyword, and read
# back from data (``from_data``) refusing unknown keys. Plain records: building one costs about
# what a slotted dataclass costs, and msgspec is imported by the scan path anyway.


class Severity(StrEnum):
    """How urgent a finding is; ``error`` blocks the upgrade to the target."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Status(StrEnum):
    """Where the target version stands on what the finding is about."""

    REMOVED = "removed"
    DEPRECATED = "deprecated"


class Category(StrEnum):
    """What a finding is about. Only API findings have a lifecycle status worth a word of its
    own (removed, deprecated); reports show the others by their severity and their kind."""

    API = "api"
    """An object's apiVersion, an RBAC grant, a webhook's AdmissionReview versions, PSP."""
    CRD_VERSION = "crd-version"
    """A deprecated or unserved CRD version that objects are written or stored through."""
    CHART = "chart"
    """A Helm chart's own kubeVersion constraint."""
    ADDON = "addon"
    NODE_SKEW = "node-skew"
    END_OF_LIFE = "end-of-life"
    VULNERABILITY = "vulnerability"
    DRAIN_BLOCKER = "drain-blocker"
    MANAGED_SUPPORT = "managed-support"
    """A managed cloud's support phase of the control-plane version, and what it costs."""
    PROVIDER_INSIGHT = "provider-insight"
    """A managed cloud's own upgrade-readiness finding (EKS upgrade insights), as evidence."""

    @property
    def has_status(self) -> bool:
        """Whether "removed"/"deprecated" describe findings of this category."""
        return self in (Category.API, Category.CRD_VERSION)

    @property
    def label(self) -> str:
        """The category in words, as tables print it before the object."""
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    Category.API: "api",
    Category.CRD_VERSION: "CRD version",
    Category.CHART: "chart kubeVersion",
    Category.ADDON: "add-on",
    Category.NODE_SKEW: "node pool skew",
    Category.END_OF_LIFE: "end of life",
    Category.VULNERABILITY: "vulnerability",
    Category.DRAIN_BLOCKER: "drain blocker",
    Category.MANAGED_SUPPORT: "managed support",
    Category.PROVIDER_INSIGHT: "provider insight",
}


class EvidenceSource(StrEnum):
    """Where the object that triggered the finding was read from."""

    MANIFEST = "manifest"
    HELM_CHART = "helm-chart"
    KUSTOMIZE = "kustomize"
    LIVE_OBJECT = "live-object"
    MANAGED_FIELDS = "managed-fields"
    LAST_APPLIED = "last-applied"
    HELM_RELEASE = "helm-release"
    METRICS = "metrics"
    AUDIT_LOG = "audit-log"
    CLUSTER = "cluster"
    """Facts about the cluster itself: versions, node pools, add-ons, end of life, CVEs."""


class ObjectRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The object a finding is about, as written (the apiVersion it was read with)."""

    api_version: str = msgspec.field(name="apiVersion")
    kind: str
    name: str = ""
    namespace: str = ""

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}".rstrip()


class Location(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the evidence is: a file and the line where its document starts (1-based)."""

    file: str
    line: int = 1
    rendered_from: str | None = None
    """For rendered charts and overlays: the chart or kustomization that produced the object;
    for live evidence, how it was seen (e.g. the managedFields manager)."""
    cluster: str | None = None
    """For findings about a live cluster: its name (``file`` and ``line`` then mean nothing to
    a reader and are not shown)."""

    def __post_init__(self) -> None:
        if self.line < 1:
            raise ValueError(f"{self.file}: line must be 1 or more, not {self.line}")


class Finding(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One rule hit."""

    rule: str
    """``KC-`` and upper-case letters, digits and dashes (checked when built)."""
    severity: Severity
    status: Status
    """The threshold level (``--fail-on``); printed as a word only when ``category.has_status``."""
    object: ObjectRef
    location: Location
    source: EvidenceSource
    message: str
    deprecated_in: str | None = None
    removed_in: str | None = None
    fix_by: str | None = None
    """The version by which this must be fixed: the Kubernetes (or add-on) version that stops
    serving what the object needs; None when no removal is scheduled."""
    replacement: str | None = None
    remediation: str = ""
    """One line saying what to change."""
    category: Category = Category.API

    def __post_init__(self) -> None:
        if not _RULE_ID.match(self.rule):
            raise ValueError(f"rule id {self.rule!r} must look like KC-API-REMOVED")


class ScanError(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An input that could not be read completely; the scan went on with the rest."""

    file: str
    line: int | None = None
    message: str


Record = TypeVar("Record", Finding, ScanError, ObjectRef, Location)


def to_data(record: Finding | ScanError | ObjectRef | Location, *, nones: bool = False) -> Any:
    """``record`` as JSON-ready data, as reports print it: keys as written (``apiVersion``),
    enums as their values, fields in declaration order; fields that are None left out unless
    ``nones``."""
    data = msgspec.to_builtins(record)
    return data if nones else _without_none(data)


def from_data(kind: type[Record], data: object, where: str) -> Record:
    """A ``kind`` read back from ``data`` (what ``to_data`` wrote, e.g. a saved report);
    unknown keys, wrong types, a bad rule id or line are a ValueError naming ``where``."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{where}: not a {kind.__name__}: {exc}") from exc


def replace(record: Record, **changes: Any) -> Record:
    """``record`` with ``changes`` (field names as in Python: ``api_version``)."""
    return msgspec.structs.replace(record, **changes)


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: _without_none(v) if isinstance(v, dict) else v for k, v in data.items() if v is not None
    }


def status_rank(status: Status) -> int:
    """Order used for thresholds: removed outranks deprecated."""
    return 2 if status is Status.REMOVED else 1
