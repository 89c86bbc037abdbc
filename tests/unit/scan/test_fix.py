"""``fix files``: mechanical migrations, refusals, and a round trip that keeps comments."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from kubecurrent.analyze import Context
from kubecurrent.analyze.fix import fix_text
from kubecurrent.cli._app import _register, root
from tests.unit.scan.conftest import REPO


def test_ingress_backends_and_path_type(ctx: Context) -> None:
    text = (REPO / "apps" / "workloads.yaml").read_text()
    out = fix_text(text, ctx).text
    assert "apiVersion: networking.k8s.io/v1\n" in out
    assert (
        "defaultBackend:\n    service:\n      name: default-web\n      port:\n        number: 80"
        in out
    )
    assert (
        "port:\n                  name: http" in out and "pathType: ImplementationSpecific" in out
    )


def test_hpa_v2beta1_metrics_become_v2_targets(ctx: Context) -> None:
    out = fix_text((REPO / "apps" / "workloads.yaml").read_text(), ctx).text
    assert "target:\n          type: Utilization\n          averageUtilization: 70" in out
    assert "metric:\n          name: queue_depth\n          selector:" in out
    assert "targetAverageValue" not in out and "metricName" not in out


def test_endpointslice_topology_moves_to_fields(ctx: Context) -> None:
    out = fix_text((REPO / "overlay" / "prod" / "endpoints.yaml").read_text(), ctx).text
    assert "nodeName: node-1" in out and "zone: zone-a" in out and "topology" not in out


def test_psp_and_empty_pdb_selector_are_refused(ctx: Context) -> None:
    psp = fix_text((REPO / "apps" / "security.yaml").read_text(), ctx)
    assert psp.applied == [] and "Pod Security Admission" in (psp.refused[0].refused or "")
    pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec:\n  selector: {}\n"
    result = fix_text(pdb, ctx)
    assert result.text == pdb and "every pod" in (result.refused[0].refused or "")


def test_untouched_documents_keep_every_byte(ctx: Context) -> None:
    keep = "apiVersion: v1\nkind: ConfigMap   # odd spacing kept\ndata: {a: 'b'}\n"
    text = keep + "---\napiVersion: batch/v1beta1\nkind: CronJob\n"
    assert fix_text(text, ctx).text.startswith(keep)


def test_crlf_and_bom_survive(ctx: Context) -> None:
    text = "\ufeffapiVersion: batch/v1beta1\r\nkind: CronJob\r\n"
    assert fix_text(text, ctx).text == "\ufeffapiVersion: batch/v1\r\nkind: CronJob\r\n"


def test_round_trip_fix_then_scan_finds_nothing_removed_and_comments_survive(
    tmp_path: Path,
) -> None:
    _register()
    work = tmp_path / "apps"
    shutil.copytree(REPO / "apps", work)
    (work / "security.yaml").unlink()  # PSP: refused by design, covered above
    runner = CliRunner()
    diff = runner.invoke(root, ["fix", "files", str(work), "--target", "1.37"])
    assert diff.exit_code == 3 and "+apiVersion: batch/v1" in diff.output  # cert-manager refused
    assert "batch/v1beta1" in (work / "workloads.yaml").read_text()  # no --write: unchanged
    wrote = runner.invoke(root, ["fix", "files", str(work), "--target", "1.37", "--write"])
    assert wrote.exit_code == 3
    text = (work / "workloads.yaml").read_text()
    assert (
        "# Team A's workloads" in text and "# the main site" in text and "# old CronJob API" in text
    )
    scan = runner.invoke(root, ["scan", "files", str(work / "workloads.yaml"), "-o", "json"])
    assert scan.exit_code == 0, scan.output
    assert '"findings": []' in scan.output
