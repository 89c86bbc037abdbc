"""The command registry: ``--help`` lists every command without importing any, each command
loads on use with the summary written once in the registry."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import click
from click.testing import CliRunner

import kubecurrent.cli
from kubecurrent.cli._app import COMMANDS, load_command, root


def test_help_lists_every_command_without_importing_one() -> None:
    probe = (
        "import sys\n"
        "from kubecurrent.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('kubecurrent.cli.')"
        " and not m.startswith('kubecurrent.cli._'))\n"
        "heavy = sorted(m for m in ('rich', 'pydantic', 'yaml', 'lightkube', 'jinja2', 'httpx')"
        " if m in sys.modules)\n"
        "print('LOADED', loaded, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "LOADED [] []" in out
    for name, entry in COMMANDS.items():
        assert f"  {name} " in out
        assert entry.summary[:40] in " ".join(out.split())


def test_every_command_module_is_registered_and_loads_with_its_summary() -> None:
    modules = {
        f"kubecurrent.cli.{m.name}"
        for m in pkgutil.iter_modules(kubecurrent.cli.__path__)
        if not m.name.startswith("_")
    }
    assert modules == {entry.module for entry in COMMANDS.values()}
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert isinstance(command, click.Command)
        assert command.name == name
        assert command.get_short_help_str(limit=200) == entry.summary


def test_a_command_runs_and_shows_its_own_help_when_loaded_lazily() -> None:
    result = CliRunner().invoke(root, ["scan", "--help"])
    assert result.exit_code == 0
    assert "files" in result.output and "cluster" in result.output
    unknown = CliRunner().invoke(root, ["scna"])
    assert unknown.exit_code == 2 and "No such command 'scna'" in unknown.output


def test_version_flag_prints_the_installed_version() -> None:
    from kubecurrent import __version__

    result = CliRunner().invoke(root, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kubecurrent, version {__version__}"
