"""The README's "Conventions" say how every flag is also read from the environment: check the
rule on every option of every command, the variables shared by several commands, and that every
``KUBECURRENT_*`` variable a page names is read by the code."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import root
from tests.unit.docs._cli import every_option

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_PREFIX = "KUBECURRENT"


def _envvars(param: click.Parameter) -> list[str]:
    return [param.envvar] if isinstance(param.envvar, str) else list(param.envvar or ())


def _context(path: list[str]) -> click.Context:
    """The context click makes for the command at ``path`` (its variable prefix included)."""
    ctx = click.Context(root, info_name="kubecurrent", auto_envvar_prefix=ENV_PREFIX)
    command: click.Command = root
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = click.Context(command, info_name=name, parent=ctx)
    return ctx


def _readme_rule(path: list[str], option: click.Option) -> str:
    """The variable the README's "Conventions" names a flag by."""
    flag = next(o for o in option.opts if o.startswith("--"))
    return "_".join([ENV_PREFIX, *path, flag[2:]]).upper().replace("-", "_")


def _conventions() -> str:
    return README.split("## Conventions\n", 1)[1].split("\n## ", 1)[0]


def _shared() -> set[str]:
    """The variables the README lists as one for every command taking the flag."""
    text = _conventions().split("one variable for every command that takes them:", 1)[1]
    return set(re.findall(r"`((?:KUBECURRENT|AWS)_[A-Z_]+)`", text.split(". ", 1)[0]))


def test_every_flag_is_read_from_the_variable_the_readme_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``KUBECURRENT_<COMMAND>_<SUBCOMMAND>_<FLAG>``, or a shared variable the README lists."""
    assert "`KUBECURRENT_<COMMAND>_<SUBCOMMAND>_<FLAG>` below them" in README
    shared, checked = _shared(), 0
    for path, option in every_option():
        if option.name == "version" and not path:
            continue  # typed only: see the next test
        declared = _envvars(option)
        names = declared if set(declared) & shared else [_readme_rule(path, option)]
        for name in names:
            monkeypatch.setenv(name, "from-the-environment")
            assert option.resolve_envvar_value(_context(path)) == "from-the-environment", (
                f"{' '.join(['kubecurrent', *path])} {option.opts[-1]}: {name} is not read"
            )
            monkeypatch.delenv(name)
            checked += 1
    assert checked > 300


def test_the_readme_lists_every_shared_variable() -> None:
    declared = {
        name
        for path, option in every_option()
        for name in _envvars(option)
        if name != _readme_rule(path, option)
    }
    assert _shared() == declared


def test_kubecurrent_version_in_the_environment_runs_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--version`` ends the run: a variable that happens to be called KUBECURRENT_VERSION
    (the version a pipeline builds) must not turn every command into it."""
    monkeypatch.setenv("KUBECURRENT_VERSION", "1")
    result = CliRunner().invoke(root, ["catalog", "show", "releases", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert "kubecurrent, version" not in result.output and "1.37" in result.output


def _read_by_code() -> set[str]:
    """Variable names the code and the test harness spell out (``os.environ[...]``, ...)."""
    names = set()
    for tree in ("src", "tests", "scripts", "bench"):
        for file in (ROOT / tree).rglob("*.py"):
            if file != Path(__file__):
                names |= set(re.findall(r"\b(KUBECURRENT_[A-Z0-9_]*[A-Z0-9])\b", file.read_text()))
    return names


def test_every_variable_a_page_names_is_read() -> None:
    known = _read_by_code()
    for path, option in every_option():
        known |= {_readme_rule(path, option), *_envvars(option)}
    unknown = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for name in re.findall(r"\bKUBECURRENT_[A-Z0-9_]*[A-Z0-9]\b", line):
                if name not in known:
                    unknown.append(f"{page.name}:{number}: {name}")
    assert not unknown, "variables no code reads:\n" + "\n".join(unknown)


def test_a_variable_named_after_the_parameter_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the rule held, ``scan files --from`` was read from ..._FROM_VERSION (the README
    said so): that name keeps working, the flag's own name wins."""
    (option,) = [
        o for path, o in every_option() if path == ["scan", "files"] and o.name == "from_version"
    ]
    monkeypatch.setenv("KUBECURRENT_SCAN_FILES_FROM_VERSION", "1.35")
    assert option.resolve_envvar_value(_context(["scan", "files"])) == "1.35"
    monkeypatch.setenv("KUBECURRENT_SCAN_FILES_FROM", "1.34")
    assert option.resolve_envvar_value(_context(["scan", "files"])) == "1.34"
