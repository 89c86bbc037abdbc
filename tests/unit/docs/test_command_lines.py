"""README.md, docs/*.md and the code's own hints and help show kubecurrent commands: check them
against the commands themselves.

Every ``kubecurrent ...`` line of a code block (``kubectl kubecurrent`` and ``scripts/demo``
lines as the commands they run), and every command quoted in the text (``plan --target 1.37``
in backquotes), names a command that exists, flags that command accepts where they are written
(before the verb for the root's flags, after it for the command's), and values its choices
offer; a list of alternatives (``-o table|json|yaml``) leaves out no choice but the default."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from kubecurrent.cli._app import COMMANDS, _register, root
from tests.unit.docs._cli import every_option

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


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


def test_every_default_a_choices_help_names_is_a_choice() -> None:
    """``-o [json|yaml] ... [default: table]`` would name a value the flag refuses."""
    checked = 0
    for path, option in every_option():
        if not isinstance(option.type, click.Choice):
            continue
        for named in re.findall(r"\[default: ([\w-]+)\]", option.help or ""):
            checked += 1
            where = " ".join(["kubecurrent", *path, option.opts[-1]])
            assert named in option.type.choices, f"{where}: default {named} is no choice"
    assert checked > 20


def test_every_command_the_code_quotes_to_users_names_real_flags() -> None:
    """Hints, help texts and messages quote commands too (`kubecurrent rehearse --context X`)."""
    source = Path(__file__).resolve().parents[3] / "src" / "kubecurrent"
    quoted, wrong, names = 0, [], "|".join(COMMANDS)
    for file in sorted(source.rglob("*.py")):
        text = file.read_text(encoding="utf-8")
        for match in re.finditer(rf"(?<![\w/.-])(kubecurrent (?:{names})\b[^`\"'\n]*)", text):
            quoted += 1
            line = text.count("\n", 0, match.start()) + 1
            where = f"{file.relative_to(source)}:{line}: {match[1]}"
            wrong += [f"{where}\n    {p}" for p in problems(_words(match[1])[1:])]
    assert quoted > 100
    assert not wrong, "\n".join(wrong)
