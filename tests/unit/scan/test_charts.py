"""#21.5, #21.6 and #21.7: charts and overlays rendered with the real helm and kustomize.

Library charts are skipped with a note; manifests beside a chart's templates are scanned as
plain files; ``crds/`` is read even when the templates fail; errors keep every line the tool
printed; helm's YAML errors show the template and the rendered lines; missing dependencies are
one error naming ``helm dependency build``, or rendered around with ``--chart-deps skip``;
every location is a file that exists, at the line of the document's first key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases"
CHARTS = CASES / "charts"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args, "--target", "1.37"])


def _json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _where(finding: dict[str, Any], base: Path) -> tuple[str, int]:
    path = Path(finding["location"]["file"])
    assert path.is_file(), path
    return path.relative_to(base).as_posix(), finding["location"]["line"]


def test_a_library_chart_is_skipped_with_a_note() -> None:
    result = run(str(CHARTS / "library"))
    assert result.exit_code == 0, result.output
    assert "note:" in result.stderr and "library chart" in result.stderr
    data = _json(run(str(CHARTS / "library"), "-o", "json"))
    assert data["errors"] == [] and data["skipped"] == {"library-chart": 1}


def test_manifests_beside_the_templates_are_scanned_as_plain_files() -> None:
    data = _json(run(str(CHARTS / "stray"), "-o", "json"))
    assert data["errors"] == []
    (f,) = data["findings"]
    assert (f["object"]["kind"], f["source"]) == ("Ingress", "manifest")
    assert _where(f, CHARTS / "stray") == ("examples/legacy-ingress.yaml", 1)
    assert data["skipped"] == {"no-apiversion-kind": 1}  # ci/values-test.yaml, not an object


def test_crds_are_read_when_the_templates_fail_and_the_error_keeps_every_line() -> None:
    result = run(str(CHARTS / "broken"), "-o", "json")
    data = _json(result)
    (error,) = data["errors"]
    assert "cannot render this chart:" in error["message"]
    assert "the value .Values.image is required" in error["message"]
    (f,) = data["findings"]
    assert f["object"]["name"] == "widgets.example.com"
    assert _where(f, CHARTS / "broken") == ("crds/widgets.yaml", 4)
    assert result.exit_code == 6  # a removed finding and a chart that could not be rendered


def test_a_yaml_error_in_rendered_output_shows_the_template_and_the_rendered_lines() -> None:
    data = _json(run(str(CHARTS / "badyaml"), "-o", "json"))
    (error,) = data["errors"]
    assert error["file"].endswith("badyaml/templates/config.yaml")
    message = error["message"]
    assert "badyaml/templates/config.yaml renders YAML that does not parse" in message
    assert ">    7 |   items: [a, b" in message and "   5 |   name: badyaml-config" in message
    assert "unrendered Helm template syntax" not in message


def test_missing_dependencies_are_one_error_naming_helm_dependency_build() -> None:
    result = run(str(CHARTS / "withdeps"), "-o", "json")
    (error,) = _json(result)["errors"]
    assert "absent-database" in error["message"]
    assert "helm dependency build" in error["message"] and "--chart-deps skip" in error["message"]
    assert result.exit_code == 1


def test_chart_deps_skip_renders_with_what_is_present() -> None:
    result = run(str(CHARTS / "withdeps"), "--chart-deps", "skip", "-o", "json")
    data = _json(result)
    assert data["errors"] == [] and data["skipped"] == {"chart-dependencies": 1}
    (f,) = data["findings"]
    assert f["object"]["name"] == "withdeps-backup"
    assert _where(f, CHARTS / "withdeps") == ("templates/cronjob.yaml", 1)
    assert result.exit_code == 4


def test_aliased_subcharts_and_commented_crds_point_at_files_that_exist() -> None:
    data = _json(run(str(CHARTS / "aliased"), "-o", "json"))
    assert data["errors"] == []
    places = sorted((f["object"]["kind"], *_where(f, CHARTS / "aliased")) for f in data["findings"])
    assert places == [
        ("CustomResourceDefinition", "crds/doodads.yaml", 4),  # not <chart>/templates:1
        ("CustomResourceDefinition", "crds/gadgets.yaml", 3),
        ("PodDisruptionBudget", "charts/worker/templates/budget.yaml", 3),
    ]


def test_capabilities_answer_as_the_target_would() -> None:
    data = _json(run(str(CHARTS / "capabilities"), "-o", "json"))
    assert data["errors"] == [] and data["findings"] == []


def test_kustomize_enable_helm_passes_through() -> None:
    overlay = CASES / "kustomize-helm"
    refused = _json(run(str(overlay), "-o", "json"))
    (error,) = refused["errors"]
    assert "HelmChartInflationGenerator" in error["message"]
    assert "must specify --enable-helm" in error["message"]  # the cause, lines below the first
    data = _json(run(str(overlay), "--kustomize-enable-helm", "-o", "json"))
    assert data["errors"] == []
    built = [f for f in data["findings"] if f["source"] == "kustomize"]
    assert [f["object"]["name"] for f in built] == ["inflated-hpa"]


def test_a_chart_yaml_helm_accepts_is_accepted() -> None:
    data = _json(run(str(CHARTS / "dupkey"), "-o", "json"))
    assert data["errors"] == []
    (f,) = data["findings"]
    assert (f["object"]["kind"], f["object"]["name"]) == ("Deployment", "dupkey-app")


def test_a_chart_whose_defaults_do_not_render_is_rendered_with_its_ci_values() -> None:
    result = run(str(CHARTS / "needsvalues"), "-o", "json")
    data = _json(result)
    assert data["errors"] == []
    assert [f["object"]["name"] for f in data["findings"]] == ["needsvalues-7"]
    assert data["skipped"]["chart-ci-values"] == 1
    noted = run(str(CHARTS / "needsvalues"))
    assert "rendered with ci/default-values.yaml" in noted.stderr
    assert "password is required" in noted.stderr
    given = _json(run(str(CHARTS / "needsvalues"), "--set", "password=", "-o", "json"))
    (error,) = given["errors"]  # values the user gives are never replaced
    assert "password is required" in error["message"] and "chart-ci-values" not in given["skipped"]


def test_the_ci_values_note_gives_helms_error_not_a_warning_printed_before_it() -> None:
    # a deprecated chart: helm prints "WARNING: This chart is deprecated" before its error
    noted = run(str(CHARTS / "deprecated-needsvalues"))
    note = next(ln for ln in noted.stderr.splitlines() if "rendered with ci/" in ln)
    assert "a token is required: set token" in note
    assert "WARNING" not in note


def test_a_file_dependency_is_rendered_from_its_directory_offline(tmp_path: Path) -> None:
    for name in ("localdep", "localdep-shared"):
        shutil.copytree(CHARTS / name, tmp_path / name)
    data = _json(run(str(tmp_path), "-o", "json"))
    assert data["errors"] == [] and "chart-dependencies" not in data["skipped"]
    found = {(f["object"]["name"], *_where(f, tmp_path)) for f in data["findings"]}
    # the parent chart's release (localdep) renders the dependency's template
    assert ("localdep-shared", "localdep-shared/templates/budget.yaml", 2) in found, found


def test_a_file_dependency_outside_the_scanned_directory_is_not_copied() -> None:
    """Scanning the chart alone: its dependency (``file://../localdep-shared``) is outside."""
    data = _json(run(str(CHARTS / "localdep"), "-o", "json"))
    assert data["findings"] == [] and data["skipped"] == {"outside-root": 1}
    said = run(str(CHARTS / "localdep")).stderr
    assert "its dependency localdep-shared (file://../localdep-shared)" in said
    assert "scan a directory that holds both" in said
