"""The global flags, as kubectl takes them: before the verb or after it, one definition each."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: only-here
  context: {cluster: c, user: u}
current-context: only-here
"""
READS_A_KUBECONFIG = (
    ("scan", "cluster"),
    ("inventory",),
    ("plan",),
    ("upgrade",),
    ("rollout", "start"),
    ("gitops", "propose"),
    ("serve",),
    ("rehearse",),
)


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    return path


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], click.Command]:
    out: dict[tuple[str, ...], click.Command] = {}
    for name, cmd in group.commands.items():
        out[(*prefix, name)] = cmd
        if isinstance(cmd, click.Group):
            out.update(_commands(cmd, (*prefix, name)))
    return out


@pytest.mark.parametrize("command", [("scan", "cluster"), ("inventory",)])
def test_kubeconfig_after_the_verb_is_read(
    runner: CliRunner, kubeconfig: Path, command: tuple[str, ...]
) -> None:
    """The file named after the verb is the one read: its only context is listed as known."""
    for args in (
        [*command, "--kubeconfig", str(kubeconfig), "--context", "nope"],
        ["--kubeconfig", str(kubeconfig), *command, "--context", "nope"],
    ):
        result = runner.invoke(root, args)
        assert result.exit_code == 2, result.output
        assert "no such kubeconfig context: nope" in result.output
        assert "known: only-here" in result.output


def test_a_flag_after_the_verb_wins_over_one_before(
    runner: CliRunner, kubeconfig: Path, tmp_path: Path
) -> None:
    args = ["--kubeconfig", str(tmp_path / "absent"), "scan", "cluster"]
    result = runner.invoke(root, [*args, "--kubeconfig", str(kubeconfig), "--context", "nope"])
    assert "known: only-here" in result.output


def test_kubeconfig_from_the_environment(runner: CliRunner, kubeconfig: Path) -> None:
    result = runner.invoke(
        root,
        ["scan", "cluster", "--context", "nope"],
        env={"KUBECURRENT_KUBECONFIG": str(kubeconfig)},
    )
    assert "known: only-here" in result.output


def test_every_command_that_reads_a_kubeconfig_takes_the_one_definition(
    runner: CliRunner,
) -> None:
    commands = _commands(root)
    root_param = next(p for p in root.params if p.name == "kubeconfig")
    for path in READS_A_KUBECONFIG:
        params = [p for p in commands[path].params if "--kubeconfig" in p.opts]
        assert len(params) == 1, path
        (param,) = params
        assert isinstance(param, click.Option) and isinstance(root_param, click.Option)
        assert (param.help, param.envvar, param.expose_value) == (
            root_param.help,
            root_param.envvar,
            False,
        ), path
        assert "--kubeconfig" in runner.invoke(root, [*path, "--help"]).output, path


def test_output_is_accepted_before_and_after_the_verb(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    before = runner.invoke(root, ["-o", "json", "scan", "files", str(f)])
    after = runner.invoke(root, ["scan", "files", str(f), "-o", "json"])
    assert before.exit_code == after.exit_code == 0
    assert before.stdout == after.stdout and before.stdout.startswith("{")


def test_commands_reading_one_context_take_the_shared_context_flag() -> None:
    commands = _commands(root)
    root_param = next(p for p in root.params if "--context" in p.opts)
    assert isinstance(root_param, click.Option)
    for path in (("upgrade",), ("serve",), ("rehearse",)):
        (param,) = [p for p in commands[path].params if "--context" in p.opts]
        assert isinstance(param, click.Option)
        assert (param.name, param.help, param.envvar) == (
            root_param.name,
            root_param.help,
            root_param.envvar,
        ), path


def test_a_flag_before_the_verb_beats_the_environment(
    runner: CliRunner, kubeconfig: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        root,
        ["--kubeconfig", str(kubeconfig), "scan", "cluster", "--context", "nope"],
        env={"KUBECURRENT_KUBECONFIG": str(tmp_path / "absent")},
    )
    assert "known: only-here" in result.output, result.output
