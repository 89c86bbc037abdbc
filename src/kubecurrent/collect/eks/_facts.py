"""EKS API responses → the inventory's ``EksCluster`` (pure functions, no AWS calls).

Shapes as botocore's EKS service model gives them (``DescribeCluster``, ``DescribeNodegroup``,
``DescribeFargateProfile``, ``DescribeAddon``, ``DescribeAddonVersions``, ``DescribeInsight``,
``DescribeClusterVersions``; https://docs.aws.amazon.com/eks/latest/APIReference/). Statuses are
kept as EKS writes them; versions are normalised to ``1.35`` minors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubecurrent.model.managed import (
    EksCluster,
    FargateProfile,
    ManagedAddon,
    ManagedNodegroup,
    SupportType,
    UpgradeInsight,
)

__all__ = [
    "account_of",
    "addon_of",
    "addon_version_key",
    "addon_versions",
    "cluster_of",
    "fargate_of",
    "insight_of",
    "minor_of",
    "nodegroup_of",
    "offered_minors",
]

Json = Mapping[str, Any]
_ARN = re.compile(r"^arn:[^:]+:eks:(?P<region>[^:]*):(?P<account>\d+):cluster/(?P<name>.+)$")
_MINOR = re.compile(r"^v?(\d+)\.(\d+)")
_EKSBUILD = re.compile(r"^v?(?P<nums>[\d.]+)(?:-eksbuild\.(?P<build>\d+))?")


def minor_of(version: str) -> str:
    """``1.35`` of ``1.35``, ``v1.35.2`` or ``1.35.2-20261101``."""
    found = _MINOR.match(version.strip())
    if not found:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return f"{int(found[1])}.{int(found[2])}"


def account_of(arn: str) -> str:
    """The AWS account id in an EKS cluster ARN."""
    found = _ARN.match(arn)
    if not found:
        raise ValueError(f"not an EKS cluster ARN: {arn!r}")
    return found["account"]


def addon_version_key(version: str) -> tuple[tuple[int, ...], int]:
    """``v1.11.4-eksbuild.2`` → ((1, 11, 4), 2), ordering EKS add-on versions."""
    found = _EKSBUILD.match(version)
    if not found:
        return ((), 0)
    nums = tuple(int(n) for n in found["nums"].split(".") if n)
    return (nums, int(found["build"] or 0))


def nodegroup_of(data: Json) -> ManagedNodegroup:
    """A ``DescribeNodegroup`` ``nodegroup``."""
    update = data.get("updateConfig") or {}
    template = data.get("launchTemplate") or {}
    ref = template.get("name") or template.get("id")
    if ref and template.get("version"):
        ref = f"{ref}:{template['version']}"
    issues = (data.get("health") or {}).get("issues") or ()
    return ManagedNodegroup(
        name=str(data["nodegroupName"]),
        minor=minor_of(str(data["version"])),
        release_version=data.get("releaseVersion"),
        ami_type=data.get("amiType"),
        capacity_type=data.get("capacityType"),
        launch_template=ref,
        max_unavailable=update.get("maxUnavailable"),
        max_unavailable_percentage=update.get("maxUnavailablePercentage"),
        status=str(data.get("status") or "UNKNOWN"),
        health_issues=tuple(f"{i.get('code')}: {i.get('message')}" for i in issues),
    )


def fargate_of(data: Json) -> FargateProfile:
    """A ``DescribeFargateProfile`` ``fargateProfile``."""
    namespaces = sorted({str(s["namespace"]) for s in data.get("selectors") or () if s})
    return FargateProfile(
        name=str(data["fargateProfileName"]),
        status=str(data.get("status") or "UNKNOWN"),
        namespaces=tuple(namespaces),
    )


def addon_versions(
    name: str, responses: Iterable[tuple[str, Sequence[Json]]]
) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Per Kubernetes minor, the versions of add-on ``name`` (newest first) and the default.

    ``responses`` pairs each minor asked for with the ``addons`` of its ``DescribeAddonVersions``.
    """
    compatible: dict[str, tuple[str, ...]] = {}
    defaults: dict[str, str] = {}
    for minor, addons in responses:
        found: set[str] = set()
        for addon in addons:
            if addon.get("addonName") != name:
                continue
            for version in addon.get("addonVersions") or ():
                for compat in version.get("compatibilities") or ():
                    if minor_of(str(compat.get("clusterVersion", "0.0"))) != minor:
                        continue
                    found.add(str(version["addonVersion"]))
                    if compat.get("defaultVersion"):
                        defaults[minor] = str(version["addonVersion"])
        if found:
            compatible[minor] = tuple(sorted(found, key=addon_version_key, reverse=True))
    return compatible, defaults


