"""Reading what EKS knows about one cluster, and listing an account's clusters per region.

Per cluster: ``DescribeCluster`` (version, platform version, upgrade policy, endpoint, CA),
``ListNodegroups`` + ``DescribeNodegroup``, ``ListFargateProfiles`` + ``DescribeFargateProfile``,
``ListAddons`` + ``DescribeAddon``, ``DescribeAddonVersions`` for each Kubernetes minor from the
cluster's to the newest EKS offers, ``ListInsights`` + ``DescribeInsight`` (upgrade readiness),
and per region ``DescribeClusterVersions`` (the minors EKS offers). The cluster itself, its node
groups and add-ons must be read; the other facts, when refused, become limitations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from kubecurrent.collect.eks._aws import EksError, EksRef, aws_call, eks_client, paginate
from kubecurrent.collect.eks._facts import (
    addon_of,
    addon_versions,
    cluster_of,
    fargate_of,
    insight_of,
    minor_of,
    nodegroup_of,
    offered_minors,
)
from kubecurrent.model.managed import EksCluster, FargateProfile, UpgradeInsight

__all__ = ["EksFacts", "describe_cluster", "endpoint_of", "list_clusters"]

T = TypeVar("T")
LOOKAHEAD = 3
"""Minors above the cluster's to ask add-on versions for when EKS's offer is not known."""


@dataclass(frozen=True)
class EksFacts:
    """One cluster as EKS describes it, where to reach its API server, and what could not be read."""

    cluster: EksCluster
    endpoint: str
    ca_data: str
    """``certificateAuthority.data``: the cluster CA, base64-encoded PEM."""
    limitations: tuple[tuple[str, str], ...] = ()
    """``(check, reason)`` for each optional fact EKS refused."""


def list_clusters(region: str, profile: str | None) -> list[str]:
    """The names of the account's EKS clusters in ``region``."""
    eks = eks_client(region, profile)
    return aws_call(
        "list EKS clusters",
        region,
        lambda: sorted(paginate(eks, "list_clusters", "clusters")),
    )


def endpoint_of(ref: EksRef) -> tuple[str, str]:
    """The API server URL and base64 CA of ``ref`` (``DescribeCluster`` only)."""
    eks = eks_client(ref.region, ref.profile)
    data = aws_call(f"describe {ref}", "", lambda: eks.describe_cluster(name=ref.name)["cluster"])
    return _endpoint(ref, data)


def _endpoint(ref: EksRef, data: dict[str, Any]) -> tuple[str, str]:
    endpoint = str(data.get("endpoint") or "")
    ca = str((data.get("certificateAuthority") or {}).get("data") or "")
    if not endpoint or not ca:
        raise EksError(
            f"{ref} has no API server endpoint yet (status {data.get('status')})",
            hint="wait until the cluster is ACTIVE, then try again",
        )
    return endpoint, ca


def describe_cluster(ref: EksRef) -> EksFacts:
    """Everything EKS knows about ``ref`` (see the module docstring for the calls)."""
    eks = eks_client(ref.region, ref.profile)

    def call(what: str, fn: Callable[[], T]) -> T:
        return aws_call(f"{what} of {ref}", "", fn)

    data = call("describe", lambda: eks.describe_cluster(name=ref.name)["cluster"])
    endpoint, ca = _endpoint(ref, data)
    limits: list[tuple[str, str]] = []

    def optional(check: str, fn: Callable[[], T], empty: T) -> T:
        try:
            return fn()
        except EksError as exc:
            limits.append((check, f"{check}: {exc.message}"))
            return empty

    no_minors: tuple[str, ...] = ()
    offered = optional("EKS versions offered", lambda: _offered(ref.region, ref.profile), no_minors)
    minor = minor_of(str(data["version"]))
    groups = call("node groups", lambda: _nodegroups(eks, ref.name))
    no_fargate: list[FargateProfile] = []
    fargate = optional(
        "Fargate profiles",
        lambda: call("Fargate profiles", lambda: _fargate(eks, ref.name)),
        no_fargate,
    )
    window = _window(minor, offered)
    addons = call("add-ons", lambda: _addons(eks, ref.name, window))
    no_insights: list[UpgradeInsight] = []
    insights = optional(
        "EKS upgrade insights",
        lambda: call("insights", lambda: _insights(eks, ref.name)),
        no_insights,
    )
    cluster = cluster_of(
        data,
        ref.region,
        offered=offered,
        nodegroups=groups,
        fargate=fargate,
        addons=addons,
        insights=insights,
    )
    return EksFacts(cluster, endpoint, ca, tuple(limits))


def _offered(region: str, profile: str | None) -> tuple[str, ...]:
    eks = eks_client(region, profile)
    if not eks.can_paginate("describe_cluster_versions"):  # an older botocore
        return ()
    versions = aws_call(
        "list the Kubernetes versions EKS offers",
        region,
        lambda: list(paginate(eks, "describe_cluster_versions", "clusterVersions")),
    )
    return offered_minors(versions)


def _window(minor: str, offered: Sequence[str]) -> tuple[str, ...]:
    """The cluster's minor and every one above it that EKS offers (or the next few)."""
    major, low = (int(p) for p in minor.split("."))
    above = [m for m in offered if int(m.split(".")[0]) == major and int(m.split(".")[1]) > low]
    if not offered:
        above = [f"{major}.{low + i}" for i in range(1, LOOKAHEAD + 1)]
    return (minor, *above)


def _nodegroups(eks: Any, cluster: str) -> list[Any]:
    names = list(paginate(eks, "list_nodegroups", "nodegroups", clusterName=cluster))
    return [
        nodegroup_of(eks.describe_nodegroup(clusterName=cluster, nodegroupName=n)["nodegroup"])
        for n in names
    ]


def _fargate(eks: Any, cluster: str) -> list[FargateProfile]:
    names = list(paginate(eks, "list_fargate_profiles", "fargateProfileNames", clusterName=cluster))
    return [
        fargate_of(
            eks.describe_fargate_profile(clusterName=cluster, fargateProfileName=n)[
                "fargateProfile"
            ]
        )
        for n in names
    ]


def _addons(eks: Any, cluster: str, minors: Sequence[str]) -> list[Any]:
    out = []
    for name in paginate(eks, "list_addons", "addons", clusterName=cluster):
        data = eks.describe_addon(clusterName=cluster, addonName=name)["addon"]
        responses = [
            (
                m,
                list(
                    paginate(
                        eks,
                        "describe_addon_versions",
                        "addons",
                        addonName=name,
                        kubernetesVersion=m,
                    )
                ),
            )
            for m in minors
        ]
        out.append(addon_of(data, *addon_versions(name, responses)))
    return out


def _insights(eks: Any, cluster: str) -> list[UpgradeInsight]:
    summaries = paginate(
        eks,
        "list_insights",
        "insights",
        clusterName=cluster,
        filter={"categories": ["UPGRADE_READINESS"]},
    )
    return [
        insight_of(eks.describe_insight(clusterName=cluster, id=s["id"])["insight"])
        for s in summaries
    ]
