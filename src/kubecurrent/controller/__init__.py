"""``kubecurrent controller``: rollouts driven from a management cluster by several replicas.

Replicas share the work through coordination Leases: ``Coordinator`` holds this replica's
shards and the leadership (``LeaseSettings`` says how many shards and how long a Lease lasts);
``shard_of`` says which shard a cluster belongs to. ``Controller`` runs one replica's rounds
(recording the FleetUpgrades people apply: ``declared_rollout``, ``edit_refusal``), and
``serve_health`` its ``/healthz``, ``/readyz`` and ``/metrics`` (``METRICS``).
"""

from kubecurrent.controller._declare import (
    Declared,
    Refused,
    changed_strategy,
    declared_rollout,
    edit_refusal,
)
from kubecurrent.controller._leases import Coordinator, LeaseSettings
from kubecurrent.controller._metrics import METRICS, StoreCollector
from kubecurrent.controller._run import Controller, serve_health
from kubecurrent.controller._runners import SecretRunners
from kubecurrent.controller._shards import fair_share, shard_of

__all__ = [
    "METRICS",
    "Controller",
    "Coordinator",
    "Declared",
    "LeaseSettings",
    "Refused",
    "SecretRunners",
    "StoreCollector",
    "changed_strategy",
    "declared_rollout",
    "edit_refusal",
    "fair_share",
    "serve_health",
    "shard_of",
]
