"""The AKS double's resources in their ARM REST shapes (api-version 2026-08-01).

References: managed cluster https://learn.microsoft.com/rest/api/aks/managed-clusters/get;
upgrade profile https://learn.microsoft.com/rest/api/aks/managed-clusters/get-upgrade-profile;
agent pool https://learn.microsoft.com/rest/api/aks/agent-pools/get and its upgrade profile
https://learn.microsoft.com/rest/api/aks/agent-pools/get-upgrade-profile; user credentials
https://learn.microsoft.com/rest/api/aks/managed-clusters/list-cluster-user-credentials
(``kubeconfigs[].{name, value}``, the value base64 of a kubeconfig that uses kubelogin for
Microsoft Entra clusters).
"""

from __future__ import annotations

import base64
from typing import Any

import yaml

from kubecurrent import sandbox as sb

from ._double_state import LATEST_IMAGE, Cluster, Pool


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def next_versions(c: Cluster) -> list[str]:
    """What the upgrade profile offers: the newest patch of the next minor the double can run
    (a sandbox build exists), unless withheld."""
    major, minor = (int(p) for p in _minor(c.version).split("."))
    nxt = f"{major}.{minor + 1}"
    if nxt in c.withheld:
        return []
    try:
        return [sb.release_of(nxt).removeprefix("v")]
    except Exception:
        return []


def pool_shape(c: Cluster, p: Pool) -> dict[str, Any]:
    return {
        "id": f"{c.id}/agentPools/{p.name}",
        "name": p.name,
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": {
            "count": p.count,
            "vmSize": "Standard_D4ds_v5",
            "osType": "Linux",
            "osSKU": "Ubuntu",
            "mode": p.mode,
            "orchestratorVersion": p.version,
            "currentOrchestratorVersion": p.version,
            "nodeImageVersion": p.node_image,
            "upgradeSettings": {"maxSurge": p.max_surge},
            "provisioningState": p.state,
            "powerState": {"code": "Running"},
            "type": "VirtualMachineScaleSets",
        },
    }


def cluster_shape(c: Cluster) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "location": c.location,
        "sku": {"name": "Base", "tier": c.tier},
        "properties": {
            "provisioningState": c.state,
            "powerState": {"code": "Running"},
            "kubernetesVersion": c.version,
            "currentKubernetesVersion": c.version,
            "dnsPrefix": c.name,
            "fqdn": f"{c.name}.hcp.{c.location}.azmk8s.io",
            "supportPlan": c.support_plan,
            "autoUpgradeProfile": {
                "upgradeChannel": c.upgrade_channel,
                "nodeOSUpgradeChannel": c.node_os_channel,
            },
            "aadProfile": {"managed": True, "enableAzureRBAC": False},
            "agentPoolProfiles": [
                {"name": p.name, **pool_shape(c, p)["properties"]} for p in c.pools.values()
            ],
        },
    }


def upgrade_profile(c: Cluster) -> dict[str, Any]:
    return {
        "id": f"{c.id}/upgradeprofiles/default",
        "name": "default",
        "type": "Microsoft.ContainerService/managedClusters/upgradeprofiles",
        "properties": {
            "controlPlaneProfile": {
                "kubernetesVersion": c.version,
                "osType": "Linux",
                "upgrades": [{"kubernetesVersion": v} for v in next_versions(c)],
            },
            "agentPoolProfiles": [
                {"name": p.name, "kubernetesVersion": p.version, "osType": "Linux"}
                for p in c.pools.values()
            ],
        },
    }


def pool_upgrade_profile(c: Cluster, p: Pool) -> dict[str, Any]:
    offered = [] if _minor(p.version) == _minor(c.version) else [c.version]
    return {
        "id": f"{c.id}/agentPools/{p.name}/upgradeProfiles/default",
        "name": "default",
        "type": "Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles",
        "properties": {
            "kubernetesVersion": p.version,
            "osType": "Linux",
            "upgrades": [{"kubernetesVersion": v} for v in offered],
            "latestNodeImageVersion": LATEST_IMAGE,
        },
    }


def user_credentials(c: Cluster) -> dict[str, Any]:
    state = sb.require(c.sandbox)
    ca = (sb.run_dir(c.sandbox) / "pki" / "ca.crt").read_bytes()
    context = f"{c.name}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": c.name,
                "cluster": {
                    "server": state.server,
                    "certificate-authority-data": base64.b64encode(ca).decode(),
                },
            }
        ],
        "users": [
            {
                "name": f"clusterUser_{c.resource_group}_{c.name}",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": [
                            "get-token",
                            "--server-id",
                            "6dae42f8-4368-4678-94ff-3960e28e3630",
                        ],
                    }
                },
            }
        ],
        "contexts": [
            {
                "name": context,
                "context": {"cluster": c.name, "user": f"clusterUser_{c.resource_group}_{c.name}"},
            }
        ],
        "current-context": context,
    }
    value = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": value}]}
