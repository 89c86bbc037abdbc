"""Typed, frozen catalog entries for Kubernetes itself: releases, API lifecycle, skew, meta.

Every model validates its own fields and the rules between them (dates in order, removal after
deprecation, ...); rules across entries (duplicates, references) live in ``_check``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.catalog._common import Frozen, Sourced, Sources
from kubecurrent.model.fields import KubeVersionField, MinorField


class KubernetesRelease(Sourced):
    """One Kubernetes minor line and its support window."""

    version: MinorField
    released: dt.date
    end_of_standard_support: dt.date
    """Start of maintenance mode: from here on only critical fixes."""
    end_of_life: dt.date
    latest_patch: KubeVersionField

    @model_validator(mode="after")
    def _ordered(self) -> KubernetesRelease:
        if not self.released < self.end_of_standard_support <= self.end_of_life:
            raise ValueError(
                f"dates out of order: released {self.released}, end_of_standard_support "
                f"{self.end_of_standard_support}, end_of_life {self.end_of_life} "
                "(need released < end_of_standard_support <= end_of_life)"
            )
        if self.latest_patch.minor_version != self.version:
            raise ValueError(f"latest_patch {self.latest_patch} is not a {self.version} release")
        return self


class ApiDeprecation(Sourced):
    """One kind in one group/version that is (or will be) deprecated and removed."""

    group: str
    """API group; "" for the core group."""
    version: str = Field(pattern=r"^v\d+((alpha|beta)\d+)?$")
    kind: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    resource: str = Field(pattern=r"^[a-z0-9]+(/[a-z]+)?$")
    """Plural resource name as used in RBAC rules, e.g. ``cronjobs`` or ``pods/eviction``."""
    deprecated_in: MinorField
    removed_in: MinorField | None
    """None when no removal is scheduled."""
    replacement: str | None
    """apiVersion to migrate to, e.g. ``batch/v1``; None when there is none (then a note)."""
    replacement_kind: str | None = None
    """Only when the replacement is a different kind (Endpoints -> EndpointSlice)."""
    replacement_available_in: MinorField | None = None
    migration: tuple[str, ...] = ()
    """What to change beyond the apiVersion."""
    component: Literal["kube-apiserver", "kube-aggregator", "apiextensions-apiserver"] = (
        "kube-apiserver"
    )
    upstream_differs: str | None = None
    """Why this entry departs from upstream's generated lifecycle (``lifecycle.json``), with
    the source that shows it in ``source:``; ``catalog check`` then reports it as a note."""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def label(self) -> str:
        return f"{self.api_version} {self.kind}"

    @model_validator(mode="after")
    def _consistent(self) -> ApiDeprecation:
        if self.removed_in is not None and self.removed_in < self.deprecated_in:
            raise ValueError(
                f"removed_in {self.removed_in} is before deprecated_in {self.deprecated_in}"
            )
        if self.replacement is None:
            if not self.note:
                raise ValueError("replacement is null: add a note: saying what to do instead")
            return self
        if self.replacement_available_in is None:
            raise ValueError("replacement_available_in is required when replacement is set")
        if self.removed_in is not None and self.removed_in < self.replacement_available_in:
            raise ValueError(
                f"replacement {self.replacement} is only served from "
                f"{self.replacement_available_in}, after the removal in {self.removed_in}"
            )
        return self


Component = Literal[
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "cloud-controller-manager",
    "kubelet",
    "kube-proxy",
    "kubectl",
]


class SkewRule(Sourced):
    """How far ``component`` may be from ``relative_to``, for a range of Kubernetes minors.

    ``applies_from``/``applies_until`` bound the minor of ``relative_to`` (for kubelet: the
    kube-apiserver minor). ``max_older``/``max_newer`` count minors of ``component`` below and
    above ``relative_to``.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    component: Component
    relative_to: Component
    max_older: int = Field(ge=0)
    max_newer: int = Field(ge=0)
    applies_from: MinorField
    applies_until: MinorField | None = None
    description: str

    @model_validator(mode="after")
    def _range(self) -> SkewRule:
        if self.applies_until is not None and self.applies_until < self.applies_from:
            raise ValueError(
                f"applies_until {self.applies_until} is before applies_from {self.applies_from}"
            )
        return self


class UpgradeRule(Sourced):
    """A rule about the order or size of upgrade steps."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    component: Component
    max_minor_step: int = Field(ge=1)
    description: str


class UpstreamSource(Frozen):
    """One upstream feed that ``catalog update`` reads."""

    name: str
    kind: Literal["endoflife", "cve-feed", "github-releases", "artifacthub", "aws-docs"]
    url: str = Field(pattern=r"^https?://")
    updates: str
    """Which data file(s) the source refreshes."""


class Meta(Frozen):
    """When the catalog was last checked against its sources, and which sources those are."""

    schema_version: int = 1
    last_verified: dt.date
    sources: tuple[UpstreamSource, ...]
    references: Sources
    """Human-readable pages the data was checked against."""
