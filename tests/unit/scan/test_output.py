"""What ``scan files`` prints: whole cells, relative paths, csv, --only-removed, --no-headers,
the summary counts, warnings before the summary, and the exit code when findings and unreadable
inputs come together."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.analyze.report import (
    CSV_COLUMNS,
    ScanReport,
    location_text,
    object_text,
    summary_line,
)
from kubecurrent.analyze.report import status_word as word
from kubecurrent.catalog import load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.cli._exit import ExitCode, scan_exit_code
from kubecurrent.cli._output import text_table
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Category
from kubecurrent.model.inventory import ClusterInventory, DrainBlocker
from tests.unit.scan.conftest import REPO

LONG_NAME = "a-really-long-cronjob-name-that-goes-on-and-on-and-on-until-the-end"
LONG_NS = "team-with-a-long-namespace-name"
DEEP = Path("apps/very/deeply/nested/directory/structure")
CRON = f"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: {LONG_NAME}\n  namespace: {LONG_NS}\n"
INGRESS = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"
GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository: a deep workload file with a removed CronJob (line 1) and FlowSchema
    (line 9), a non-Kubernetes YAML file, and a file whose last document is broken."""
    root_dir = tmp_path / "repo"
    (root_dir / DEEP).mkdir(parents=True)
    (root_dir / DEEP / "long-file-name-for-workloads.yaml").write_text(
        CRON + "---\nsite_name: docs\n---\n"
        "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n"
        "  name: fs\n"
    )
    (root_dir / "mkdocs.yml").write_text("site_name: x\nnav: []\n")
    (root_dir / "broken.yaml").write_text(
        f"{GOOD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n"
    )
    return root_dir


class TestTable:
    def test_paths_are_relative_to_the_scan_root_with_file_and_line(self, repo: Path) -> None:
        result = run(str(repo), "--target", "1.37")
        workloads = f"{DEEP}/long-file-name-for-workloads.yaml"
        assert f"{workloads}:1 " in result.stdout and f"{workloads}:9 " in result.stdout
        assert str(repo) + "/" not in result.stdout.split("\n(paths")[0].splitlines()[1]
        assert f"(paths relative to {repo})" in result.stdout

    def test_wide_keeps_every_cell_whole_on_one_line(self, repo: Path) -> None:
        result = run(str(repo), "--target", "1.37", "-o", "wide")
        (row,) = [line for line in result.stdout.splitlines() if "CronJob" in line]
        assert f"batch/v1beta1 CronJob {LONG_NS}/{LONG_NAME}" in row
        assert "long-file-name-for-workloads.yaml:1" in row
        assert row.rstrip().endswith("change apiVersion to batch/v1 (served since 1.21)")
        assert not any(line != line.rstrip() for line in result.stdout.splitlines())

    def test_a_narrow_terminal_folds_cells_and_cuts_nothing(self) -> None:
        cells = [
            ["removed", "KC-API-REMOVED", f"batch/v1beta1 CronJob {LONG_NS}/{LONG_NAME}"],
            ["removed", "KC-API-REMOVED", f"{DEEP}/long-file-name-for-workloads.yaml:12"],
        ]
        out = Console(width=40, file=io.StringIO(), color_system=None)
        with out.capture() as captured:
            out.print(text_table(["status", "rule", "object"], cells))
        printed = captured.get()
        assert "…" not in printed and max(map(len, printed.splitlines())) <= 40
        expected = "".join(["STATUSRULEOBJECT", *("".join(r) for r in cells)]).replace(" ", "")
        assert Counter(printed.replace(" ", "").replace("\n", "")) == Counter(expected)

    def test_cells_are_text_not_markup(self) -> None:
        out = Console(width=200, file=io.StringIO(), color_system=None)
        with out.capture() as captured:
            out.print(text_table(["object"], [["[bold]x[/bold]"]]))
        assert "[bold]x[/bold]" in captured.get()

    def test_no_headers_prints_only_rows_on_stdout(self, repo: Path) -> None:
        for output in ("table", "wide"):
            result = run(str(repo), "--target", "1.37", "-o", output, "--no-headers")
            lines = result.stdout.splitlines()
            assert len(lines) == 2 and all(line.startswith("removed") for line in lines)
            assert "target 1.37:" in result.stderr


