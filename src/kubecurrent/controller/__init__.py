"""``kubecurrent controller``: rollouts driven from a management cluster by several replicas.

Replicas share the work through coordination Leases: ``Coordinator`` holds this replica's
shards and the leadership (``LeaseSettings`` says how many shards and how long a Lease lasts);
``shard_of`` says which shard a cluster belongs to.
"""

from kubecurrent.controller._leases import Coordinator, LeaseSettings
from kubecurrent.controller._shards import fair_share, shard_of

__all__ = ["Coordinator", "LeaseSettings", "fair_share", "shard_of"]
