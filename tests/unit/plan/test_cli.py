"""`kubecurrent plan`: sources, outputs and the documented exit codes (0 ok, 3 blocked, 2 input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root

ROOT = Path(__file__).resolve().parents[3]
BEHIND = str(ROOT / "docs/examples/planner/behind.yaml")
RETIRED = str(ROOT / "docs/examples/planner/retired.yaml")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def test_json_follows_the_contract_and_exits_0(runner: CliRunner) -> None:
    args = [
        "plan",
        "--fleet-spec",
        BEHIND,
        "--target",
        "1.36",
        "--replace",
        "ingress-nginx=envoy-gateway",
        "-o",
        "json",
    ]
    result = runner.invoke(root, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["target"] == "1.36"
    (cluster,) = data["clusters"]
    assert (cluster["name"], cluster["status"], cluster["reasons"]) == ("payments", "ok", [])
    first = cluster["steps"][0]
    assert first["order"] == 1 and {"type", "target", "from", "to", "why"} <= set(first)
    assert [s["order"] for s in cluster["steps"]] == list(range(1, len(cluster["steps"]) + 1))


def test_a_blocked_cluster_exits_3(runner: CliRunner) -> None:
    result = runner.invoke(root, ["plan", "--fleet-spec", RETIRED, "--target", "1.36"])
    assert result.exit_code == 3
    assert "blocked" in result.output and "ingress-nginx" in result.output


def test_html_is_a_self_contained_escaped_page(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "f.yaml"
    spec.write_text(
        'clusters:\n- name: a\n  kubernetes: "1.34.1"\n  nodePools:\n'
        '  - {name: "<script>x</script>", kubelet: "1.33.1", nodes: 1}\n'
    )
    result = runner.invoke(
        root, ["plan", "--fleet-spec", str(spec), "--target", "1.35", "-o", "html"]
    )
    assert result.exit_code == 0
    assert result.output.startswith("<!DOCTYPE html>")
    assert "<script>" not in result.output
    assert "&lt;script&gt;x&lt;/script&gt;" in result.output


def test_markdown_is_a_runbook_with_sign_off(runner: CliRunner) -> None:
    result = runner.invoke(
        root, ["plan", "--fleet-spec", BEHIND, "--target", "1.30", "-o", "markdown"]
    )
    assert result.exit_code == 0
    assert "### Hop 1: 1.24.9 → 1.25.16" in result.output
    assert "## Sign-off" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--fleet-spec", BEHIND, "--all-contexts"], "give one source of clusters"),
        (["plan", "--fleet-spec", BEHIND, "--inventory", "."], "give one source of clusters"),
        (["plan", "--fleet-spec", BEHIND, "--target", "2.5"], "does not know Kubernetes 2.5"),
        (["plan", "--fleet-spec", BEHIND, "--replace", "nope"], "write OLD=NEW"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(root, args)
    assert result.exit_code == 2
    assert message in result.output


def test_live_planning_without_a_kubeconfig_names_it(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-kubeconfig"
    result = runner.invoke(root, ["--kubeconfig", str(missing), "plan"])
    assert result.exit_code == 1
    assert f"cannot read kubeconfig {missing}" in result.output
