"""CVE entries: Kubernetes components and add-ons, with affected ranges and fixed patches."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.catalog._common import Frozen, Sourced
from kubecurrent.catalog._fields import DottedField, RangeField

Severity = Literal["low", "medium", "high", "critical", "unknown"]


class AffectedRange(Frozen):
    """Versions of the component that are vulnerable, and the patch that fixes them."""

    range: RangeField
    fixed_in: DottedField | None = None
    """None when no fix exists on that line (upgrade to another line, or mitigate)."""

    @model_validator(mode="after")
    def _fix_after_range(self) -> AffectedRange:
        high = self.range.high
        if self.fixed_in is None or high is None:
            return self
        if self.fixed_in < high or (self.range.high_inclusive and self.fixed_in == high):
            raise ValueError(f"fixed_in {self.fixed_in} lies inside the range {self.range}")
        return self


class Cve(Sourced):
    """One CVE from the official Kubernetes feed (or an add-on's advisory)."""

    id: str = Field(pattern=r"^CVE-\d{4}-\d{4,}$")
    summary: str
    published: dt.date
    severity: Severity
    cvss: float | None = Field(default=None, ge=0, le=10)
    cvss_vector: str | None = None
    component: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    """kube-apiserver, kubelet, kube-proxy, kubectl, ... or an add-on name (ingress-nginx)."""
    affected: tuple[AffectedRange, ...]
    mitigation: str | None = None

    @model_validator(mode="after")
    def _has_ranges(self) -> Cve:
        if not self.affected and not self.unverified:
            raise ValueError("affected is empty: list the vulnerable ranges or mark unverified")
        return self

    def fixed_versions(self) -> list[str]:
        return [str(a.fixed_in) for a in self.affected if a.fixed_in is not None]
