"""Finding a set of subscriptions' AKS clusters: one subscription's failure never stops the others."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kubecurrent.collect.aks._azure import AksError, AksRef
from kubecurrent.collect.aks._read import list_clusters

__all__ = ["AksDiscovery", "discover"]


@dataclass(frozen=True)
class AksDiscovery:
    """The clusters found, and each subscription that could not be listed with why."""

    clusters: tuple[AksRef, ...]
    errors: tuple[tuple[str, AksError], ...] = ()


def discover(subscriptions: Sequence[str], concurrency: int = 4) -> AksDiscovery:
    """List every subscription's managed clusters, ``concurrency`` subscriptions at a time."""

    def one(subscription: str) -> tuple[str, list[AksRef] | AksError]:
        try:
            return subscription, list_clusters(subscription)
        except AksError as exc:
            return subscription, exc

    found: list[AksRef] = []
    errors: list[tuple[str, AksError]] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        for subscription, result in pool.map(one, dict.fromkeys(subscriptions)):
            if isinstance(result, AksError):
                errors.append((subscription, result))
            else:
                found.extend(result)
    return AksDiscovery(tuple(found), tuple(errors))
