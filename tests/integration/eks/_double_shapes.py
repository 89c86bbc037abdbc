"""The EKS double's records rendered as the output shapes of botocore's EKS service model.

Only the members listed here are filled; every other member of a shape is left out, as EKS
leaves out what does not apply.
"""

from __future__ import annotations

import base64
from typing import Any

from kubecurrent import sandbox as sb

from ._double_data import AddonType, ClusterVersion
from ._double_state import Addon, Cluster, DeprecatedApiUsage, Nodegroup, Update, UpdateError


def _issues(errors: list[UpdateError]) -> list[dict[str, Any]]:
    return [
        {"code": e.code, "message": e.message, "resourceIds": list(e.resource_ids)} for e in errors
    ]


def cluster(c: Cluster) -> dict[str, Any]:
    state = sb.require(c.sandbox)
    ca = (sb.run_dir(c.sandbox) / "pki" / "ca.crt").read_bytes()
    return {
        "name": c.name,
        "arn": c.arn,
        "createdAt": c.created,
        "version": c.version,
        "endpoint": state.server,
        "roleArn": f"arn:aws:iam::{c.account_id}:role/eks-cluster-role",
        "status": c.status,
        "certificateAuthority": {"data": base64.b64encode(ca).decode()},
        "platformVersion": c.platform_version,
        "tags": c.tags,
        "health": {"issues": []},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP"},
        "upgradePolicy": {"supportType": c.support_type},
    }


def nodegroup(c: Cluster, ng: Nodegroup) -> dict[str, Any]:
    update_config: dict[str, Any] = (
        {"maxUnavailablePercentage": ng.max_unavailable_percentage}
        if ng.max_unavailable_percentage is not None
        else {"maxUnavailable": ng.max_unavailable}
    )
    out: dict[str, Any] = {
        "nodegroupName": ng.name,
        "nodegroupArn": f"arn:aws:eks:{c.region}:{c.account_id}:nodegroup/{c.name}/{ng.name}/"
        f"{abs(hash((c.name, ng.name))) % 10**8:08d}",
        "clusterName": c.name,
        "version": ng.version,
        "releaseVersion": ng.release_version,
        "createdAt": ng.created,
        "modifiedAt": ng.modified,
        "status": ng.status,
        "capacityType": ng.capacity_type,
        "scalingConfig": {
            "minSize": ng.desired,
            "maxSize": ng.desired + 2,
            "desiredSize": ng.desired,
        },
        "instanceTypes": ["m5.large"],
        "amiType": ng.ami_type,
        "nodeRole": f"arn:aws:iam::{c.account_id}:role/eks-node-role",
        "labels": {},
        "health": {"issues": _issues(ng.health_issues)},
        "updateConfig": update_config,
        "tags": {},
    }
    if ng.launch_template is not None:
        out["launchTemplate"] = ng.launch_template
    return out


def fargate_profile(c: Cluster, name: str) -> dict[str, Any]:
    return {
        "fargateProfileName": name,
        "fargateProfileArn": f"arn:aws:eks:{c.region}:{c.account_id}:fargateprofile/{c.name}/{name}/0",
        "clusterName": c.name,
        "createdAt": c.fargate_profiles[name],
        "podExecutionRoleArn": f"arn:aws:iam::{c.account_id}:role/eks-fargate-pods",
        "selectors": [{"namespace": name}],
        "status": "ACTIVE",
        "tags": {},
    }


def addon(c: Cluster, a: Addon) -> dict[str, Any]:
    return {
        "addonName": a.name,
        "clusterName": c.name,
        "status": a.status,
        "addonVersion": a.version,
        "health": {"issues": _issues(a.health_issues)},
        "addonArn": f"arn:aws:eks:{c.region}:{c.account_id}:addon/{c.name}/{a.name}/0",
        "createdAt": a.created,
        "modifiedAt": a.modified,
        "tags": {},
        "publisher": "eks",
        "owner": "aws",
    }


def addon_versions(t: AddonType, minor: str | None) -> dict[str, Any]:
    versions = []
    for v in t.versions:
        if minor is not None and minor not in v.minors:
            continue
        versions.append(
            {
                "addonVersion": v.version,
                "architecture": ["amd64", "arm64"],
                "computeTypes": ["ec2"],
                "compatibilities": [
                    {
                        "clusterVersion": m,
                        "platformVersions": ["*"],
                        "defaultVersion": m in v.default_for,
                    }
                    for m in v.minors
                    if minor is None or m == minor
                ],
                "requiresConfiguration": False,
                "requiresIamPermissions": False,
            }
        )
    return {
        "addonName": t.name,
        "type": "networking" if t.name in ("vpc-cni", "kube-proxy", "coredns") else "storage",
        "addonVersions": versions,
        "publisher": "eks",
        "owner": "aws",
        "defaultNamespace": "kube-system",
    }


def cluster_version(v: ClusterVersion, status: str) -> dict[str, Any]:
    return {
        "clusterVersion": v.version,
        "clusterType": "eks",
        "defaultPlatformVersion": "eks.1",
        "defaultVersion": v.default,
        "releaseDate": v.release,
        "endOfStandardSupportDate": v.end_standard,
        "endOfExtendedSupportDate": v.end_extended,
        "status": status,
        "versionStatus": status.upper().replace("-", "_"),
        "kubernetesPatchVersion": sb.release_of(v.version).removeprefix("v"),
    }


def update(u: Update) -> dict[str, Any]:
    return {
        "id": u.id,
        "status": u.status,
        "type": u.type,
        "params": [{"type": k, "value": v} for k, v in u.params],
        "createdAt": u.created,
        "errors": [
            {"errorCode": e.code, "errorMessage": e.message, "resourceIds": list(e.resource_ids)}
            for e in u.errors
        ],
    }


def insight_id(c: Cluster, minor: str) -> str:
    return f"{c.name}-deprecated-apis-{minor}"


def insight(c: Cluster, minor: str, usages: list[DeprecatedApiUsage], full: bool) -> dict[str, Any]:
    status = "ERROR" if usages else "PASSING"
    out: dict[str, Any] = {
        "id": insight_id(c, minor),
        "name": f"Deprecated APIs removed in Kubernetes v{minor}",
        "category": "UPGRADE_READINESS",
        "kubernetesVersion": minor,
        "lastRefreshTime": c.created,
        "lastTransitionTime": c.created,
        "description": f"Checks for usage of deprecated APIs that are scheduled for removal in "
        f"Kubernetes v{minor}. Upgrading your cluster before migrating to the updated APIs "
        f"supported by v{minor} could cause application impact.",
        "insightStatus": {
            "status": status,
            "reason": f"Deprecated API usage detected within last 30 days: {len(usages)}"
            if usages
            else "No deprecated API usage detected within the last 30 days.",
        },
    }
    if full:
        out["recommendation"] = (
            "Update manifests and API clients to use newer Kubernetes APIs if applicable "
            f"before upgrading to Kubernetes v{minor}."
        )
        out["additionalInfo"] = {
            "EKS update cluster documentation": "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"
        }
        out["resources"] = []
        out["categorySpecificSummary"] = {
            "deprecationDetails": [
                {
                    "usage": u.usage,
                    "replacedWith": u.replaced_with,
                    "stopServingVersion": u.stop_serving_version,
                    "clientStats": [
                        {
                            "userAgent": u.user_agent,
                            "numberOfRequestsLast30Days": u.requests_last_30_days,
                            "lastRequestTime": c.created,
                        }
                    ],
                }
                for u in usages
            ]
        }
    return out
