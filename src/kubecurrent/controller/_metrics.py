"""What ``/metrics`` exposes, read from the rollout store at each scrape (Prometheus format).

=======================================  =====================================================
metric                                   meaning
=======================================  =====================================================
``kubecurrent_clusters``                 clusters of a rollout by ``state`` (gauge)
``kubecurrent_rollout_phase``            1 for the rollout's current ``phase`` (gauge)
``kubecurrent_step_duration_seconds``    finished steps by ``type``: count and sum (summary)
``kubecurrent_step_failures``            failed steps by ``type`` (gauge)
``kubecurrent_shards_held``              shards this replica holds (gauge)
``kubecurrent_leader``                   1 when this replica leads (gauge)
``kubecurrent_store_requests``           API requests this replica's store sent (counter)
=======================================  =====================================================
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from kubecurrent.controller._leases import Coordinator
from kubecurrent.kubestate import KubeStore
from kubecurrent.rollout import ClusterState, RolloutState, StepState

__all__ = ["METRICS", "StoreCollector"]

METRICS = (
    "kubecurrent_clusters",
    "kubecurrent_rollout_phase",
    "kubecurrent_step_duration_seconds",
    "kubecurrent_step_failures",
    "kubecurrent_shards_held",
    "kubecurrent_leader",
    "kubecurrent_store_requests",
)
"""Every metric name, as the module docstring's table lists them."""


class StoreCollector(Collector):
    """Collects the metrics above for one replica."""

    def __init__(self, store: KubeStore, coordinator: Coordinator) -> None:
        self.store, self.coordinator = store, coordinator

    def collect(self) -> Iterator[Metric]:
        clusters = GaugeMetricFamily(
            "kubecurrent_clusters", "Clusters of a rollout by state.", labels=["rollout", "state"]
        )
        phase = GaugeMetricFamily(
            "kubecurrent_rollout_phase",
            "The rollout's phase (1 = current).",
            labels=["rollout", "phase"],
        )
        durations = SummaryMetricFamily(
            "kubecurrent_step_duration_seconds", "Finished steps by type.", labels=["type"]
        )
        failures = GaugeMetricFamily(
            "kubecurrent_step_failures", "Failed steps by type.", labels=["type"]
        )
        took: dict[str, list[float]] = collections.defaultdict(list)
        failed: collections.Counter[str] = collections.Counter()
        for rollout in self.store.rollouts():
            for state in RolloutState:
                phase.add_metric([rollout.id, state.value], 1.0 if rollout.state is state else 0.0)
            counts = collections.Counter(c.state for c in self.store.clusters(rollout.id))
            for cstate in ClusterState:
                clusters.add_metric([rollout.id, cstate.value], float(counts[cstate]))
            for step in self.store.steps(rollout.id):
                if step.state is StepState.FAILED:
                    failed[step.type] += 1
                if step.started and step.finished and step.state is StepState.DONE:
                    took[step.type].append((step.finished - step.started).total_seconds())
        for kind, values in sorted(took.items()):
            durations.add_metric([kind], len(values), sum(values))
        for kind, count in sorted(failed.items()):
            failures.add_metric([kind], float(count))
        yield from (clusters, phase, durations, failures)
        yield GaugeMetricFamily(
            "kubecurrent_shards_held",
            "Shards this replica holds.",
            value=len(self.coordinator.held),
        )
        yield GaugeMetricFamily(
            "kubecurrent_leader", "1 when this replica leads.", value=float(self.coordinator.leader)
        )
        yield CounterMetricFamily(
            "kubecurrent_store_requests",
            "API requests sent by the store.",
            value=float(self.store.requests),
        )
