"""Names from manifests cannot break the reports: XML stays valid, URIs are encoded, escapes show.

Issue #18: a ``\\x01`` in a name made the JUnit file invalid XML; SARIF URIs were not
percent-encoded; terminal escape sequences from a manifest reached the terminal raw.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from kubecurrent.display import visible, visible_line

HOSTILE = (
    "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n"
    '  name: "job\\u0001\\u001b[31mred\\u0007"\n  namespace: team\n'
)


def scan(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", "--target", "1.37", *args])


def test_junit_stays_well_formed_xml_with_control_characters(tmp_path: Path) -> None:
    (tmp_path / "cron.yaml").write_text(HOSTILE)
    result = scan(str(tmp_path), "-o", "junit")
    body = result.stdout.split("\n", 1)[1]
    junit = ET.fromstring(body)  # noqa: S314 - our own output; raised on \x01 before
    names = [case.get("name", "") for case in junit.iter("testcase")]
    assert any("job\\x01\\x1b[31mred\\x07" in n for n in names), names
    assert "\x1b" not in result.stdout and "\x01" not in result.stdout


def test_sarif_uris_are_percent_encoded(tmp_path: Path) -> None:
    odd = tmp_path / "my dir#1" / "100%:app.yaml"
    odd.parent.mkdir()
    odd.write_text(HOSTILE)
    result = scan(str(tmp_path), "-o", "sarif")
    sarif = json.loads(result.stdout)
    uris = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
        for loc in r["locations"]
    ]
    assert uris and all(" " not in u and "#1" not in u for u in uris), uris
    assert any(u.endswith("my%20dir%231/100%25%3Aapp.yaml") for u in uris), uris


def test_visible_escapes_controls_and_keeps_text() -> None:
    assert visible("a\tb\nc\x1b[2J\x7f\x85") == "a\tb\nc\\x1b[2J\\x7f\\x85"
    assert visible_line("a\tb\nc") == "a\\x09b\\x0ac"
    assert visible("naïve [bold]x[/]") == "naïve [bold]x[/]"


MARKUP_AND_OSC = (
    "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n"
    '  name: "a\\e]0;pwn\\a[red]x[/red]"\n  namespace: "n\\e[31m"\n'
)


def test_table_cells_show_escapes_and_keep_brackets(tmp_path: Path) -> None:
    """A name with an OSC title sequence (ESC ... BEL) and rich markup, in table and wide."""
    (tmp_path / "ing.yaml").write_text(MARKUP_AND_OSC)
    for wide in ([], ["-o", "wide"]):
        result = scan(str(tmp_path / "ing.yaml"), *wide)
        assert result.exit_code == 4, result.output  # removed API found
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout
        assert "Ingress n\\x1b[31m/a\\x1b]0;pwn\\x07[red]x[/red]" in result.stdout


def test_every_table_builds_its_cells_as_text() -> None:
    """The shared table helpers (rollouts, plans, inventories, catalog, sandboxes) print data
    as text: markup is not interpreted, controls and newlines show as escapes."""
    from kubecurrent.cli._output import simple_table, text_table

    row = ["[bold]x[/bold] [/y]", "bell\x07", "two\nlines", None, 3]
    columns = ["a", "b", "c", "d", "e"]
    titled = text_of(simple_table(columns, [row], title="t[/z]\x1b[2J"))
    assert "t[/z]\\x1b[2J" in titled
    for text in (titled, text_of(text_table(columns, [[str(v or "") for v in row]]))):
        assert "[bold]x[/bold] [/y]" in text and "bell\\x07" in text and "two\\x0alines" in text
        assert "\x07" not in text and "\x1b" not in text


def text_of(table: object) -> str:
    """What a console (no colours, wide) prints for ``table``."""
    from rich.console import Console

    out = Console(file=io.StringIO(), width=200, color_system=None)
    out.print(table)
    return out.file.getvalue()  # type: ignore[attr-defined,no-any-return]
