"""Add-on APIs removed by the add-on itself: reported as "removed in <add-on> X" when the scan
does not know the installed version, judged against it with ``--addon-version``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kubecurrent.analyze import Context, check_document
from kubecurrent.catalog import load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.collect.files import Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, Status

pytestmark = pytest.mark.unit


def check(api_version: str, kind: str, **installed: str) -> list[Finding]:
    versions = {name.replace("_", "-"): v for name, v in installed.items()}
    ctx = Context.build(load_catalog(), MinorVersion.parse("1.37"), versions)
    data: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    return check_document(Document(data=data, file="f.yaml", line=1), ctx)


@pytest.mark.parametrize(
    ("api_version", "kind", "addon", "removed"),
    [
        ("snapshot.storage.k8s.io/v1beta1", "VolumeSnapshot", "external-snapshotter", "6.0"),
        ("certmanager.k8s.io/v1alpha1", "Certificate", "cert-manager", "0.11"),
        ("cert-manager.io/v1alpha2", "Issuer", "cert-manager", "1.6"),
        ("authentication.istio.io/v1alpha1", "Policy", "istio", "1.6"),
        ("rbac.istio.io/v1alpha1", "ServiceRole", "istio", "1.6"),
    ],
)
def test_without_the_installed_version_the_removing_release_is_named(
    api_version: str, kind: str, addon: str, removed: str
) -> None:
    (f,) = check(api_version, kind)
    assert (f.rule, f.status, f.fix_by) == ("KC-API-REMOVED", Status.REMOVED, f"{addon} {removed}")
    assert f"removed in {addon} {removed}" in f.message
    assert f"--addon-version {addon}=X.Y" in f.message


def test_installed_version_at_or_after_the_removal_is_removed() -> None:
    (f,) = check("snapshot.storage.k8s.io/v1beta1", "VolumeSnapshot", external_snapshotter="6.2")
    assert f.status is Status.REMOVED and "you run external-snapshotter 6.2" in f.message


def test_installed_version_between_deprecation_and_removal_is_deprecated() -> None:
    (f,) = check("cert-manager.io/v1beta1", "Certificate", cert_manager="1.5.4")
    assert (f.rule, f.status) == ("KC-API-DEPRECATED", Status.DEPRECATED)
    assert "removed in cert-manager 1.6" in f.message


def test_installed_version_before_the_deprecation_is_clean() -> None:
    assert check("certmanager.k8s.io/v1alpha1", "Certificate", cert_manager="0.10") == []


def run(*args: str) -> tuple[int, str, str]:
    _register()
    result = CliRunner().invoke(root, list(args))
    return result.exit_code, result.stdout, result.stderr


SNAPSHOT = """\
apiVersion: snapshot.storage.k8s.io/v1beta1
kind: VolumeSnapshot
metadata: {name: snap, namespace: db}
"""


def test_scan_files_addon_version_flag(tmp_path: Path) -> None:
    path = tmp_path / "snap.yaml"
    path.write_text(SNAPSHOT)
    code, out, _ = run("scan", "files", str(path), "-o", "json")
    assert code == 4 and "removed in external-snapshotter 6.0" in out
    code, out, _ = run(
        "scan", "files", str(path), "-o", "json", "--addon-version", "external-snapshotter=5.0"
    )
    assert (
        code == 0 and '"status": "deprecated"' in out and "you run external-snapshotter 5.0" in out
    )


def test_scan_files_refuses_an_unknown_addon_or_a_bad_version(tmp_path: Path) -> None:
    path = tmp_path / "snap.yaml"
    path.write_text(SNAPSHOT)
    code, _, err = run("scan", "files", str(path), "--addon-version", "snapshotter=6.0")
    assert code == 2 and "'snapshotter'" in err and "external-snapshotter" in err
    code, _, err = run("scan", "files", str(path), "--addon-version", "istio=latest")
    assert code == 2 and "ADDON=VERSION" in err
