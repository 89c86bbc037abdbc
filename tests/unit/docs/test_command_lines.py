"""README.md and docs/*.md show kubecurrent commands and name its environment variables: check
them against the commands themselves.

Every ``kubecurrent ...`` line of a code block, and every command quoted in the text (such as
``plan --target 1.37`` in backquotes), names a command that exists, flags each of those commands accepts where they are
written (before the verb for the root's flags, after it for the command's), and ``-o`` formats
the command offers. Every ``KUBECURRENT_*`` variable a page names is read by the code, every
flag is read from the variable the README's rule names it by, and the README lists the
variables shared by several commands."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import kubecurrent.catalog as catalog
from kubecurrent.cli._app import COMMANDS, _register, root

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_PREFIX = "KUBECURRENT"


@dataclass(frozen=True)
class Written:
    """A command line as a page writes it."""

    page: str
    line: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {' '.join(self.words)}"


def _words(text: str) -> tuple[str, ...]:
    """The words of a command, its brackets and alternatives (``[-o json|yaml]``) kept."""
    text = re.sub(r'"\$\([^)]*\)"', "VALUE", text.split(" #", 1)[0])  # "$(kubecurrent ...)"
    text = re.split(r" \| | > | < | && |; ", text, maxsplit=1)[0].replace("\\|", "|")
    return tuple(w.strip("[]()…,;") for w in text.split() if w.strip("[]()…,;"))


def _logical_lines(body: str) -> Iterator[tuple[int, str]]:
    """(offset, line) of a code block, comments cut, a line ending in ``\\`` or followed by
    indented ``[--flag ...]`` lines (a synopsis) joined with them."""
    lines = [line.split(" #", 1)[0].rstrip() for line in body.splitlines()]
    i = 0
    while i < len(lines):
        first, line = i, lines[i].strip()
        while i + 1 < len(lines) and (line.endswith("\\") or re.match(r"\s+\[?-", lines[i + 1])):
            i += 1
            line = line.removesuffix("\\") + " " + lines[i].strip()
        yield first, line
        i += 1


def _plugin(words: tuple[str, ...]) -> tuple[str, ...]:
    """A ``kubectl kubecurrent`` command's words without the plugin's own flags (where it acts),
    as the ``kubecurrent rollout`` command it runs."""
    own, kept, words_left = {"-n", "--namespace", "--context", "--kubeconfig"}, [], list(words)
    while words_left:
        word = words_left.pop(0)
        if word in own:
            words_left.pop(0)
        elif word.split("=", 1)[0] not in own:
            kept.append(word)
    return tuple(kept)


def written_commands() -> Iterator[Written]:
    """Lines of code blocks starting ``kubecurrent`` (or ``kubectl kubecurrent``, the plugin) and
    quoted spans starting ``kubecurrent`` or a command's name."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        blocks = re.finditer(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)
        in_blocks = [(m.start(1), m.end(1)) for m in blocks]
        for start, end in in_blocks:
            for offset, line in _logical_lines(text[start:end]):
                line = line.removeprefix("$ ")
                first = text.count("\n", 0, start) + 1 + offset
                if line.startswith("kubecurrent "):
                    yield Written(page.name, first, _words(line)[1:])
                elif line.startswith("scripts/demo "):  # passes its arguments to the command
                    yield Written(page.name, first, ("demo", *_words(line)[1:]))
                elif line.startswith("kubectl kubecurrent "):
                    yield Written(page.name, first, ("rollout", *_plugin(_words(line)[2:])))
        for span in re.finditer(r"(?<!`)`([^`\n]+)`(?!`)", text):
            if any(start <= span.start() < end for start, end in in_blocks):
                continue
            words = _words(span[1])
            if words[:1] == ("kubecurrent",):
                words = words[1:]
            elif words[:1] == ("scripts/demo",):
                words = ("demo", *words[1:])
            elif not words or words[0] not in COMMANDS:
                continue
            yield Written(page.name, text.count("\n", 0, span.start()) + 1, words)


def _options(command: click.Command) -> dict[str, click.Parameter]:
    return {o: p for p in command.params for o in [*p.opts, *p.secondary_opts]}


def _choices(param: click.Parameter, flag: str, value: str, where: str) -> list[str]:
    """``--provider eks``, ``-o json|yaml``: each value a choice of the flag (a placeholder
    such as ``MODE`` is not checked), and alternatives list every choice but the default (or
    end with ``...``)."""
    if not isinstance(param.type, click.Choice) or (value.isupper() and "|" not in value):
        return []
    written = [v for v in value.split("|") if v and v not in ("...", "…")]
    choices = list(param.type.choices)
    wrong = [f"{flag} {v}: not one of {choices} of `{where}`" for v in written if v not in choices]
    left_out = set(choices) - set(written) - {"table", param.default}  # the default may go
    if len(written) > 1 and left_out and not re.search(r"\.\.\.|…", value):
        wrong.append(f"{flag} {value}: `{where}` also takes {sorted(left_out)}")
    return wrong