class TestCsv:
    def test_rfc4180_records_with_quoting_and_crlf(self, tmp_path: Path) -> None:
        odd = tmp_path / "odd.yaml"
        odd.write_text(
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n"
            "  name: 'web, \"quoted\"'\n  namespace: a\n"
        )
        result = run(str(odd), "-o", "csv")
        assert result.exit_code == ExitCode.REMOVED
        raw = result.stdout_bytes
        assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
        assert '"web, ""quoted"""' in result.stdout
        header, record = csv.reader(io.StringIO(result.stdout, newline=""))
        assert header == list(CSV_COLUMNS)
        row = dict(zip(header, record, strict=True))
        assert row["name"] == 'web, "quoted"' and row["kind"] == "Ingress"
        assert (row["status"], row["line"], row["replacement"]) == (
            "removed",
            "1",
            "networking.k8s.io/v1",
        )

    def test_no_headers_drops_the_header_record(self, repo: Path) -> None:
        result = run(str(repo), "-o", "csv", "--no-headers")
        records = list(csv.reader(io.StringIO(result.stdout, newline="")))
        assert len(records) == 2 and records[0][0] == "removed"


class TestOnlyRemoved:
    def test_hides_deprecated_findings_from_output_and_exit_code(self, tmp_path: Path) -> None:
        f = tmp_path / "m.yaml"
        f.write_text(f"{CRON}---\n{INGRESS}")
        everything = run(str(f), "--target", "1.24", "-o", "json")
        assert {x["status"] for x in json.loads(everything.stdout)["findings"]} == {
            "removed",
            "deprecated",
        }
        only = run(str(f), "--target", "1.24", "-o", "json", "--only-removed")
        (kept,) = json.loads(only.stdout)["findings"]
        assert kept["object"]["kind"] == "Ingress" and only.exit_code == ExitCode.REMOVED
        table = run(str(f), "--target", "1.24", "--only-removed", "--fail-on", "deprecated")
        assert "CronJob" not in table.stdout and "Ingress" in table.stdout
        assert table.exit_code == ExitCode.REMOVED
        f.write_text(CRON)  # deprecated only at 1.24: nothing left to fail on
        assert run(str(f), "--target", "1.24", "--fail-on", "deprecated").exit_code == 3
        quiet = run(str(f), "--target", "1.24", "--fail-on", "deprecated", "--only-removed")
        assert quiet.exit_code == ExitCode.OK and "CronJob" not in quiet.stdout


class TestSummary:
    def test_counts_in_json(self, repo: Path) -> None:
        result = run(str(repo), str(repo / "missing.yaml"), "--target", "1.37", "-o", "json")
        data = json.loads(result.stdout)
        assert data["skipped"] == {"no-apiversion-kind": 2}
        summary = data["summary"]
        assert summary == {
            "files": {"read": 2, "skipped": 1, "failed": 1},
            "documents": {"read": 3, "skipped": 2, "failed": 1},
            "objects": 3,
            "charts": {"rendered": 0, "skipped": 0, "failed": 0},
            "overlays": {"rendered": 0, "skipped": 0, "failed": 0},
            "excluded": {"files": 0, "directories": 0},
            "removed": 2,
            "deprecated": 0,
            "errors": 2,
        }

    def test_charts_and_overlays_rendered_and_failed(self, tmp_path: Path) -> None:
        ok = json.loads(run(str(REPO), "-o", "json").stdout)["summary"]
        assert ok["charts"] == {"rendered": 1, "skipped": 0, "failed": 0}
        assert ok["overlays"] == {"rendered": 2, "skipped": 0, "failed": 0}
        nohelm = str(tmp_path / "nohelm")
        broken = run(str(REPO / "chart"), "-o", "json", "--helm-binary", nohelm)
        assert json.loads(broken.stdout)["summary"]["charts"] == {
            "rendered": 0,
            "skipped": 0,
            "failed": 1,
        }

    def test_counts_and_warnings_in_the_table_warnings_first(self, repo: Path) -> None:
        result = run(str(repo), "--target", "1.37")
        assert (
            "files 2 read, 1 skipped; documents 3 read, 2 skipped, 1 failed; objects 3 "
            "| 2 removed, 0 deprecated, 1 unreadable" in result.stdout
        )
        assert re.search(r"^warning: broken\.yaml:\d+: not valid YAML", result.stderr, re.M)
        assert result.output.index("warning:") < result.output.index("target 1.37:")


