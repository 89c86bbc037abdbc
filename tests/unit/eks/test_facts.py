"""EKS responses (botocore shapes) mapped to the inventory's EksCluster."""

from __future__ import annotations

import pytest

from kubecurrent.collect.eks._facts import (
    account_of,
    addon_of,
    addon_versions,
    cluster_of,
    fargate_of,
    insight_of,
    minor_of,
    nodegroup_of,
    offered_minors,
)
from kubecurrent.model.managed import SupportType

CLUSTER = {
    "name": "prod",
    "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
    "version": "1.35",
    "platformVersion": "eks.10",
    "status": "ACTIVE",
    "upgradePolicy": {"supportType": "STANDARD"},
}


def test_cluster_facts_with_account_from_the_arn() -> None:
    eks = cluster_of(CLUSTER, "eu-west-1", offered=("1.35", "1.36"))
    assert (eks.account, eks.minor, eks.platform_version) == ("111122223333", "1.35", "eks.10")
    assert eks.support_type is SupportType.STANDARD
    assert eks.offered_minors == ("1.35", "1.36")


def test_a_cluster_without_upgrade_policy_has_the_default_extended_support() -> None:
    data = {k: v for k, v in CLUSTER.items() if k != "upgradePolicy"}
    assert cluster_of(data, "eu-west-1").support_type is SupportType.EXTENDED


def test_nodegroup_with_update_config_launch_template_and_health() -> None:
    group = nodegroup_of(
        {
            "nodegroupName": "general",
            "version": "1.35",
            "releaseVersion": "1.35.2-20261101",
            "amiType": "AL2023_x86_64_STANDARD",
            "capacityType": "ON_DEMAND",
            "status": "DEGRADED",
            "updateConfig": {"maxUnavailable": 2},
            "launchTemplate": {"name": "lt", "version": "3", "id": "lt-1"},
            "health": {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]},
        }
    )
    assert group.minor == "1.35"
    assert group.max_unavailable == 2
    assert group.launch_template == "lt:3"
    assert group.health_issues == ("AsgInstanceLaunchFailures: no capacity",)


def test_addon_versions_per_minor_newest_first_with_defaults() -> None:
    def version(v: str, *compat: tuple[str, bool]) -> dict[str, object]:
        return {
            "addonVersion": v,
            "compatibilities": [{"clusterVersion": c, "defaultVersion": d} for c, d in compat],
        }

    addons = [
        {
            "addonName": "coredns",
            "addonVersions": [
                version("v1.11.4-eksbuild.2", ("1.35", True), ("1.36", False)),
                version("v1.11.4-eksbuild.10", ("1.36", True)),
                version("v1.9.3-eksbuild.1", ("1.35", False)),
            ],
        },
        {"addonName": "other", "addonVersions": [version("v9.0.0", ("1.36", True))]},
    ]
    compatible, defaults = addon_versions("coredns", [("1.35", addons), ("1.36", addons)])
    assert compatible == {
        "1.35": ("v1.11.4-eksbuild.2", "v1.9.3-eksbuild.1"),
        "1.36": ("v1.11.4-eksbuild.10", "v1.11.4-eksbuild.2"),
    }
    assert defaults == {"1.35": "v1.11.4-eksbuild.2", "1.36": "v1.11.4-eksbuild.10"}
    addon = addon_of(
        {"addonName": "coredns", "addonVersion": "v1.11.4-eksbuild.2", "status": "ACTIVE"},
        compatible,
        defaults,
    )
    assert addon.compatible["1.36"][0] == "v1.11.4-eksbuild.10"


def test_fargate_insight_and_offered_versions() -> None:
    profile = fargate_of(
        {
            "fargateProfileName": "batch",
            "status": "ACTIVE",
            "selectors": [{"namespace": "jobs"}, {"namespace": "batch"}],
        }
    )
    assert profile.namespaces == ("batch", "jobs")
    insight = insight_of(
        {
            "id": "i-1",
            "name": "Deprecated APIs removed in Kubernetes v1.36",
            "kubernetesVersion": "1.36",
            "insightStatus": {"status": "WARNING", "reason": "in use"},
            "categorySpecificSummary": {
                "deprecationDetails": [
                    {"usage": "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas"}
                ]
            },
        }
    )
    assert insight.status == "WARNING"
    assert insight.deprecated_apis == ("flowcontrol.apiserver.k8s.io/v1beta3/flowschemas",)
    offered = offered_minors(
        [
            {"clusterVersion": "1.37", "versionStatus": "STANDARD_SUPPORT"},
            {"clusterVersion": "1.9", "versionStatus": "UNSUPPORTED"},
            {"clusterVersion": "1.10", "versionStatus": "EXTENDED_SUPPORT"},
        ]
    )
    assert offered == ("1.10", "1.37")


@pytest.mark.parametrize("bad", ["", "latest", "x1.2"])
def test_bad_versions_and_arns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        minor_of(bad)
    with pytest.raises(ValueError, match="not an EKS cluster ARN"):
        account_of(f"arn:aws:iam::1:{bad}")
