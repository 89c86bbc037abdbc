"""The opt-in token webhook reaches the API server's command line, and only when asked for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kubecurrent.sandbox import SandboxState
from kubecurrent.sandbox._control_plane import apiserver_command

_PORTS = {"etcd": 1, "etcd_peer": 2, "apiserver": 3, "controller_manager": 4, "scheduler": 5}


def _state(webhook: Path | None) -> SandboxState:
    return SandboxState(
        name="eks",
        version="v1.36.3",
        created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        ports=_PORTS,
        pools=[],
        token_webhook_config=webhook,
    )


def test_without_the_setting_no_webhook_flag_is_passed() -> None:
    argv = apiserver_command(Path("/bin/kube-apiserver"), Path("/pki"), _state(None))
    assert not [a for a in argv if "token-webhook" in a]
    assert "--secure-port=3" in argv


def test_the_webhook_config_file_and_v1_reviews_are_passed(tmp_path: Path) -> None:
    config = tmp_path / "webhook.kubeconfig"
    argv = apiserver_command(Path("/bin/kube-apiserver"), Path("/pki"), _state(config))
    assert f"--authentication-token-webhook-config-file={config}" in argv
    assert "--authentication-token-webhook-version=v1" in argv
    assert "--client-ca-file=/pki/ca.crt" in argv  # certificates keep working beside tokens


def test_the_setting_survives_the_state_file_round_trip(tmp_path: Path) -> None:
    # upgrade and recovery restart the API server from state.json: the flag must come back.
    state = _state(tmp_path / "webhook.kubeconfig")
    again = SandboxState.model_validate_json(state.model_dump_json())
    assert again.token_webhook_config == tmp_path / "webhook.kubeconfig"
    assert (
        SandboxState.model_validate_json(_state(None).model_dump_json()).token_webhook_config
        is None
    )
