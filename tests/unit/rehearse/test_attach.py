"""Rehearsal evidence attached to a rollout: matched by cluster name, required when asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def _evidence(path: Path, cluster: str, target: str = "1.37", refused: int = 0) -> Path:
    outcome: dict[str, Any] = {
        "ref": {"api_version": "v1", "kind": "ConfigMap", "namespace": "a", "name": "b"},
        "check": "resubmit",
        "verdict": "refused",
        "message": "no",
        "source": "cluster",
    }
    hop = {"version": f"v{target}.2", "outcomes": [outcome] * refused}
    data = {
        "cluster": cluster,
        "source_version": "v1.35.4",
        "target": target,
        "ok": refused == 0,
        "hops": [hop],
        "interrupted": "",
    }
    path.write_text(json.dumps(data))
    return path


def _start(runner: CliRunner, tmp_path: Path, *extra: str) -> Any:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "clusters:\n- {name: a, kubeconfig: /nonexistent, context: a}\n"
        "- {name: b, kubeconfig: /nonexistent, context: b}\n"
    )
    state = tmp_path / "rollouts.db"
    args = ["rollout", "start", "--fleet", str(fleet), "--target", "1.37", "--state", str(state)]
    return runner.invoke(root, [*args, *extra])


def test_require_rehearsal_names_each_cluster_without_passing_evidence(
    runner: CliRunner, tmp_path: Path
) -> None:
    good = _evidence(tmp_path / "a.json", "a")
    result = _start(runner, tmp_path, "--require-rehearsal", "--rehearsal", str(good))
    assert result.exit_code == 2, result.output
    assert "b: no rehearsal given" in result.output and "a:" not in result.output.split(";")[0]
    bad = _evidence(tmp_path / "b.json", "b", refused=2)
    result = _start(runner, tmp_path, "--require-rehearsal", "--rehearsal", str(good),
                    "--rehearsal", str(bad))  # fmt: skip
    assert result.exit_code == 2
    assert "b: v1.35.4 -> 1.37 over 1 hops: refusals found (2 refused" in result.output
    old = _evidence(tmp_path / "b2.json", "b", target="1.36")
    result = _start(runner, tmp_path, "--require-rehearsal", "--rehearsal", str(good),
                    "--rehearsal", str(old))  # fmt: skip
    assert "b: rehearsed to 1.36, not 1.37" in result.output
    assert not (tmp_path / "rollouts.db").exists()  # refused before anything was recorded


def test_evidence_of_another_cluster_or_a_broken_file_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    other = _evidence(tmp_path / "z.json", "zeta")
    result = _start(runner, tmp_path, "--rehearsal", str(other))
    assert result.exit_code == 2
    assert "rehearsal of 'zeta', which is not a cluster of this rollout" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"cluster": "a"}')
    result = _start(runner, tmp_path, "--rehearsal", str(broken))
    assert result.exit_code == 2
    assert "not a rehearsal evidence file (missing or invalid field" in result.output


def test_evidence_is_recorded_in_the_rollouts_audit_trail_and_change_record(
    tmp_path: Path,
) -> None:
    import datetime as dt

    from kubecurrent.cli._rehearsals import check_rehearsals, record_rehearsals
    from kubecurrent.rollout import ClusterRef, Store, Strategy, create, render_markdown, snapshot

    now = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    store = Store(tmp_path / "state.db")
    rid = create(
        store,
        clusters=[ClusterRef("a"), ClusterRef("b")],
        target="v1.37.2",
        strategy=Strategy.model_validate({"waves": [{"name": "all"}]}),
        fleet="f.yaml",
        actor="ann",
        now=now,
    )
    files = [_evidence(tmp_path / "a.json", "a"), _evidence(tmp_path / "b.json", "b", refused=1)]
    record_rehearsals(store, rid, check_rehearsals(files, False, ["a", "b"], "v1.37.2"), "ann", now)
    records = {r.cluster: r for r in store.audit_records(rid) if r.action == "rehearsal"}
    assert records["a"].outcome == "ok" and records["b"].outcome == "refused"
    assert records["a"].before == "v1.35.4" and records["a"].after == "1.37"
    assert len(str(records["a"].extra["sha256"])) == 64
    report = render_markdown(snapshot(store, rid), store.journal(rid), store.audit_records(rid))
    assert "rehearsal" in report and "refusals found (1 refused" in report


def _kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
    )
    return path


def test_rehearse_takes_its_target_from_the_plan_and_refuses_what_it_cannot_walk(
    runner: CliRunner, tmp_path: Path
) -> None:
    kubeconfig = str(_kubeconfig(tmp_path))
    plan = tmp_path / "plan.json"
    base = {"name": "c", "from": "v1.35.4", "target": "v1.37.2"}
    plan.write_text(json.dumps({"clusters": [{**base, "status": "blocked", "reasons": ["x y"]}]}))
    result = runner.invoke(root, ["--kubeconfig", kubeconfig, "rehearse", "--plan", str(plan)])
    assert result.exit_code == 2 and "the plan of c is blocked: x y" in result.output
    plan.write_text(json.dumps({"clusters": [{**base, "status": "ok", "steps": []}]}))
    result = runner.invoke(root, ["--kubeconfig", kubeconfig, "rehearse", "--plan", str(plan)])
    assert result.exit_code == 2 and "has no control-plane hop" in result.output
    both = ["--kubeconfig", kubeconfig, "rehearse", "--plan", str(plan), "--target", "1.37"]
    assert "give --target X.Y or --plan FILE" in runner.invoke(root, both).output
    bad = runner.invoke(root, ["--kubeconfig", kubeconfig, "rehearse", "--target", "soon"])
    assert bad.exit_code == 2 and "'soon' is not a Kubernetes version" in bad.output
