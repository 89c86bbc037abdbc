"""The executor loop with in-memory stand-ins for the cluster (test doubles, named as such)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.execute import (
    AuditLog,
    Baseline,
    Clock,
    Executor,
    PermanentStepError,
    RetryPolicy,
    read_audit,
)
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import ClusterPlan, Step


class FakeCluster:
    """Test double: a cluster whose versions change when the fake actions run."""

    def __init__(self) -> None:
        self.cp, self.kubelet, self.ran = "1.36.3", "1.35.4", []

    def inventory(self) -> ClusterInventory:
        return ClusterInventory(
            name="c1",
            control_plane=self.cp,
            node_pools=(NodePool(name="p", kubelet=self.kubelet, nodes=2),),
        )


class PassingGate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


def plan(*steps: tuple[str, str, str, str]) -> ClusterPlan:
    return ClusterPlan(
        name="c1",
        status="ok",
        from_version="1.36.3",
        target="1.37.2",
        steps=tuple(
            Step.read(
                {
                    "order": i,
                    "type": t,
                    "target": tg,
                    "from": f,
                    "to": to,
                    "why": "w",
                    "without": "x",
                    "hop": 1,
                }
            )
            for i, (t, tg, f, to) in enumerate(steps, start=1)
        ),
    )


def executor(
    cluster: FakeCluster, p: ClusterPlan, tmp_path: Path, fail_pool: bool = False
) -> Executor:
    def cp(step: Step, _inv: ClusterInventory) -> str:
        cluster.ran.append(step.order)
        cluster.cp = str(step.to)
        return "swapped"

    def pool(step: Step, _inv: ClusterInventory) -> str:
        cluster.ran.append(step.order)
        if fail_pool:
            raise PermanentStepError("drain blocked by PDB ns/web")
        cluster.kubelet = str(step.to)
        return "rolled"

    return Executor(
        plan=p,
        actions={"control-plane": cp, "node-pool": pool, "check": lambda _s, _i: "ok"},
        collect=cluster.inventory,
        gate=PassingGate(),
        audit=AuditLog(tmp_path / "audit.jsonl", "c1", user="tester"),
        retry=RetryPolicy(attempts=1),
        clock=Clock(sleep=lambda _d: None),
    )


UPGRADE = (
    ("control-plane", "control-plane", "1.36.3", "1.37.2"),
    ("node-pool", "p", "1.35.4", "1.37.2"),
    ("check", "control-plane", "1.37.2", "1.37.2"),
)


def test_steps_run_in_plan_order_and_are_verified(tmp_path: Path) -> None:
    cluster = FakeCluster()
    report = executor(cluster, plan(*UPGRADE), tmp_path).run()
    assert report.ok and cluster.ran == [1, 2]
    assert [r.outcome for r in report.results] == ["done", "done", "done"]
    assert str(report.final.control_plane if report.final else "") == "v1.37.2"


def test_a_rerun_skips_what_is_already_done(tmp_path: Path) -> None:
    cluster = FakeCluster()
    cluster.cp = "1.37.2"
    report = executor(cluster, plan(*UPGRADE), tmp_path).run()
    assert cluster.ran == [2]
    assert [r.outcome for r in report.results] == ["skipped", "done", "done"]


def test_a_failed_step_stops_the_rest_and_is_audited(tmp_path: Path) -> None:
    cluster = FakeCluster()
    report = executor(cluster, plan(*UPGRADE), tmp_path, fail_pool=True).run()
    assert not report.ok and "PDB ns/web" in str(report.error)
    assert [r.outcome for r in report.results] == ["done", "failed", "not-run"]
    records = read_audit(tmp_path / "audit.jsonl")
    assert [r["action"] for r in records][-2:] == ["step.fail", "upgrade.end"]
    assert records[-1]["outcome"] == "failed"


def test_a_step_without_visible_effect_stops(tmp_path: Path) -> None:
    cluster = FakeCluster()
    ex = executor(cluster, plan(*UPGRADE), tmp_path)
    ex.actions = {**ex.actions, "control-plane": lambda _s, _i: "pretended"}
    report = ex.run()
    assert "ran but the control plane reports v1.36.3, expected 1.37.2" in str(report.error)


def test_unsupported_steps_are_refused_before_anything_runs(tmp_path: Path) -> None:
    cluster = FakeCluster()
    p = plan(("migration", "CronJob", "batch/v1beta1", "batch/v1"), *UPGRADE)
    with pytest.raises(PermanentStepError, match="cannot execute the plan for c1"):
        executor(cluster, p, tmp_path).run()
    assert cluster.ran == []