class TestExitCodes:
    @pytest.mark.parametrize(
        ("removed", "deprecated", "errors", "fail_on", "code"),
        [
            (0, 0, 0, "removed", ExitCode.OK),
            (0, 0, 1, "removed", ExitCode.ERROR),
            (1, 0, 0, "removed", ExitCode.REMOVED),
            (1, 1, 0, "deprecated", ExitCode.REMOVED),
            (0, 1, 0, "deprecated", ExitCode.DEPRECATED),
            (0, 1, 0, "removed", ExitCode.OK),
            (1, 0, 1, "removed", ExitCode.FINDINGS_AND_UNREADABLE),
            (0, 1, 1, "deprecated", ExitCode.FINDINGS_AND_UNREADABLE),
            (0, 1, 1, "removed", ExitCode.ERROR),
            (1, 0, 1, "none", ExitCode.ERROR),
            (1, 0, 0, "none", ExitCode.OK),
        ],
    )
    def test_table(
        self, removed: int, deprecated: int, errors: int, fail_on: str, code: ExitCode
    ) -> None:
        assert scan_exit_code(removed, deprecated, errors, fail_on) is code

    def test_findings_and_an_unreadable_input_exit_6(self, repo: Path) -> None:
        assert run(str(repo), "--target", "1.37").exit_code == 6
        assert run(str(repo), "--target", "1.37", "--fail-on", "none").exit_code == 1
        assert run(str(repo / DEEP), "--target", "1.37").exit_code == 4


class TestClusterFindingWords:
    def test_cves_and_drain_blockers_show_severity_kind_and_cluster(self) -> None:
        catalog = load_catalog()
        cve = catalog.cves[0]
        inv = ClusterInventory(
            name="dev",
            control_plane="1.31.4",
            cves=(cve.id,),
            drain_blockers=(
                DrainBlocker(kind="Deployment", namespace="shop", name="web", reason="no-pdb"),
            ),
        )
        found = check_inventory(inv, catalog, MinorVersion.parse("1.32"), dt.date(2026, 1, 1))
        by_rule = {f.rule: f for f in found}
        vuln, drain = by_rule["KC-CVE"], by_rule["KC-DRAIN-BLOCKER"]
        assert vuln.category is Category.VULNERABILITY and vuln.object.api_version == ""
        assert word(vuln) == vuln.severity.value != "deprecated"
        assert object_text(vuln) == f"vulnerability: {cve.id}"
        assert location_text(vuln) == "cluster dev"
        assert (word(drain), object_text(drain)) == ("info", "drain blocker: Deployment shop/web")
        report = ScanReport(target="1.32", findings=found, documents=1)
        assert "kubecurrent.dev" not in json.dumps(report.to_dict())
        sev = vuln.severity.value
        assert summary_line(report).startswith(
            "target 1.32: clusters 1 | 0 removed, 0 deprecated, "
        )
        assert f" 1 {sev}" in summary_line(report) and ", 1 info," in summary_line(report)


def test_help_lists_the_exit_codes_from_the_one_table() -> None:
    from kubecurrent.cli._exit import CLUSTER_CODES, FILES_CODES, MEANINGS

    _register()
    runner = CliRunner()
    for command, codes in ((["scan", "files"], FILES_CODES), (["scan", "cluster"], CLUSTER_CODES)):
        text = " ".join(
            runner.invoke(root, [*command, "--help"], terminal_width=2000).output.split()
        )
        for code in codes:
            assert f"{int(code)} {MEANINGS[code]}" in text, (command, code)
    files_help = runner.invoke(root, ["scan", "files", "--help"]).output
    assert f"5  {MEANINGS[ExitCode.PARTIAL]}"[:20] not in files_help


def test_markdown_says_what_was_scanned(repo: Path) -> None:
    md = run(str(repo), "--target", "1.37", "-o", "markdown").stdout
    assert (
        "Scanned: files 2 read, 1 skipped; documents 3 read, 2 skipped, 1 failed; objects 3." in md
    )
    assert "long-file-name-for-workloads.yaml:9`" in md
