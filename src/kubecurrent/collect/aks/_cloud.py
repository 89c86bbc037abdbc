"""Azure Kubernetes Service behind the clouds seam (``kubecurrent.collect.clouds.Cloud``)."""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.clouds import (
    AksRef,
    AksSelector,
    CloudFacts,
    CloudRef,
    CloudSelector,
    Discovery,
)

__all__ = ["CLOUD", "AksCloud", "aks_labels"]


def aks_labels(cluster: Any) -> dict[str, str]:
    """The labels AKS gives a cluster: provider, subscription, resource group, location, plan."""
    return {
        "provider": "aks",
        "subscription": cluster.subscription,
        "resource-group": cluster.resource_group,
        "location": cluster.location,
        "support-plan": str(cluster.support_plan),
        "tier": cluster.tier or "unknown",
    }


def _aks(ref: CloudRef) -> AksRef:
    if not isinstance(ref, AksRef):  # pragma: no cover - the registry dispatches on provider
        raise TypeError(f"{ref} is not an AKS cluster")
    return ref


class AksCloud:
    """``Cloud`` for Azure Kubernetes Service (see the package docstring for the calls)."""

    def describe(self, ref: CloudRef) -> CloudFacts:
        from kubecurrent.collect.aks._connect import endpoint_of
        from kubecurrent.collect.aks._read import describe_cluster

        facts = describe_cluster(_aks(ref))
        endpoint, ca = endpoint_of(_aks(ref))
        return CloudFacts(
            managed=facts.cluster,
            endpoint=endpoint,
            ca_data=ca,
            labels=aks_labels(facts.cluster),
            limitations=facts.limitations,
        )

    def endpoint(self, ref: CloudRef) -> tuple[str, str]:
        from kubecurrent.collect.aks._connect import endpoint_of

        return endpoint_of(_aks(ref))

    def token(self, ref: CloudRef) -> Any:
        from kubecurrent.collect.aks._connect import AadToken

        return AadToken(_aks(ref))

    def exec_user(self, ref: CloudRef) -> dict[str, Any]:
        from kubecurrent.collect.aks._connect import exec_user

        return exec_user(_aks(ref))

    def discover(self, selector: CloudSelector) -> Discovery:
        from kubecurrent.collect.aks._discover import discover

        if not isinstance(selector, AksSelector):  # pragma: no cover - dispatched on provider
            raise TypeError("not an AKS selector")
        found = discover(selector.subscriptions)
        failed = tuple(
            (f"subscription {s}", f"{e.message} ({e.hint})" if e.hint else e.message)
            for s, e in found.errors
        )
        return Discovery(found.clusters, failed)


CLOUD = AksCloud()
