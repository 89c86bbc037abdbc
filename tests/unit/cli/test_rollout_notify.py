"""``rollout start`` reads the notification secrets before anything is recorded: a missing one
stops it (dry run or not) naming the setting, and no state file is made."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_missing_notification_secret_stops_the_start(tmp_path: Path, dry_run: bool) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n- {name: a, kubeconfig: /nonexistent/kc, context: a}\n")
    strategy = tmp_path / "s.yaml"
    strategy.write_text("waves: [{name: all}]\nnotify: {teams: [{url: {file: /nonexistent/t}}]}\n")
    state = tmp_path / "r.db"
    _register()
    args = ["rollout", "start", "--fleet", str(fleet), "--target", "1.36"]
    args += ["--strategy", str(strategy), "--state", str(state), *(["--dry-run"] * dry_run)]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 2, result.output
    assert "notify.teams[0].url: cannot read the file /nonexistent/t" in result.output
    assert not state.exists()
