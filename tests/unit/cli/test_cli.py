"""The command line: global flags, output formats, errors with hints and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent import __version__
from kubecurrent.cli._app import _register, root


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def test_version_in_text_and_json(runner: CliRunner) -> None:
    assert runner.invoke(root, ["version"]).output.strip() == f"kubecurrent {__version__}"
    for args in (["-o", "json", "version"], ["version", "-o", "json"]):
        assert json.loads(runner.invoke(root, args).output)["version"] == __version__


def test_errors_print_message_and_hint_with_their_exit_code(
    runner: CliRunner, tmp_path: Path
) -> None:
    env = {"KUBECURRENT_SANDBOX_HOME": str(tmp_path)}
    result = runner.invoke(root, ["sandbox", "down", "--name", "ghost"], env=env)
    assert result.exit_code == 1
    assert "error: no sandbox named 'ghost'" in result.output
    assert "hint: see `kubecurrent sandbox list`" in result.output

    bad = runner.invoke(root, ["sandbox", "up", "--name", "Bad_Name"], env=env)
    assert bad.exit_code == 2
    assert "'Bad_Name' is not a valid sandbox name" in bad.output


def test_flags_are_readable_from_the_environment(runner: CliRunner) -> None:
    result = runner.invoke(root, ["version"], env={"KUBECURRENT_OUTPUT": "json"})
    assert json.loads(result.output)["version"] == __version__


def test_fleet_file_errors_name_the_file(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "fleet.yaml"
    spec.write_text(
        "name: x\nclusters:\n  - {name: a, version: '1.36'}\n  - {name: a, version: '1.36'}\n"
    )
    result = runner.invoke(
        root,
        ["sandbox", "fleet", "up", "--file", str(spec)],
        env={"KUBECURRENT_SANDBOX_HOME": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert f"fleet file {spec}: cluster 'a' appears twice" in result.output
    missing = runner.invoke(root, ["sandbox", "fleet", "up", "--file", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--health-query", "up == 1"], "--health-query needs --prometheus-url"),
        (["--prometheus-url", "http://p:9090"], "need --health-query"),
        (["--prometheus-url", "p:9090", "--health-query", "up"], "is not an http:// or https://"),
        (["--health-query", " "], "a PromQL query cannot be empty"),
    ],
)
def test_upgrade_refuses_incomplete_promql_flags_before_touching_the_cluster(
    runner: CliRunner, args: list[str], said: str
) -> None:
    result = runner.invoke(root, ["upgrade", "--context", "nowhere", *args])
    assert result.exit_code == 2, result.output
    assert said in result.output


def test_health_queries_from_the_environment_are_one_per_line() -> None:
    import click

    from kubecurrent.cli._options import promql_options

    seen: dict[str, object] = {}

    @click.command()
    @promql_options
    def probe(**flags: object) -> None:
        seen.update(flags)

    env = {"KUBECURRENT_PROBE_HEALTH_QUERY": 'sum(up{job="a"}) >= 1\nrate(x[5m]) > 0\n'}
    result = CliRunner().invoke(probe, [], env=env, auto_envvar_prefix="KUBECURRENT_PROBE")
    assert result.exit_code == 0, result.output
    assert seen["health_query"] == ('sum(up{job="a"}) >= 1', "rate(x[5m]) > 0")


def test_rollout_start_refuses_incomplete_promql_flags_before_recording_anything(
    runner: CliRunner, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n- {name: a, kubeconfig: /nonexistent, context: a}\n")
    state = tmp_path / "rollouts.db"
    args = ["rollout", "start", "--fleet", str(fleet), "--target", "1.36", "--state", str(state)]
    result = runner.invoke(root, [*args, "--health-query", "up == 1"])
    assert result.exit_code == 2, result.output
    assert "--health-query needs --prometheus-url" in result.output
    listed = runner.invoke(root, ["rollout", "list", "--state", str(state), "-o", "json"])
    assert json.loads(listed.output) == []
