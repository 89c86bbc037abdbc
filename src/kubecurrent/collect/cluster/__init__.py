"""Live cluster collection: one cluster or a fleet into inventories, read-only and paginated.

``collect_fleet`` runs clusters concurrently (asyncio) and isolates their failures;
``FleetWorkers`` does the same in worker processes (every core); ``collect_cluster`` reads one. Everything else is private.
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports

if TYPE_CHECKING:
    from kubecurrent.collect.cluster._addons import chart_addon_version, parse_version
    from kubecurrent.collect.cluster._api import Connection, kubeconfig_contexts
    from kubecurrent.collect.cluster._collect import (
        collect_cluster,
        connection,
        safe_name,
    )
    from kubecurrent.collect.cluster._fleet import (
        ClusterResult,
        cloud_targets,
        collect_fleet,
        eks_targets,
        inventory_json,
        load_fleet_file,
    )
    from kubecurrent.collect.cluster._pools import CONTROL_PLANE_LABEL, pool_of
    from kubecurrent.collect.cluster._target import (
        ClusterTarget,
        CollectOptions,
        default_kubeconfig,
    )
    from kubecurrent.collect.cluster._workers import FleetWorkers, fleet_workers

__all__ = [
    "CONTROL_PLANE_LABEL",
    "ClusterResult",
    "ClusterTarget",
    "CollectOptions",
    "Connection",
    "FleetWorkers",
    "chart_addon_version",
    "cloud_targets",
    "collect_cluster",
    "collect_fleet",
    "connection",
    "default_kubeconfig",
    "eks_targets",
    "fleet_workers",
    "inventory_json",
    "kubeconfig_contexts",
    "load_fleet_file",
    "parse_version",
    "pool_of",
    "safe_name",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "CONTROL_PLANE_LABEL": "_pools",
            "ClusterResult": "_fleet",
            "ClusterTarget": "_target",
            "CollectOptions": "_target",
            "Connection": "_api",
            "FleetWorkers": "_workers",
            "chart_addon_version": "_addons",
            "collect_cluster": "_collect",
            "collect_fleet": "_fleet",
            "connection": "_collect",
            "default_kubeconfig": "_target",
            "cloud_targets": "_fleet",
            "eks_targets": "_fleet",
            "fleet_workers": "_workers",
            "inventory_json": "_fleet",
            "kubeconfig_contexts": "_api",
            "load_fleet_file": "_fleet",
            "parse_version": "_addons",
            "pool_of": "_pools",
            "safe_name": "_collect",
        },
    )
