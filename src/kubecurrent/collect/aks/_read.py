"""Reading what AKS knows about one cluster, and listing a subscription's clusters.

Per cluster (ContainerServiceClient, AKS REST reference https://learn.microsoft.com/rest/api/aks/):
``managed_clusters.get``, ``managed_clusters.get_upgrade_profile``, ``agent_pools.list`` +
``agent_pools.get_upgrade_profile`` per pool, ``maintenance_configurations.
list_by_managed_cluster``. The cluster and its agent pools must be read; the upgrade profiles and
the maintenance configurations, when refused, become limitations (the planner then falls back on
the catalog's AKS calendar).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kubecurrent.collect.aks._azure import AksError, AksRef, aks_client, azure_call
from kubecurrent.collect.aks._facts import cluster_of, parse_id
from kubecurrent.model.aks import AksCluster

__all__ = ["AksFacts", "describe_cluster", "list_clusters"]

T = TypeVar("T")


@dataclass(frozen=True)
class AksFacts:
    """One cluster as AKS describes it, and what could not be read."""

    cluster: AksCluster
    limitations: tuple[tuple[str, str], ...] = ()
    """``(check, reason)`` for each optional fact Azure refused."""


def list_clusters(subscription: str) -> list[AksRef]:
    """Every managed cluster of ``subscription`` (all resource groups), by name."""
    client = aks_client(subscription)
    clusters = azure_call(
        f"list AKS clusters of subscription {subscription}",
        lambda: [c.as_dict() for c in client.managed_clusters.list()],
    )
    refs = [AksRef(*parse_id(str(c["id"]))) for c in clusters]
    return sorted(refs, key=lambda r: (r.name, r.resource_group))


def _optional(
    check: str, what: str, call: Callable[[], T], limits: list[tuple[str, str]]
) -> T | None:
    try:
        return azure_call(what, call)
    except AksError as exc:
        if exc.code == "CredentialUnavailable":
            raise
        limits.append((check, f"{exc.message} ({exc.hint})" if exc.hint else exc.message))
        return None


def _pool_profile(client: Any, rg: str, name: str, pool: str) -> Callable[[], dict[str, Any]]:
    return lambda: dict(client.agent_pools.get_upgrade_profile(rg, name, pool).as_dict())


def describe_cluster(ref: AksRef) -> AksFacts:
    """Everything AKS knows about ``ref`` (see the module docstring for the calls)."""
    client = aks_client(ref.subscription)
    rg, name = ref.resource_group, ref.name
    data = azure_call(f"read {ref}", lambda: client.managed_clusters.get(rg, name).as_dict())
    limits: list[tuple[str, str]] = []
    profile = _optional(
        "aks-upgrade-profile",
        f"read the upgrade profile of {ref}",
        lambda: client.managed_clusters.get_upgrade_profile(rg, name).as_dict(),
        limits,
    )
    pools = azure_call(
        f"list the agent pools of {ref}",
        lambda: [p.as_dict() for p in client.agent_pools.list(rg, name)],
    )
    with_profiles: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for pool in pools:
        pool_name = str(pool["name"])
        pool_profile = _optional(
            "aks-pool-upgrade-profile",
            f"read the upgrade profile of agent pool {pool_name} of {ref}",
            _pool_profile(client, rg, name, pool_name),
            limits,
        )
        with_profiles.append((pool, pool_profile))
    maintenance = _optional(
        "aks-maintenance",
        f"list the planned maintenance configurations of {ref}",
        lambda: [
            m.as_dict() for m in client.maintenance_configurations.list_by_managed_cluster(rg, name)
        ],
        limits,
    )
    cluster = cluster_of(
        data, upgrade_profile=profile, pools=with_profiles, maintenance=maintenance or ()
    )
    return AksFacts(cluster, tuple(limits))
