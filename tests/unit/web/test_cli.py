"""``kubecurrent serve`` refuses bad input before it listens, naming the input and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from kubecurrent.cli._options import GlobalOptions
from kubecurrent.cli.serve import _targets
from kubecurrent.errors import ClusterError, UsageError
from kubecurrent.runner import DEFAULTS, RecordedRunners
from kubecurrent.web._auth import verify_password

ENV = {
    "KUBECURRENT_SERVE_OPERATOR_TOKEN": "",
    "KUBECURRENT_SERVE_VIEWER_TOKEN": "",
    "KUBECURRENT_SERVE_SESSION_KEY": "",
}


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def serve(runner: CliRunner, tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    inventory = tmp_path / "inv"
    inventory.mkdir(exist_ok=True)
    (inventory / "c1.json").write_text('{"name": "c1", "controlPlane": "1.35.2"}')
    audit = str(tmp_path / "audit.jsonl")
    base = ["serve", "--inventory", str(inventory), "--audit-log", audit]
    result = runner.invoke(root, [*base, *args], env=ENV | env)
    return result.exit_code, result.output


def test_a_bad_listen_address(runner: CliRunner, tmp_path: Path) -> None:
    code, out = serve(runner, tmp_path, "--listen", "localhost")
    assert code == 2 and "--listen 'localhost': write HOST:PORT" in out


def test_a_public_address_without_a_tls_proxy(runner: CliRunner, tmp_path: Path) -> None:
    code, out = serve(runner, tmp_path, "--listen", "0.0.0.0:8080")
    assert code == 2 and "refusing to listen on 0.0.0.0" in out and "--behind-tls-proxy" in out


def test_nobody_could_log_in(runner: CliRunner, tmp_path: Path) -> None:
    code, out = serve(runner, tmp_path)
    assert code == 2 and "no users file and no token" in out
    assert "KUBECURRENT_SERVE_OPERATOR_TOKEN" in out


def test_a_bad_users_file_is_named(runner: CliRunner, tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("users: [{name: a, role: operator, passwordHash: secret}]")
    code, out = serve(runner, tmp_path, "--users", str(users))
    assert code == 2 and str(users) in out and "user a: passwordHash" in out


def test_a_short_token_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    code, out = serve(runner, tmp_path, KUBECURRENT_SERVE_OPERATOR_TOKEN="short")
    assert code == 2 and "operator token is shorter than 16" in out


def test_hash_password_prints_a_hash_the_users_file_accepts(runner: CliRunner) -> None:
    result = runner.invoke(root, ["serve", "--hash-password"], input="pw-123456\npw-123456\n")
    assert result.exit_code == 0
    assert verify_password("pw-123456", result.output.strip().splitlines()[-1])


def test_serve_takes_the_rollout_runner_flags_and_refuses_bad_ones_at_start(
    tmp_path: Path,
) -> None:
    chart = tmp_path / "charts"
    chart.mkdir()
    runners = RecordedRunners.checked(
        {
            "provider": "sandbox",
            "helm_timeout": 120.0,
            "addon_chart": {"demo": f"{chart}/demo-{{version}}"},
            "extra": (),
        }
    )
    record = runners.record()
    assert record.provider == "sandbox" and record.helm_timeout == 120.0
    assert record.charts == {"demo": f"{chart}/demo-{{version}}"}
    assert record.today is None  # a server judges each day as it comes
    assert record.gate_timeout == DEFAULTS["gate_timeout"]
    with pytest.raises(UsageError, match="--health-query needs --prometheus-url"):
        RecordedRunners.checked({"health_query": ("up == 1",)})


def test_on_a_management_clusters_store_without_a_kubeconfig_there_are_no_live_clusters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dashboard on a management cluster (`serve --state k8s://…/NS`) given no clusters takes
    the namespace's MemberClusters (None here: no live targets of its own) and leaves driving to
    the controller; with --context it collects that context as before."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    opts = GlobalOptions()
    assert _targets(opts, None, None, {}, "k8s:///fleet") is None
    with pytest.raises(ClusterError, match="cannot read kubeconfig"):
        _targets(opts, None, None, {}, None)  # a file store still needs the clusters
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: mgmt\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts: [{name: mgmt, context: {cluster: c, user: u}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(config))
    assert _targets(opts, None, None, {}, "k8s://mgmt/fleet") is None  # its MemberClusters
    found = _targets(GlobalOptions(context="mgmt"), None, None, {}, "k8s://mgmt/fleet")
    assert found is not None and [t.name for t in found] == ["mgmt"]


def test_a_test_session_keeps_rollouts_out_of_the_users_state_file(
    runner: CliRunner, tmp_path: Path, session_state_file: Path
) -> None:
    """``serve`` without ``--state`` opens the state file it would use for a user (creating it):
    in a test session that is the session's own (tests/conftest.py), never ~/.local/state."""
    users = Path.home() / ".local" / "state" / "kubecurrent" / "rollouts.db"
    existed = users.exists() and users.stat().st_mtime_ns
    serve(runner, tmp_path)
    assert session_state_file.exists()
    assert (users.exists() and users.stat().st_mtime_ns) == existed
