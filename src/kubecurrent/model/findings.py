"""Findings: rule hits with a stable rule id, the object, where the evidence came from, the remedy.

Shared by every scan (files, charts, overlays, live clusters). ``status`` is relative to the
target version the scan was run for: ``removed`` means the target no longer serves what the
object needs, ``deprecated`` that it still does but a later version will not.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


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


class ObjectRef(_Frozen):
    """The object a finding is about, as written (the apiVersion it was read with)."""

    api_version: str = Field(alias="apiVersion")
    kind: str
    name: str = ""
    namespace: str = ""

    @property
    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}".rstrip()


class Location(_Frozen):
    """Where the evidence is: a file and the line where its document starts (1-based)."""

    file: str
    line: int = Field(default=1, ge=1)
    rendered_from: str | None = None
    """For rendered charts and overlays: the chart or kustomization that produced the object;
    for live evidence, how it was seen (e.g. the managedFields manager)."""
    cluster: str | None = None
    """For findings about a live cluster: its name (``file`` and ``line`` then mean nothing to
    a reader and are not shown)."""


class Finding(_Frozen):
    """One rule hit."""

    rule: str = Field(pattern=r"^KC-[A-Z0-9-]+$")
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


class ScanError(_Frozen):
    """An input that could not be read completely; the scan went on with the rest."""

    file: str
    line: int | None = None
    message: str


def status_rank(status: Status) -> int:
    """Order used for thresholds: removed outranks deprecated."""
    return 2 if status is Status.REMOVED else 1
