"""What a managed Kubernetes service knows about a cluster, beside what the cluster itself shows.

``ClusterInventory.managed`` holds one of these when the cluster was discovered through its
cloud's API. Today that is Amazon EKS: the control-plane and platform versions, the upgrade
policy (standard or extended support), the versions EKS offers, managed node groups, Fargate
profiles, EKS add-ons with the versions EKS offers per Kubernetes minor, and EKS's own
upgrade-readiness insights. Values keep EKS's spelling (statuses such as ``ACTIVE`` or
``DEGRADED`` as the API gives them); versions are strings as EKS writes them. JSON uses
camelCase keys, like the rest of the inventory.

Node pools stay in ``ClusterInventory.node_pools``, named by the node label
``eks.amazonaws.com/nodegroup``; a pool whose name is one of ``EksCluster.nodegroups`` is
rolled by EKS, any other pool (self-managed, Karpenter) is not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.model._snapshot import _Snapshot

__all__ = [
    "EksCluster",
    "FargateProfile",
    "ManagedAddon",
    "ManagedNodegroup",
    "SupportType",
    "UpgradeInsight",
]

_MINOR = r"^\d+\.\d+$"


class SupportType(StrEnum):
    """The cluster's upgrade policy: what happens when its minor leaves standard support."""

    STANDARD = "standard"
    """Upgraded automatically by EKS at the end of standard support."""
    EXTENDED = "extended"
    """Kept on its minor into extended support, at the extended-support price."""


class ManagedNodegroup(_Snapshot):
    """An EKS managed node group: EKS replaces its nodes when its version changes."""

    name: str = Field(min_length=1)
    minor: str = Field(pattern=_MINOR)
    """The node group's Kubernetes minor (``1.35``)."""
    release_version: str | None = None
    """The AMI release version (``1.35.2-20261101``); None for custom AMIs."""
    ami_type: str | None = None
    capacity_type: str | None = None
    """``ON_DEMAND``, ``SPOT`` or ``CAPACITY_BLOCK``."""
    launch_template: str | None = None
    """``name:version`` or the launch template id, when the group uses one."""
    max_unavailable: int | None = None
    """``updateConfig.maxUnavailable``: nodes replaced at once during an update."""
    max_unavailable_percentage: int | None = None
    status: str = Field(min_length=1)
    """As EKS gives it: ``ACTIVE``, ``UPDATING``, ``DEGRADED``, ``CREATE_FAILED``..."""
    health_issues: tuple[str, ...] = ()
    """``code: message`` of each ``health.issues`` entry."""


class ManagedAddon(_Snapshot):
    """An EKS add-on (vpc-cni, coredns, kube-proxy, ...) and the versions EKS offers for it."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    """Installed version as EKS writes it (``v1.11.4-eksbuild.2``)."""
    status: str = Field(min_length=1)
    compatible: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Kubernetes minor → the versions EKS offers for it, newest first."""
    defaults: dict[str, str] = Field(default_factory=dict)
    """Kubernetes minor → EKS's default version of the add-on for it."""


class FargateProfile(_Snapshot):
    """An EKS Fargate profile: pods it selects run on Fargate at the control plane's minor."""

    name: str = Field(min_length=1)
    status: str = Field(min_length=1)
    namespaces: tuple[str, ...] = ()
    """Namespaces its selectors name."""


class UpgradeInsight(_Snapshot):
    """One of EKS's own upgrade-readiness insights, shown as evidence beside our findings."""

    id: str = Field(min_length=1)
    name: str
    status: str
    """``PASSING``, ``WARNING``, ``ERROR`` or ``UNKNOWN``, as EKS gives it."""
    kubernetes_version: str | None = None
    """The minor the insight is about (the next one EKS would move to)."""
    description: str = ""
    recommendation: str = ""
    deprecated_apis: tuple[str, ...] = ()
    """``apiVersion/kind`` strings of the deprecated APIs EKS saw in use."""


class EksCluster(_Snapshot):
    """One Amazon EKS cluster as the EKS API describes it."""

    provider: Literal["eks"] = "eks"
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    account: str = Field(min_length=1)
    """The AWS account id, read from the cluster ARN."""
    arn: str = Field(min_length=1)
    minor: str = Field(pattern=_MINOR)
    """The control plane's Kubernetes minor (``1.35``)."""
    platform_version: str = Field(min_length=1)
    """``eks.10``: EKS's revision of the control plane within the minor."""
    status: str = Field(min_length=1)
    """As EKS gives it: ``ACTIVE``, ``UPDATING``, ``FAILED``..."""
    support_type: SupportType
    offered_minors: tuple[str, ...] = ()
    """Minors EKS offers now (DescribeClusterVersions), oldest first; empty when not known."""
    nodegroups: tuple[ManagedNodegroup, ...] = ()
    fargate_profiles: tuple[FargateProfile, ...] = ()
    addons: tuple[ManagedAddon, ...] = ()
    insights: tuple[UpgradeInsight, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> EksCluster:
        for what, names in (
            ("node group", [g.name for g in self.nodegroups]),
            ("EKS add-on", [a.name for a in self.addons]),
            ("Fargate profile", [f.name for f in self.fargate_profiles]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} listed more than once: {', '.join(dupes)}")
        return self

    def nodegroup(self, name: str) -> ManagedNodegroup | None:
        """The managed node group called ``name``, or None (a self-managed or Karpenter pool)."""
        return next((g for g in self.nodegroups if g.name == name), None)

    def addon(self, name: str) -> ManagedAddon | None:
        """The EKS add-on called ``name``, or None when EKS does not manage it."""
        return next((a for a in self.addons if a.name == name), None)
