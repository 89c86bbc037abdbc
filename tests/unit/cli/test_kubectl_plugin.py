"""`kubectl kubecurrent`: where kubectl's flags are taken from a plugin command line, and what
is refused before any cluster is reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.cli._kubectl import COMMANDS, PluginArgs, split_args, state_argv
from kubecurrent.errors import ClusterError, UsageError

pytestmark = pytest.mark.unit


def test_kubectl_flags_are_taken_wherever_they_stand() -> None:
    args = split_args(
        ["-n", "fleet", "approve", "r-1", "--context=mgmt", "--wave", "rest", "--kubeconfig", "k"]
    )
    assert args == PluginArgs("k", "mgmt", "fleet", "approve", ("r-1", "--wave", "rest"))


def test_every_spelling_of_the_namespace_is_understood() -> None:
    for argv in (["status", "-nfleet"], ["status", "-n=fleet"], ["status", "--namespace=fleet"]):
        assert split_args(argv).namespace == "fleet", argv
    assert split_args(["status"]).namespace is None


def test_values_of_the_rollout_options_are_passed_on_untouched() -> None:
    args = split_args(["approve", "r-1", "--note", "-n is not a namespace", "-o", "json"])
    assert args.namespace is None
    assert args.rest == ("r-1", "--note", "-n is not a namespace", "-o", "json")


def test_the_command_is_the_first_word_not_an_option_value() -> None:
    args = split_args(["-o", "json", "--as", "bob", "status", "r-1"])
    assert args.command == "status"
    assert args.rest == ("-o", "json", "--as", "bob", "r-1")


def test_after_a_double_dash_nothing_is_taken() -> None:
    args = split_args(["approve", "--", "-n", "x"])
    assert args.namespace is None and args.rest == ("--", "-n", "x")


def test_a_kubectl_flag_without_its_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--context needs a value"):
        split_args(["status", "--context"])
    with pytest.raises(UsageError, match="--namespace needs a value"):
        split_args(["status", "--namespace="])


def test_only_the_rollout_commands_that_act_on_kept_rollouts_are_offered() -> None:
    with pytest.raises(UsageError, match="no command 'start'") as caught:
        state_argv(split_args(["start", "--fleet", "f.yaml"]))
    assert caught.value.hint is not None and "approve" in caught.value.hint
    with pytest.raises(UsageError, match="name a command"):
        state_argv(split_args(["-n", "fleet"]))
    assert set(COMMANDS) >= {"approve", "status", "pause", "resume", "abort", "report"}


def test_state_is_not_the_plugins_to_take() -> None:
    with pytest.raises(UsageError, match="--state is not for it") as caught:
        state_argv(split_args(["status", "--state", "rollouts.db"]))
    assert caught.value.hint is not None
    assert "kubecurrent rollout status --state FILE" in caught.value.hint


def test_a_kubeconfig_that_is_not_there_is_named_with_where_to_look(tmp_path: Path) -> None:
    missing = tmp_path / "no-kubeconfig"
    with pytest.raises(ClusterError, match="cannot reach the management cluster") as caught:
        state_argv(split_args(["status", "--kubeconfig", str(missing)]))
    assert str(missing) in caught.value.message
    assert caught.value.hint is not None and "--context" in caught.value.hint
