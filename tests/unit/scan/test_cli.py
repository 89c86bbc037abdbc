"""``scan files`` through the CLI: formats, exit codes, env vars, charts, overlays, bad input."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from tests.unit.scan.conftest import FIXTURES, REPO

SCHEMA = FIXTURES.parent / "sarif" / "sarif-2.1.0-subset.schema.json"


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args], env=env, input=stdin)


@pytest.fixture(scope="module")
def repo_json() -> dict[str, object]:
    result = run(str(REPO), "-o", "json", "--target", "1.37")
    assert result.exit_code == 4, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_contract_shape(repo_json: dict[str, object]) -> None:
    assert repo_json["target"] == "1.37" and repo_json["errors"] == []
    findings = repo_json["findings"]
    assert isinstance(findings, list)
    cron = next(f for f in findings if f["object"]["name"] == "nightly")
    assert cron["object"] == {
        "apiVersion": "batch/v1beta1",
        "kind": "CronJob",
        "name": "nightly",
        "namespace": "team-a",
    }
    assert cron["location"]["line"] == 2 and cron["location"]["file"].endswith(
        "apps/workloads.yaml"
    )
    assert (cron["status"], cron["removed_in"], cron["replacement"]) == (
        "removed",
        "1.25",
        "batch/v1",
    )


def test_helm_chart_is_rendered_and_its_kubeversion_checked(repo_json: dict[str, object]) -> None:
    findings = repo_json["findings"]
    assert isinstance(findings, list)
    rules = {(f["rule"], f["source"], f["object"]["name"]) for f in findings}
    assert ("KC-CHART-KUBEVERSION", "helm-chart", "legacy-app") in rules
    assert ("KC-API-REMOVED", "helm-chart", "legacy-job") in rules  # rendered name, default values


def test_helm_values_and_set_reach_the_render() -> None:
    result = run(str(REPO / "chart"), "-o", "json", "--set", "pdb.enabled=true", "--set", "name=x")
    names = {
        (f["object"]["kind"], f["object"]["name"]) for f in json.loads(result.stdout)["findings"]
    }
    assert {("PodDisruptionBudget", "x"), ("CronJob", "x-job")} <= names


def test_kustomize_overlay_is_rendered(repo_json: dict[str, object]) -> None:
    findings = repo_json["findings"]
    assert isinstance(findings, list)
    kust = {
        (f["object"]["kind"], f["object"]["namespace"])
        for f in findings
        if f["source"] == "kustomize"
    }
    assert ("EndpointSlice", "prod") in kust and ("HorizontalPodAutoscaler", "prod") in kust


def test_missing_helm_binary_names_the_build_command(tmp_path: Path) -> None:
    result = run(str(REPO / "chart"), "-o", "json", "--helm-binary", str(tmp_path / "nohelm"))
    (err,) = json.loads(result.stdout)["errors"]
    # kubeVersion still checked: a removed finding and an unreadable input, both told
    assert result.exit_code == 6
    for way_out in ("--helm-binary", "helm on PATH", "kubecurrent sandbox build"):
        assert way_out in err["message"]
    from kubecurrent.cli._scan_run import binary_resolver
    from kubecurrent.errors import BinaryMissingError

    env = {"KUBECURRENT_CACHE_DIR": str(tmp_path), "PATH": str(tmp_path)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with pytest.raises(BinaryMissingError) as exc:
            binary_resolver(None, "helm")()
        for way_out in ("--helm-binary", "helm on PATH", "kubecurrent sandbox build"):
            assert way_out in (exc.value.hint or "")
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def test_exit_codes_and_fail_on(tmp_path: Path) -> None:
    dep = tmp_path / "d.yaml"
    dep.write_text("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n")
    assert run(str(dep), "--target", "1.24").exit_code == 0
    assert run(str(dep), "--target", "1.24", "--fail-on", "deprecated").exit_code == 3
    assert run(str(dep), "--target", "1.25").exit_code == 4
    assert run(str(dep), "--target", "1.25", "--fail-on", "none").exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    assert run(str(bad)).exit_code == 1
    assert run(str(dep), "--target", "next").exit_code == 2


def test_flags_from_environment_and_target_next(tmp_path: Path) -> None:
    dep = tmp_path / "d.yaml"
    dep.write_text("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n")
    env = {
        "KUBECURRENT_SCAN_FILES_TARGET": "next",
        "KUBECURRENT_SCAN_FILES_FROM_VERSION": "1.23",
        "KUBECURRENT_SCAN_FILES_FAIL_ON": "deprecated",
        "KUBECURRENT_SCAN_FILES_OUTPUT": "json",
    }
    result = run(str(dep), env=env)
    assert result.exit_code == 3 and json.loads(result.stdout)["target"] == "1.24"


def test_stdin_is_scanned() -> None:
    result = run(
        "-",
        "-o",
        "json",
        stdin="apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n",
    )
    (f,) = json.loads(result.stdout)["findings"]
    assert f["location"] == {"file": "-", "line": 1}


def test_sarif_validates_against_the_schema() -> None:
    result = run(str(REPO), "-o", "sarif")
    sarif = json.loads(result.stdout)
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    results = sarif["runs"][0]["results"]
    assert results and all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**sarif, "version": "2.0.0"}, json.loads(SCHEMA.read_text()))


def test_junit_and_markdown(tmp_path: Path) -> None:
    junit = ET.fromstring(run(str(REPO / "apps"), "-o", "junit").stdout.split("\n", 1)[1])  # noqa: S314 - our own output
    assert junit.tag == "testsuites" and int(junit.get("failures", "0")) >= 8
    md = run(str(REPO / "apps"), "-o", "markdown").stdout
    assert (
        md.startswith("### kubecurrent: readiness for Kubernetes 1.37")
        and "| removed | `KC-API-REMOVED` |" in md
    )


def test_table_is_the_default_and_errors_go_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("{{ .Values.x }}\n")
    result = run(str(REPO / "apps"), str(tmp_path / "t.yaml"))  # named: its error is reported
    assert "STATUS" in result.stdout and "KC-API-REMOVED" in result.stdout
    assert "unrendered Helm template" in result.stderr