def addon_of(
    data: Json, compatible: dict[str, tuple[str, ...]], defaults: dict[str, str]
) -> ManagedAddon:
    """A ``DescribeAddon`` ``addon`` with the versions EKS offers for it."""
    return ManagedAddon(
        name=str(data["addonName"]),
        version=str(data["addonVersion"]),
        status=str(data.get("status") or "UNKNOWN"),
        compatible=compatible,
        defaults=defaults,
    )


def _api_of(usage: str) -> str:
    """``/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas`` → ``flowcontrol...
    /v1beta3/flowschemas`` (EKS names the resource, not the kind)."""
    parts = [p for p in usage.split("/") if p]
    if parts and parts[0] in ("api", "apis"):
        parts = parts[1:]
    return "/".join(parts) or usage


def insight_of(data: Json) -> UpgradeInsight:
    """A ``DescribeInsight`` ``insight`` (or a ``ListInsights`` summary)."""
    status = data.get("insightStatus") or {}
    details = (data.get("categorySpecificSummary") or {}).get("deprecationDetails") or ()
    return UpgradeInsight(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        status=str(status.get("status") or "UNKNOWN"),
        kubernetes_version=data.get("kubernetesVersion"),
        description=str(data.get("description") or status.get("reason") or ""),
        recommendation=str(data.get("recommendation") or ""),
        deprecated_apis=tuple(_api_of(str(d["usage"])) for d in details if d.get("usage")),
    )


def offered_minors(versions: Iterable[Json]) -> tuple[str, ...]:
    """Minors of ``DescribeClusterVersions`` that can still be run (not ``UNSUPPORTED``)."""
    minors = {
        minor_of(str(v["clusterVersion"]))
        for v in versions
        if str(v.get("versionStatus") or v.get("status") or "").upper() not in ("UNSUPPORTED", "")
    }
    return tuple(sorted(minors, key=lambda m: tuple(int(p) for p in m.split("."))))


def cluster_of(
    data: Json,
    region: str,
    *,
    offered: tuple[str, ...] = (),
    nodegroups: Sequence[ManagedNodegroup] = (),
    fargate: Sequence[FargateProfile] = (),
    addons: Sequence[ManagedAddon] = (),
    insights: Sequence[UpgradeInsight] = (),
) -> EksCluster:
    """A ``DescribeCluster`` ``cluster`` and the facts read beside it.

    A cluster without an ``upgradePolicy`` has EKS's default, extended support
    (https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html).
    """
    policy = str((data.get("upgradePolicy") or {}).get("supportType") or "EXTENDED")
    arn = str(data["arn"])
    return EksCluster(
        name=str(data["name"]),
        region=region,
        account=account_of(arn),
        arn=arn,
        minor=minor_of(str(data["version"])),
        platform_version=str(data.get("platformVersion") or "unknown"),
        status=str(data.get("status") or "UNKNOWN"),
        support_type=SupportType(policy.lower()),
        offered_minors=offered,
        nodegroups=tuple(nodegroups),
        fargate_profiles=tuple(fargate),
        addons=tuple(addons),
        insights=tuple(insights),
    )
