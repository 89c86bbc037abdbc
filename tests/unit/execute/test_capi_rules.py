"""Cluster API's rules and the readings of its objects' status, on plain dicts (no cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubecurrent.catalog import load_catalog
from kubecurrent.execute import (
    AuditLog,
    Clock,
    PermanentStepError,
    Providers,
    Runtime,
    endpoint_matches,
    step_actions,
)
from kubecurrent.execute._capi_api import POOL_KINDS
from kubecurrent.execute._capi_rules import (
    check_control_plane_hop,
    check_in_topology,
    check_observable,
    check_pool_version,
    control_plane_ref,
)
from kubecurrent.execute._capi_status import READINGS, observed_pool_version, rollout_waiting
from kubecurrent.model.plan import Step

KCP = "KubeadmControlPlane t/cp spec.version"


def kcp(api: str = "v1beta2", **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"controlplane.cluster.x-k8s.io/{api}",
        "kind": "KubeadmControlPlane",
        "metadata": {"name": "cp", "generation": 2},
        "spec": {"replicas": 3, "version": "v1.36.3"},
        "status": status,
    }


def md(api: str = "v1beta2", **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"cluster.x-k8s.io/{api}",
        "kind": "MachineDeployment",
        "metadata": {"name": "md", "generation": 5},
        "spec": {"replicas": 2, "template": {"spec": {"version": "v1.36.3"}}},
        "status": status,
    }


def cond(type_: str, status: str, reason: str = "", message: str = "") -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message}


DONE_V1B2 = {
    "observedGeneration": 2,
    "version": "v1.36.3",
    "replicas": 3,
    "upToDateReplicas": 3,
    "readyReplicas": 3,
    "availableReplicas": 3,
    "conditions": [cond("Available", "True"), cond("RollingOut", "False")],
}


class TestControlPlaneHops:
    def test_the_next_minor_and_a_patch_are_allowed(self) -> None:
        check_control_plane_hop(KCP, "v1.35.4", "v1.35.4", "1.36.3")
        check_control_plane_hop(KCP, "v1.36.1", "v1.36.1", "1.36.3")

    def test_a_skipped_minor_names_the_object_and_the_next_step(self) -> None:
        with pytest.raises(PermanentStepError) as err:
            check_control_plane_hop(KCP, "v1.35.4", "v1.35.4", "1.37.2")
        assert "KubeadmControlPlane t/cp spec.version is at v1.35.4" in err.value.message
        assert "would skip Kubernetes 1.36" in err.value.message
        assert "cluster-api.sigs.k8s.io/tasks/upgrading-clusters" in err.value.message
        assert err.value.hint and "to 1.36 first" in err.value.hint

    def test_the_skip_is_counted_from_the_oldest_running_machine(self) -> None:
        with pytest.raises(PermanentStepError, match=r"skip Kubernetes 1\.36"):
            check_control_plane_hop(KCP, "v1.35.4", "v1.36.3", "1.37.2")  # still rolling

    def test_a_downgrade_is_refused(self) -> None:
        with pytest.raises(PermanentStepError, match="downgrade"):
            check_control_plane_hop(KCP, "v1.36.3", "v1.37.2", "1.36.3")


class TestPoolVersions:
    def test_a_pool_may_jump_minors_up_to_the_control_plane(self) -> None:
        check_pool_version("MD t/md", "v1.34.1", "1.37.2", "KCP t/cp", "v1.37.2")

    def test_a_pool_newer_than_the_control_plane_is_refused(self) -> None:
        with pytest.raises(PermanentStepError) as err:
            check_pool_version("MD t/md", "v1.35.4", "1.36.3", "KCP t/cp", "v1.35.4")
        assert "KCP t/cp reports v1.35.4" in err.value.message
        assert err.value.hint and "control-plane step to 1.36 first" in err.value.hint

    def test_a_control_plane_without_a_reported_version_is_refused(self) -> None:
        with pytest.raises(PermanentStepError, match=r"reports no status\.version"):
            check_pool_version("MD t/md", "v1.35.4", "1.35.4", "KCP t/cp", None)


class TestRollouts:
    def test_a_settled_v1beta2_control_plane_is_done(self) -> None:
        assert rollout_waiting(kcp(**DONE_V1B2), "1.36.3") == []

    def test_a_rolling_v1beta2_control_plane_names_what_it_waits_for(self) -> None:
        rolling = {
            **DONE_V1B2,
            "version": "v1.35.4",
            "upToDateReplicas": 1,
            "conditions": [
                cond("Available", "True"),
                cond("RollingOut", "True", "RollingOut", "Rolling out 2 replicas"),
            ],
        }
        waiting = rollout_waiting(kcp(**rolling), "v1.36.3")
        assert waiting == [
            "status.version v1.35.4 (expected v1.36.3)",
            "upToDateReplicas 1 of 3",
            "condition RollingOut=True (RollingOut: Rolling out 2 replicas)",
        ]

    def test_an_unobserved_generation_is_not_done(self) -> None:
        waiting = rollout_waiting(kcp(**{**DONE_V1B2, "observedGeneration": 1}), "1.36.3")
        assert waiting and "observedGeneration 1 < metadata.generation 2" in waiting[0]

    def test_v1beta1_counts_updated_and_unavailable_replicas_and_the_ready_condition(self) -> None:
        status = {
            "observedGeneration": 2,
            "version": "v1.36.3",
            "replicas": 3,
            "updatedReplicas": 2,
            "readyReplicas": 3,
            "unavailableReplicas": 1,
            "conditions": [cond("Ready", "False", "RollingUpdateInProgress")],
        }
        assert rollout_waiting(kcp("v1beta1", **status), "1.36.3") == [
            "updatedReplicas 2 of 3",
            "unavailableReplicas 1",
            "condition Ready=False (RollingUpdateInProgress)",
        ]

    def test_a_machine_deployment_is_done_when_every_machine_runs_the_version(self) -> None:
        status = {
            "observedGeneration": 5,
            "replicas": 2,
            "upToDateReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "versions": [{"version": "v1.36.3", "replicas": 2}],
            "conditions": [cond("Available", "True")],
        }
        assert rollout_waiting(md(**status), "1.36.3") == []
        assert observed_pool_version(md(**status)) == "v1.36.3"
        mixed = {**status, "versions": [{"version": "v1.35.4"}, {"version": "v1.36.3"}]}
        assert observed_pool_version(md(**mixed)) == "v1.35.4"

    def test_v1beta1_pool_version_is_the_spec_once_rolled_out(self) -> None:
        status = {
            "observedGeneration": 5,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "conditions": [cond("Available", "True")],
        }
        assert observed_pool_version(md("v1beta1", **status)) == "v1.36.3"
        assert observed_pool_version(md("v1beta1", **{**status, "updatedReplicas": 1})) is None


def mp(api: str = "v1beta2", desired: int = 2, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"cluster.x-k8s.io/{api}",
        "kind": "MachinePool",
        "metadata": {"name": "mp", "generation": 4},
        "spec": {"replicas": desired, "template": {"spec": {"version": "v1.36.3"}}},
        "status": status,
    }


def v1beta1_ready(status: str, reason: str = "") -> dict[str, Any]:
    return {"deprecated": {"v1beta1": {"conditions": [cond("Ready", status, reason)]}}}


MP_DONE = {  # as Cluster API v1.14.2 writes it: no v1beta2 conditions but Paused
    "observedGeneration": 4,
    "replicas": 2,
    "readyReplicas": 2,
    "availableReplicas": 2,
    "upToDateReplicas": 2,
    "versions": [{"version": "v1.36.3", "replicas": 2}],
    "nodeRefs": [{"kind": "Node", "name": "n1"}, {"kind": "Node", "name": "n2"}],
    "conditions": [cond("Paused", "False", "NotPaused")],
    **v1beta1_ready("True"),
}


class TestMachinePools:
    def test_done_when_every_node_reports_the_version(self) -> None:
        assert rollout_waiting(mp(**MP_DONE), "1.36.3") == []
        assert observed_pool_version(mp(**MP_DONE)) == "v1.36.3"

    def test_full_replica_counters_do_not_finish_a_rollout_the_nodes_have_not(self) -> None:
        # Without MachinePool Machines Cluster API sets upToDateReplicas to spec.replicas.
        old_nodes = {**MP_DONE, "versions": [{"version": "v1.35.4", "replicas": 2}]}
        assert rollout_waiting(mp(**old_nodes), "v1.36.3") == [
            "status.versions v1.35.4 (expected only v1.36.3)"
        ]
        assert observed_pool_version(mp(**old_nodes)) == "v1.35.4"

    def test_without_status_versions_it_is_never_done_and_is_refused_up_front(self) -> None:
        blind = {k: v for k, v in MP_DONE.items() if k != "versions"}
        assert rollout_waiting(mp(**blind), "v1.36.3") == [
            "status.versions not reported (the kubelet versions of the MachinePool's nodes, "
            "which Cluster API reports from v1.14 on)"
        ]
        assert observed_pool_version(mp(**blind)) is None  # the collected nodes stay
        with pytest.raises(PermanentStepError) as err:
            check_observable("MachinePool t/mp", mp(**blind), "v1.36.3")
        assert "MachinePool t/mp reports no status.versions" in err.value.message
        assert err.value.hint and "v1.14 or later" in err.value.hint
        check_observable("MachinePool t/mp", mp(**MP_DONE), "v1.36.3")
        check_observable("MachinePool t/mp", mp(desired=0), "v1.36.3")  # no nodes to tell
        check_observable("MachineDeployment t/md", md(), "v1.36.3")  # counters follow machines

    def test_missing_nodes_and_the_deprecated_ready_condition_are_named(self) -> None:
        partial = {
            **MP_DONE,
            "nodeRefs": [{"kind": "Node", "name": "n1"}],
            **v1beta1_ready("False", "WaitingForReplicasReady"),
        }
        assert rollout_waiting(mp(**partial), "1.36.3") == [
            "status.nodeRefs 1 of 2",
            "status.deprecated.v1beta1 condition Ready=False (WaitingForReplicasReady)",
        ]

    def test_an_empty_pool_is_done_once_observed(self) -> None:
        assert rollout_waiting(mp(desired=0, observedGeneration=4), "1.36.3") == []

    def test_v1beta1_reads_ready_available_and_unavailable_replicas(self) -> None:
        status = {
            "observedGeneration": 4,
            "replicas": 2,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "unavailableReplicas": 1,
            "versions": [{"version": "v1.36.3"}],
            "nodeRefs": [{"name": "n1"}],
            "conditions": [cond("Ready", "False", "WaitingForReplicasReady")],
        }
        assert rollout_waiting(mp("v1beta1", **status), "1.36.3") == [
            "readyReplicas 1 of 2",
            "availableReplicas 1 of 2",
            "unavailableReplicas 1",
            "status.nodeRefs 1 of 2",
            "condition Ready=False (WaitingForReplicasReady)",
        ]

    def test_every_pool_kind_has_readings_in_both_api_versions(self) -> None:
        for kind in POOL_KINDS:
            assert {(kind.kind, "v1beta2"), (kind.kind, "v1beta1")} <= set(READINGS)


TOPOLOGY = {"version": "v1.36.3", "workers": {"machinePools": [{"name": "mp-a"}]}}
POOL_LABEL = "topology.cluster.x-k8s.io/pool-name"


class TestTopologyPools:
    def test_a_pool_generated_from_the_topology_is_waited_for(self) -> None:
        obj = {"metadata": {"labels": {POOL_LABEL: "mp-a"}}}
        check_in_topology("MachinePool t/mp", obj, TOPOLOGY, "machinePools", POOL_LABEL)

    def test_a_pool_outside_the_topology_is_refused(self) -> None:
        for labels in ({}, {POOL_LABEL: "mp-gone"}):
            with pytest.raises(PermanentStepError) as err:
                check_in_topology(
                    "MachinePool t/mp",
                    {"metadata": {"labels": labels}},
                    TOPOLOGY,
                    "machinePools",
                    POOL_LABEL,
                )
            assert "is not generated from the Cluster's spec.topology.workers.machinePools" in (
                err.value.message
            )
            assert err.value.hint and "roll it by hand" in err.value.hint


class TestReferences:
    def test_control_plane_ref_in_both_api_versions(self) -> None:
        v1b2 = {"spec": {"controlPlaneRef": {"apiGroup": "g.io", "kind": "K", "name": "n"}}}
        v1b1 = {
            "spec": {"controlPlaneRef": {"apiVersion": "g.io/v1beta1", "kind": "K", "name": "n"}}
        }
        assert control_plane_ref(v1b2) == control_plane_ref(v1b1) == ("g.io", "K", "n")
        assert control_plane_ref({"spec": {}}) is None

    def test_endpoint_matches_host_and_port(self) -> None:
        cluster = {"spec": {"controlPlaneEndpoint": {"host": "10.0.0.1", "port": 6443}}}
        assert endpoint_matches(cluster, "https://10.0.0.1:6443")
        assert not endpoint_matches(cluster, "https://10.0.0.1:443")
        assert endpoint_matches({"spec": {"controlPlaneEndpoint": {"host": "a.b"}}}, "https://a.b")
        assert not endpoint_matches({"spec": {}}, "https://a.b")


class ManagedPoolsDouble:
    """Test double: a provider that rolls pools itself, recording what it was asked."""

    name = "managed"

    def __init__(self) -> None:
        self.rolled: list[tuple[str, str, float]] = []

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        self.rolled.append((pool, version, timeout))
        return f"rolled {pool}"


def test_a_managed_pool_provider_gets_the_whole_roll(tmp_path: Path) -> None:
    managed = ManagedPoolsDouble()
    runtime = Runtime(
        catalog=load_catalog(),
        providers=Providers(node_pools=managed),
        drainer=None,  # type: ignore[arg-type]  # a managed roll never drains itself
        audit=AuditLog(tmp_path / "a.jsonl", "c1"),
        clock=Clock(),
        roll_timeout=42.0,
    )
    step = Step.read(
        {"order": 1, "type": "node-pool", "target": "p", "from": "1.35.4", "to": "1.36.3"}
        | {"why": "w", "without": "x", "hop": 1}
    )

    detail = step_actions(runtime)["node-pool"](step, None)  # type: ignore[arg-type]

    assert detail == "managed: rolled p"
    assert managed.rolled == [("p", "1.36.3", 42.0)]


def test_a_topology_pool_cannot_be_asked_past_the_topology_version() -> None:
    from kubecurrent.execute._capi import _at_least

    assert _at_least("1.36.3", "v1.37.2", "Cluster t/c spec.topology.version", "md") == "v1.37.2"
    with pytest.raises(PermanentStepError) as err:
        _at_least("v1.37.2", "v1.36.3", "Cluster t/c spec.topology.version", "MD t/md")
    assert (
        "MD t/md follows Cluster t/c spec.topology.version, which is v1.36.3" in err.value.message
    )
