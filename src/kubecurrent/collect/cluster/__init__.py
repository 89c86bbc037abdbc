"""Live cluster collection: one cluster or a fleet into inventories, read-only and paginated.

``collect_fleet`` runs clusters concurrently (asyncio) and isolates their failures;
``collect_cluster`` reads one. Everything else is private.
"""

from kubecurrent.collect.cluster._addons import chart_addon_version, parse_version
from kubecurrent.collect.cluster._api import Connection, default_kubeconfig, kubeconfig_contexts
from kubecurrent.collect.cluster._collect import (
    ClusterTarget,
    CollectOptions,
    collect_cluster,
    connection,
    eks_labels,
    safe_name,
)
from kubecurrent.collect.cluster._fleet import (
    ClusterResult,
    collect_fleet,
    eks_targets,
    inventory_json,
    load_fleet_file,
)
from kubecurrent.collect.cluster._pools import CONTROL_PLANE_LABEL, pool_of

__all__ = [
    "CONTROL_PLANE_LABEL",
    "ClusterResult",
    "ClusterTarget",
    "CollectOptions",
    "Connection",
    "chart_addon_version",
    "collect_cluster",
    "collect_fleet",
    "connection",
    "default_kubeconfig",
    "eks_labels",
    "eks_targets",
    "inventory_json",
    "kubeconfig_contexts",
    "load_fleet_file",
    "parse_version",
    "pool_of",
    "safe_name",
]
