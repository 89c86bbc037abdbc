"""Runner options recorded with a rollout: what resume/approve run with, and what they change."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from kubecurrent.cli._rollout_options import given
from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    ClusterRef,
    RunnerSettings,
    Store,
    Strategy,
    create,
    pause,
    runner_options,
    settings_json,
)
from kubecurrent.runner import DEFAULTS, from_values, in_force, run_settings, to_values


def test_a_record_is_plain_json_with_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "charts").mkdir()
    (tmp_path / "ca.pem").write_text("x")
    values = {
        **DEFAULTS,
        "today": dt.datetime(2026, 11, 25),
        "extra": ("extra.yaml",),
        "prometheus_ca": Path("ca.pem"),
        "health_query": ("up == 1", "sum(x) > 0"),
        "addon_chart": {
            "local": "charts/agent-{version}",
            "dotted": "./agent.tgz",
            "repo": "bitnami/nginx",
            "oci": "oci://registry.example/charts/agent",
        },
    }
    settings = from_values(values)
    record = settings_json(settings)
    assert json.loads(json.dumps(record)) == record
    assert record["today"] == "2026-11-25"
    assert record["extra"] == [str(tmp_path / "extra.yaml")]
    assert record["prometheus_ca"] == str(tmp_path / "ca.pem")
    assert record["health_query"] == ["up == 1", "sum(x) > 0"]
    assert record["addon_chart"] == {
        "dotted": str(tmp_path / "agent.tgz"),
        "local": str(tmp_path / "charts" / "agent-{version}"),
        "oci": "oci://registry.example/charts/agent",
        "repo": "bitnami/nginx",
    }
    back = to_values(settings)
    assert back["today"] == dt.datetime(2026, 11, 25)
    assert back["prometheus_ca"] == tmp_path / "ca.pem"
    assert back["health_query"] == ("up == 1", "sum(x) > 0")
    assert from_values(back) == settings


def test_recorded_options_win_unless_given_again() -> None:
    recorded = RunnerSettings(
        helm_timeout=600.0, health_query=("up == 1",), prometheus_url="http://prom:9090"
    )
    command_line = dict(DEFAULTS)  # approve run without any runner flag
    assert in_force(recorded, command_line, explicit=set()) == recorded

    command_line = {**DEFAULTS, "helm_timeout": 900.0, "gate_timeout": 180.0}
    settings = in_force(recorded, command_line, explicit={"helm_timeout", "gate_timeout"})
    assert settings.helm_timeout == 900.0
    assert settings.health_query == ("up == 1",)  # still the recorded gate
    # the same gate timeout given again is no change: only helm_timeout differs
    assert settings == replace(recorded, helm_timeout=900.0)


def test_a_rollout_recorded_before_options_were_kept_records_them_now() -> None:
    settings = in_force(None, {**DEFAULTS, "provider": "sandbox"}, explicit={"provider"})
    assert settings == RunnerSettings(provider="sandbox")


def test_given_counts_the_command_line_and_the_environment_not_defaults() -> None:
    seen: dict[str, set[str]] = {}

    @click.command()
    @click.option("--helm-timeout", type=float, default=300.0)
    @click.option("--gate-timeout", type=float, default=180.0)
    @click.option("--provider", default="auto")
    def cmd(**_: object) -> None:
        seen["given"] = given(click.get_current_context())

    result = CliRunner().invoke(
        cmd, ["--helm-timeout", "5"], env={"KC_PROVIDER": "sandbox"}, auto_envvar_prefix="KC"
    )
    assert result.exit_code == 0, result.output
    assert seen["given"] == {"helm_timeout", "provider"}


def test_a_recorded_gate_that_no_longer_makes_sense_is_refused_by_name() -> None:
    recorded = RunnerSettings(health_query=("up == 1",))  # no Prometheus URL
    with pytest.raises(UsageError, match="--health-query needs --prometheus-url"):
        run_settings(recorded, lambda _m: None)


def test_status_shows_what_the_rollout_runs_with(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    rid = create(
        Store(state),
        clusters=[ClusterRef("dev", labels={"env": "dev"})],
        target="1.37.2",
        strategy=Strategy.model_validate({"waves": [{"name": "all"}]}),
        fleet="fleet.yaml",
        actor="ann",
        now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        runner=RunnerSettings(helm_timeout=600.0, provider="sandbox"),
    )
    _register()
    shown = CliRunner().invoke(root, ["rollout", "status", rid, "--state", str(state)])
    assert shown.exit_code == 0, shown.output
    assert "run with:" in shown.output
    assert "helm-timeout=600.0" in shown.output and "provider=sandbox" in shown.output


def test_resume_with_a_new_value_records_it_old_to_new(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    store = Store(state)
    rid = create(
        store,
        clusters=[ClusterRef("gone", kubeconfig=tmp_path / "missing-kubeconfig")],
        target="1.37.2",
        strategy=Strategy.model_validate({"waves": [{"name": "all"}]}),
        fleet="fleet.yaml",
        actor="ann",
        now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
        runner=RunnerSettings(provider="none"),
    )
    pause(store, rid, "ann", dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
    _register()
    args = ["rollout", "resume", rid, "--state", str(state), "--helm-timeout", "600", "--as", "bob"]
    done = CliRunner().invoke(root, args)
    # The one cluster cannot be reached (its kubeconfig is missing): it fails and, with no
    # failure budget, the rollout halts. What matters here is what was recorded before.
    assert done.exit_code == 4, done.output
    assert f"rollout {rid}: recorded new runner options (--helm-timeout)" in done.output
    assert runner_options(store, rid) == RunnerSettings(provider="none", helm_timeout=600.0)
    # provider kept: not given again
    notes = [(e.actor, e.detail) for e in store.journal(rid)]
    assert ("bob", "runner options changed: helm_timeout: 300.0 → 600.0") in notes
