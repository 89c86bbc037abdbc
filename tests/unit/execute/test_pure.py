"""The pure parts of executing a plan: retry policy, drain pod selection, verification, audit."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from lightkube.models.core_v1 import PodSpec, PodStatus
from lightkube.models.meta_v1 import ObjectMeta, OwnerReference
from lightkube.resources.core_v1 import Pod

from kubecurrent.execute import (
    AuditLog,
    PermanentStepError,
    RetryableStepError,
    RetryPolicy,
    already_done,
    audit_record,
    chart_source,
    effect_missing,
    is_repo_chart,
    read_audit,
    select_pods,
    selector_matches,
    unsupported,
)
from kubecurrent.model.inventory import ClusterInventory, InstalledAddon, NodePool
from kubecurrent.model.plan import Step


def step(type_: str, target: str, from_: str, to: str | None, order: int = 1) -> Step:
    return Step.read(
        {
            "order": order,
            "type": type_,
            "target": target,
            "from": from_,
            "to": to,
            "why": "w",
            "without": "x",
            "hop": 1,
        }
    )


def pod(name: str, owner: str | None = None, **meta: object) -> Pod:
    refs = [OwnerReference(apiVersion="apps/v1", kind=owner, name="o", uid="u", controller=True)]
    return Pod(
        metadata=ObjectMeta(
            name=name, namespace="ns", ownerReferences=refs if owner else None, **meta
        ),
        spec=PodSpec(containers=[], nodeName="n1"),
        status=PodStatus(phase="Running"),
    )


class TestRetryPolicy:
    def test_delays_grow_exponentially_up_to_the_cap(self) -> None:
        assert RetryPolicy(attempts=6, initial=1, factor=3, max_delay=20).delays() == [
            1,
            3,
            9,
            20,
            20,
        ]

    def test_retryable_errors_are_retried_then_succeed(self) -> None:
        calls, slept = [], []

        def flaky() -> str:
            calls.append(1)
            if len(calls) < 3:
                raise RetryableStepError("busy", retry_after=5)
            return "ok"

        assert RetryPolicy(attempts=3, initial=1).run(flaky, slept.append) == "ok"
        assert slept == [5, 5]  # the error's retry_after wins over a shorter backoff

    def test_exhausted_retries_become_permanent_and_say_so(self) -> None:
        def always() -> None:
            raise RetryableStepError("API server busy")

        with pytest.raises(
            PermanentStepError, match=r"API server busy \(gave up after 2 attempts\)"
        ):
            RetryPolicy(attempts=2, initial=0).run(always, lambda _d: None)

    def test_permanent_errors_are_never_retried(self) -> None:
        calls = []

        def fail() -> None:
            calls.append(1)
            raise PermanentStepError("PDB blocks")

        with pytest.raises(PermanentStepError):
            RetryPolicy(attempts=5).run(fail, lambda _d: None)
        assert calls == [1]


class TestDrainSelection:
    def test_daemonset_and_mirror_pods_stay_and_say_why(self) -> None:
        chosen = select_pods(
            [
                pod("ds", "DaemonSet"),
                pod("static", annotations={"kubernetes.io/config.mirror": "abc"}),
                pod("web", "ReplicaSet"),
            ]
        )
        assert [p.metadata.name for p in chosen.evict] == ["web"]
        assert chosen.skipped == {
            "ns/ds": "DaemonSet pod",
            "ns/static": "mirror pod (managed by the kubelet)",
        }

    def test_pods_without_controller_are_unmanaged_and_terminating_ones_only_awaited(self) -> None:
        gone = pod(
            "going", "ReplicaSet", deletionTimestamp=dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
        )
        chosen = select_pods([pod("bare"), gone])
        assert [p.metadata.name for p in chosen.unmanaged] == ["bare"]
        assert [p.metadata.name for p in chosen.terminating] == ["going"]
        assert chosen.evict == []

    @pytest.mark.parametrize(
        ("selector", "labels", "matches"),
        [
            ({"matchLabels": {"app": "web"}}, {"app": "web", "x": "1"}, True),
            ({"matchLabels": {"app": "web"}}, {"app": "db"}, False),
            (
                {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
                {"tier": "b"},
                True,
            ),
            (
                {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]},
                {"tier": "a"},
                False,
            ),
            ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {}, False),
            ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {}, True),
            ({}, {"any": "thing"}, True),
            (None, {"any": "thing"}, False),
        ],
    )
    def test_pdb_selectors(
        self, selector: dict[str, object] | None, labels: dict[str, str], matches: bool
    ) -> None:
        assert selector_matches(selector, labels) is matches


def inventory(
    cp: str = "1.37.2", kubelet: str = "1.37.2", addon: str = "1.1.0"
) -> ClusterInventory:
    return ClusterInventory(
        name="c1",
        control_plane=cp,
        node_pools=(NodePool(name="default", kubelet=kubelet, nodes=3),),
        addons=(InstalledAddon(name="demo-addon", version=addon),),
    )


class TestVerification:
    def test_each_step_type_is_checked_against_the_inventory(self) -> None:
        inv = inventory(cp="1.37.2", kubelet="1.36.3", addon="1.0.0")
        assert (
            effect_missing(step("control-plane", "control-plane", "1.36.3", "1.37.2"), inv) is None
        )
        assert "still has kubelet v1.36.3" in str(
            effect_missing(step("node-pool", "default", "1.35.4", "1.37.2"), inv)
        )
        assert "is at 1.0.0, expected 1.1.0" in str(
            effect_missing(step("addon", "demo-addon", "1.0.0", "1.1.0"), inv)
        )
        assert "gone" in str(effect_missing(step("node-pool", "other", "1.35.4", "1.37.2"), inv))

    def test_a_patch_release_is_not_reached_by_an_older_patch(self) -> None:
        inv = inventory(cp="1.36.3", kubelet="1.36.3", addon="1.0.0")
        assert "reports v1.36.3, expected 1.36.6" in str(
            effect_missing(step("control-plane", "control-plane", "1.36.3", "1.36.6"), inv)
        )
        assert not already_done(step("control-plane", "control-plane", "1.36.3", "1.36.6"), inv)

    def test_finished_steps_are_done_but_checks_always_run(self) -> None:
        inv = inventory()
        assert already_done(step("control-plane", "control-plane", "1.36.3", "1.37.2"), inv)
        assert already_done(step("addon", "demo-addon", "1.0.0", "1.1.0"), inv)
        assert not already_done(step("check", "control-plane", "1.37.2", "1.37.2"), inv)
        assert not already_done(step("control-plane", "control-plane", "1.37.2", "1.38.0"), inv)

    def test_steps_kubecurrent_cannot_execute_are_named(self) -> None:
        steps = (
            step("migration", "CronJob", "batch/v1beta1", "batch/v1"),
            step("addon", "x", "1", "2", 2),
        )
        assert unsupported(steps) == [
            "step 1 (migration CronJob): API migrations rewrite the user's manifests: run "
            "`kubecurrent fix files`"
        ]


class TestAudit:
    def test_record_names_who_what_when_where_and_versions(self) -> None:
        when = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
        rec = audit_record(
            when=when,
            user="alice",
            cluster="prod",
            action="step.done",
            step=step("control-plane", "control-plane", "1.36.3", "1.37.2", 4),
            after="v1.37.2",
            detail="sandbox",
        )
        assert rec == {
            "time": "2026-11-25T10:00:00+00:00",
            "user": "alice",
            "cluster": "prod",
            "action": "step.done",
            "step": 4,
            "type": "control-plane",
            "target": "control-plane",
            "before": "1.36.3",
            "after": "v1.37.2",
            "outcome": "ok",
            "detail": "sandbox",
        }

    def test_log_appends_json_lines(self, tmp_path: Path) -> None:
        log = AuditLog(tmp_path / "a" / "audit.jsonl", "prod", user="bob")
        log.write("node.cordon", detail="n1")
        log.write("pod.force-delete", detail="--force-unsafe: deleted ns/web-1")
        lines = (tmp_path / "a" / "audit.jsonl").read_text().splitlines()
        assert [json.loads(line)["action"] for line in lines] == ["node.cordon", "pod.force-delete"]
        assert read_audit(tmp_path / "a" / "audit.jsonl")[1]["user"] == "bob"


class TestCharts:
    def test_the_chart_source_of_an_addon_or_how_to_give_one(self) -> None:
        charts = {"a": "./charts/a-{version}", "b": "repo/b"}
        assert chart_source(charts, "a") == "./charts/a-{version}"
        with pytest.raises(PermanentStepError, match="no chart source for add-on c"):
            chart_source(charts, "c")

    def test_repository_charts_are_told_from_paths_urls_and_oci(self) -> None:
        assert is_repo_chart("ingress-nginx/ingress-nginx")
        for ref in ("./charts/a", "/srv/a.tgz", "oci://r.example/charts/a", "https://x/a.tgz", "a"):
            assert not is_repo_chart(ref), ref
