"""Names from manifests cannot break the reports: XML stays valid, URIs are encoded, escapes show.

Issue #18: a ``\\x01`` in a name made the JUnit file invalid XML; SARIF URIs were not
percent-encoded; terminal escape sequences from a manifest reached the terminal raw.
"""

from __future__ import annotations

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
