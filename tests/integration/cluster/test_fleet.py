"""A fleet where one cluster is down: the others complete, the summary names it, exit code 5."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from kubecurrent import sandbox as sb
from kubecurrent.cli._app import _register, root
from kubecurrent.cli._clusters import EXIT_PARTIAL
from tests.integration.conftest import SessionSandbox, guard, start_sandbox


def test_fleet_with_a_stopped_cluster_is_partial(
    cluster: SessionSandbox, cluster131: SessionSandbox, sandbox_home: Path, tmp_path: Path
) -> None:
    doomed = start_sandbox(sandbox_home, "doomed", "1.36", ("default=1",))
    guard(doomed, doomed.kubeconfig)
    kept = shutil.copy(doomed.kubeconfig, tmp_path / "doomed.kubeconfig")
    sb.down(doomed.name)
    for box in (cluster, cluster131):
        guard(box, box.kubeconfig)
    fleet = {
        "defaults": {"timeout": 60},
        "clusters": [
            {
                "name": "prod",
                "kubeconfig": str(cluster.kubeconfig),
                "context": cluster.name,
                "labels": {"env": "prod"},
            },
            {
                "name": "legacy",
                "kubeconfig": str(cluster131.kubeconfig),
                "context": cluster131.name,
                "labels": {"env": "dev"},
            },
            {
                "name": "gone",
                "kubeconfig": str(kept),
                "context": "doomed",
                "labels": {"env": "staging"},
            },
        ],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet))
    _register()

    result = CliRunner().invoke(
        root, ["scan", "cluster", "--fleet", str(path), "-o", "json", "--target", "1.37"]
    )

    assert result.exit_code == EXIT_PARTIAL, result.output
    data = json.loads(result.stdout)
    summary = {c["cluster"]: c for c in data["clusters"]}
    assert summary["prod"]["scanned"] and summary["legacy"]["scanned"]
    assert not summary["gone"]["scanned"]
    assert "cannot reach the API server" in summary["gone"]["reason"]
    assert {f["location"]["file"] for f in data["findings"]} >= {"cluster/prod", "cluster/legacy"}
    assert "not scanned: gone" in result.stderr


def test_inventory_saves_snapshots_the_planner_reads(
    cluster131: SessionSandbox, tmp_path: Path
) -> None:
    guard(cluster131, cluster131.kubeconfig)
    _register()
    out = tmp_path / "snapshots"

    result = CliRunner().invoke(
        root,
        ["--kubeconfig", str(cluster131.kubeconfig), "inventory", "--save", str(out), "-o", "json"],
    )

    assert result.exit_code == 0, result.output
    saved = json.loads((out / "k131.json").read_text())
    assert saved["controlPlane"] == "1.31.13"
    plan = CliRunner().invoke(root, ["plan", "--inventory", str(out), "--target", "1.33"])
    assert plan.exit_code in (0, 3), plan.output  # 3: blocked, with reasons
    assert "k131" in plan.output


def test_plan_reads_a_live_cluster_from_the_kubeconfig(cluster131: SessionSandbox) -> None:
    guard(cluster131, cluster131.kubeconfig)
    _register()

    result = CliRunner().invoke(
        root,
        ["--kubeconfig", str(cluster131.kubeconfig), "plan", "--target", "1.33", "-o", "json"],
    )

    assert result.exit_code == 0, result.output
    (cluster,) = json.loads(result.stdout)["clusters"]
    assert (cluster["name"], cluster["status"]) == ("k131", "ok")
    hops = [(s["from"], s["to"]) for s in cluster["steps"] if s["type"] == "control-plane"]
    assert [h[0].rsplit(".", 1)[0] for h in hops] == ["1.31", "1.32"]
    assert hops[0][0] == "1.31.13" and hops[-1][1].startswith("1.33.")