def problems(words: tuple[str, ...]) -> list[str]:
    """Walk ``words`` as click would (a flag belongs to the command it follows): what is wrong."""
    command: click.Command = root
    path: list[str] = []
    found = []
    options = _options(root)
    words_left = list(words)
    while words_left:
        word = words_left.pop(0)
        if word.startswith("-"):
            flag = word.split("=", 1)[0]
            if flag in ("-h", "--help") or not re.fullmatch(r"--?[a-z][a-z0-9-]*", flag):
                continue
            param = options.get(flag)
            where = " ".join(["kubecurrent", *path])
            if param is None:
                found.append(f"{flag} is not a flag of `{where}`")
                continue
            takes_value = isinstance(param, click.Option) and not param.is_flag
            if takes_value and "=" not in word and words_left:
                value = words_left.pop(0)
                found += _choices(param, flag, value, where)
            continue
        if isinstance(command, click.Group):
            sub = command.get_command(click.Context(command), word)
            if sub is None:
                if word.isidentifier() and word.islower() and not path:
                    found.append(f"`kubecurrent {word}` is no command")
                break
            command, path = sub, [*path, word]
            options = _options(command)
    return found


@pytest.fixture(scope="module", autouse=True)
def every_command_loaded() -> None:
    _register()


def test_command_lines_are_found_on_every_page_that_shows_commands() -> None:
    found = list(written_commands())
    assert len(found) > 150
    assert {w.page for w in found} >= {"README.md", "rollout.md", "upgrade.md", "planner.md"}


def test_every_written_command_line_names_real_flags_and_formats() -> None:
    wrong = [f"{w}\n    {p}" for w in written_commands() for p in problems(w.words)]
    assert not wrong, "\n".join(wrong)


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


def _flags() -> Iterator[tuple[list[str], click.Option]]:
    """(command path, option) of every option with a long flag, on every command."""
    pending: list[tuple[list[str], click.Command]] = [([], root)]
    while pending:
        path, command = pending.pop()
        for param in command.params:
            if isinstance(param, click.Option) and any(o.startswith("--") for o in param.opts):
                yield path, param
        if isinstance(command, click.Group):
            pending += [([*path, name], sub) for name, sub in command.commands.items()]


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
    for path, option in _flags():
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
        for path, option in _flags()
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
    for path, option in _flags():
        known |= {_readme_rule(path, option), *_envvars(option)}
    unknown = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for name in re.findall(r"\bKUBECURRENT_[A-Z0-9_]*[A-Z0-9]\b", line):
                if name not in known and not name.endswith("_"):
                    unknown.append(f"{page.name}:{number}: {name}")
    assert not unknown, "variables no code reads:\n" + "\n".join(unknown)


def test_the_readme_states_the_sandbox_builds_default() -> None:
    from kubecurrent import sandbox

    (line,) = [ln for ln in README.splitlines() if ln.startswith("kubecurrent sandbox build [")]
    assert line.endswith(f"default {', '.join(sandbox.DEFAULT_BUILD)}"), line


def test_the_readme_counts_the_catalogs_add_ons() -> None:
    (count,) = re.findall(r"(\d+) add-ons with the Kubernetes range", README)
    assert int(count) == len(list((catalog.data_dir() / "addons").glob("*.yaml")))


def test_the_readme_names_every_provider_the_executor_has() -> None:
    (listed,) = re.findall(r"\*\*the executor\*\* \(providers: ([^)]+)\)", README)
    names = {"the sandbox": "sandbox", "Cluster API": "cluster-api"}
    written = {names.get(n, n.lower()) for n in listed.split(", ")}
    (upgrade,) = [p for p in root.commands["upgrade"].params if p.name == "provider"]
    assert isinstance(upgrade.type, click.Choice)
    assert written == set(upgrade.type.choices) - {"auto", "kubeadm", "none"}  # a runbook, none


def test_every_default_a_choices_help_names_is_a_choice() -> None:
    """``-o [json|yaml] ... [default: table]`` would name a value the flag refuses."""
    checked = 0
    for path, option in _flags():
        if not isinstance(option.type, click.Choice):
            continue
        for named in re.findall(r"\[default: ([\w-]+)\]", option.help or ""):
            checked += 1
            where = " ".join(["kubecurrent", *path, option.opts[-1]])
            assert named in option.type.choices, f"{where}: default {named} is no choice"
    assert checked > 20


def test_the_readme_draws_the_layers_of_the_import_contract() -> None:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        c["layers"] for c in contract["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    expected = [
        sorted(part.strip(" ()").removeprefix("kubecurrent.") for part in layer.split("|"))
        for layer in layers
    ]
    text = " ".join(README.split("- Layout:", 1)[1].split("(the HTML templates", 1)[0].split())
    drawn = [sorted(re.findall(r"`(\w+)`", step)) for step in text.split("→")]
    assert drawn == expected
