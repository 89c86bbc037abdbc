"""Add-on entries: one file per add-on in ``data/addons/<name>.yaml``.

Release ``version`` fields are add-on versions (``DottedVersion``), while ``kubernetes_min`` and
``kubernetes_max`` are Kubernetes minors.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.catalog._common import Frozen, Name, Sourced, Sources
from kubecurrent.catalog._dotted import DottedVersion
from kubecurrent.catalog._fields import DottedField
from kubecurrent.model.fields import MinorField

Category = Literal[
    "monitoring",
    "ingress",
    "gateway",
    "certificates",
    "dns",
    "cni",
    "service-mesh",
    "autoscaling",
    "gitops",
    "policy",
    "backup",
    "load-balancing",
    "metrics",
    "wasm",
    "other",
]
Status = Literal["active", "deprecated", "retired", "archived"]


class Detect(Frozen):
    """How collectors recognise the add-on in a cluster or a manifest tree."""

    helm_charts: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    crd_groups: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _labels_are_selectors(self) -> Detect:
        for label in self.labels:
            if "=" not in label:
                raise ValueError(f"label {label!r} must be a key=value selector")
        for image in self.images:
            if "@" in image or image.rsplit("/", 1)[-1].count(":"):
                raise ValueError(f"image {image!r} must be a repository without tag or digest")
        return self


class AddonRelease(Sourced):
    """One add-on release line and the Kubernetes minors it supports."""

    version: DottedField
    released: dt.date
    end_of_life: dt.date | None = None
    latest_patch: DottedField | None = None
    kubernetes_min: MinorField
    kubernetes_max: MinorField

    @model_validator(mode="after")
    def _consistent(self) -> AddonRelease:
        if self.kubernetes_max < self.kubernetes_min:
            raise ValueError(
                f"kubernetes_max {self.kubernetes_max} is below kubernetes_min {self.kubernetes_min}"
            )
        if self.end_of_life is not None and self.end_of_life < self.released:
            raise ValueError(f"end_of_life {self.end_of_life} is before released {self.released}")
        if self.latest_patch is not None and self.latest_patch < self.version:
            raise ValueError(f"latest_patch {self.latest_patch} is older than {self.version}")
        return self


class AddonApi(Sourced):
    """An API of the add-on's own CRDs that the add-on deprecated or removed."""

    group: str
    version: str = Field(pattern=r"^v\d+((alpha|beta)\d+)?$")
    kinds: tuple[str, ...] = Field(min_length=1)
    deprecated_in: DottedField
    removed_in: DottedField | None = None
    """The add-on release whose CRDs no longer define the version."""
    not_served_from: DottedField | None = None
    """The first release that stops serving it, when that comes before ``removed_in`` (the CRD
    still lists it, ``served: false``, so stored objects survive until ``removed_in``)."""
    replacement: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AddonApi:
        if self.removed_in is not None and self.removed_in < self.deprecated_in:
            raise ValueError(
                f"removed_in {self.removed_in} is before deprecated_in {self.deprecated_in}"
            )
        unserved = self.not_served_from
        if unserved is not None and (self.removed_in is None or self.removed_in < unserved):
            raise ValueError("not_served_from needs a removed_in at or after it")
        return self

    @property
    def unserved_from(self) -> DottedVersion | None:
        """The first release that refuses objects in this version."""
        return self.not_served_from or self.removed_in


class Addon(Frozen):
    """Everything the catalog knows about one add-on."""

    name: Name
    display_name: str
    category: Category
    status: Status
    status_since: dt.date | None = None
    replacement: str | None = None
    replacement_addons: tuple[Name, ...] = ()
    must_match_kubernetes_minor: bool = False
    homepage: str = Field(pattern=r"^https?://")
    source: Sources
    detect: Detect
    bundled_with_kubernetes: dict[MinorField, str] = Field(default_factory=dict)
    releases: tuple[AddonRelease, ...] = Field(min_length=1)
    apis: tuple[AddonApi, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Addon:
        if self.status != "active" and (self.status_since is None or not self.replacement):
            raise ValueError(f"status {self.status} needs status_since: and replacement:")
        versions = [r.version for r in self.releases]
        for prev, cur in itertools.pairwise(versions):
            if not prev < cur:
                problem = "duplicated" if prev == cur else "out of order"
                raise ValueError(
                    f"releases must be sorted oldest first and unique: {cur} after {prev} "
                    f"is {problem}"
                )
        return self

    def latest_release(self) -> AddonRelease:
        return self.releases[-1]
