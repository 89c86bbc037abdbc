"""docs/from-pluto-and-kubent.md and docs/exit-codes.md state behaviour: check it against the code.

Every kubecurrent flag the pages name exists, every output format is accepted, every exit code
has the meaning the row gives it, every JSON field exists in a real report, and every jq example
runs on a real report with the result it promises."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import jq
import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from kubecurrent.cli._exit import ExitCode, markdown_table

DOCS = Path(__file__).resolve().parents[3] / "docs"
PAGE = DOCS / "from-pluto-and-kubent.md"
REMOVED = (
    "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: shop\n"
)


def _section(title: str) -> str:
    text = PAGE.read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows(section: str) -> list[list[str]]:
    """Cells of a markdown table's body rows (``\\|`` kept inside a cell)."""
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows[1:]


def _params(*path: str) -> dict[str, click.Parameter]:
    _register()
    cmd: click.Command = root
    out = {o: p for p in root.params for o in p.opts}
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
        out.update({o: p for p in cmd.params for o in p.opts})
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real report: a removed Ingress and a file that cannot be read."""
    root_dir = tmp_path_factory.mktemp("deploy")
    (root_dir / "ingress.yaml").write_text(REMOVED)
    (root_dir / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: [\n")
    _register()
    result = CliRunner().invoke(root, ["scan", "files", str(root_dir), "-o", "json"])
    assert result.exit_code == ExitCode.FINDINGS_AND_UNREADABLE, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_the_exit_code_page_holds_the_table_the_code_makes() -> None:
    text = (DOCS / "exit-codes.md").read_text()
    begin, end = "<!-- exit-codes:begin -->\n", "<!-- exit-codes:end -->"
    assert text[text.index(begin) + len(begin) : text.index(end)] == markdown_table()


def test_every_kubecurrent_flag_and_format_exists() -> None:
    files, cluster = _params("scan", "files"), _params("scan", "cluster")
    named = []
    for row in _rows(_section("Flags")):
        cell = row[-1]
        named += re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", cell)
        for fmt in re.findall(r"`-o (\w+)`", cell):
            output = files["-o"]
            assert isinstance(output.type, click.Choice) and fmt in output.type.choices, fmt
        for value in re.findall(r"`--fail-on (\w+)`", cell):
            choice = files["--fail-on"].type
            assert isinstance(choice, click.Choice) and value in choice.choices, value
    assert {"--only-removed", "--no-headers", "--kubeconfig", "--context"} <= set(named)
    for flag in named:
        assert flag in files or flag in cluster, f"{flag} named in {PAGE.name} does not exist"
    for flag in ("--kubeconfig", "--context"):
        assert flag in cluster  # "before or after the verb"


def test_every_command_line_names_real_flags() -> None:
    for line in re.findall(r"`?(kubecurrent [^`|\n]+)", PAGE.read_text()):
        words = line.split()
        path = [w for w in words[1:3] if not w.startswith("-") and "/" not in w and "." not in w]
        params = _params(*path) if path and path[0] == "scan" else {}
        for flag in (w for w in words if w.startswith("--")):
            if params:
                assert flag in params, f"{line!r}: {flag}"


def test_exit_code_rows_say_what_the_code_does() -> None:
    meaning = {
        "nothing found": {ExitCode.OK},
        "an error": {ExitCode.ERROR, ExitCode.USAGE},
        "deprecated APIs found": {ExitCode.DEPRECATED},
        "removed APIs found": {ExitCode.REMOVED},
        "findings, and some inputs could not be read": {ExitCode.FINDINGS_AND_UNREADABLE},
        "some clusters could not be scanned": {ExitCode.PARTIAL},
    }
    rows = _rows(_section("Exit codes"))
    assert [r[0] for r in rows] == list(meaning)
    for row in rows:
        codes = {ExitCode(int(c)) for c in re.findall(r"`(\d+)`", row[-1])}
        assert codes == meaning[row[0]], row


def _path(data: Any, dotted: str) -> Any:
    for part in dotted.strip(".").split("."):
        assert isinstance(data, dict) and part in data, f"{dotted}: no {part!r}"
        data = data[part]
    return data


def test_every_json_field_exists_in_a_real_report(report: dict[str, Any]) -> None:
    finding = report["findings"][0]
    for row in _rows(_section("JSON")):
        for dotted in re.findall(r"`(\.[a-zA-Z_.]+)`", row[-1]):
            _path(finding, dotted)
    prose = _section("JSON").split("Removed APIs as")[0]
    for name in ("target", "errors", "summary"):
        assert f"`{name}`" in prose and name in report
    for name in ("objects", "removed", "deprecated", "errors"):
        assert f"`{name}`" in prose and name in report["summary"]
    assert set(report["errors"][0]) >= {"file", "line", "message"}


def _jq_programs() -> list[tuple[str, str]]:
    """(flags, program) of every ``| jq`` example that reads kubecurrent's JSON."""
    text = PAGE.read_text().replace("\\\n", "\n")
    return re.findall(
        r"kubecurrent scan files \S+ -o json\s*\|\s*jq ((?:-\w+ )*)'(.*?)'", text, re.S
    )


def test_jq_examples_run_on_a_real_report(report: dict[str, Any]) -> None:
    programs = _jq_programs()
    assert len(programs) == 3
    (flags_tsv, tsv), (flags_empty, empty), (_, pluto) = programs
    assert "-r" in flags_tsv and "-e" in flags_empty
    (line,) = jq.compile(tsv).input_value(report).all()
    file, number, kind, name, replacement = line.split("\t")
    assert file.endswith("ingress.yaml") and number == "1"
    assert (kind, name, replacement) == ("Ingress", "web", "networking.k8s.io/v1")
    assert jq.compile(empty).input_value(report).all() == [False]
    shaped = jq.compile(pluto).input_value(report).first()
    assert shaped["target-versions"] == {"k8s": report["target"]}
    (item,) = shaped["items"]
    assert item["api"]["replacement-api"] == "networking.k8s.io/v1" and item["removed"] is True
