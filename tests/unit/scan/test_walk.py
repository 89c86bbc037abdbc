"""#21.3 and #21.4: what a directory walk scans. Overlays are found by their kustomization
file and its kind; components are built only through the overlays that use them; files an
overlay names are read through its build only; YAML that is not a Kubernetes object is skipped
and counted, never an error. Overlays are built with the real kustomize."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from kubecurrent.collect.files import Input, discover

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases"
KUSTOMIZE = CASES / "kustomize"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args, "--target", "1.37"])


def _json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_overlays_are_found_by_file_and_kind_components_are_not_built_alone() -> None:
    inputs = [i for i in discover([str(KUSTOMIZE)]) if isinstance(i, Input)]
    kinds = {(i.kind, i.path.relative_to(KUSTOMIZE).as_posix()) for i in inputs}
    assert ("component", "components/legacy-jobs") in kinds
    assert {k for k in kinds if k[0] == "kustomize"} == {
        ("kustomize", "base"),
        ("kustomize", "overlay"),
    }
    assert ("kustomize", "apps") not in kinds  # a directory named Kustomization is no file
    assert ("file", "apps/Kustomization/ingress.yaml") in kinds


def test_files_an_overlay_names_are_read_through_its_build_only() -> None:
    inputs = [i for i in discover([str(KUSTOMIZE)]) if isinstance(i, Input)]
    files = {i.path.relative_to(KUSTOMIZE).as_posix() for i in inputs if i.kind == "file"}
    assert files == {"apps/Kustomization/ingress.yaml", "overlay/unlisted.yaml"}
    overlay = next(i for i in inputs if i.path.name == "overlay")
    assert [p.name for p in overlay.covers] == ["budget.yaml"]


def test_a_component_reaches_the_scan_through_its_overlay_once() -> None:
    result = run(str(KUSTOMIZE), "-o", "json")
    data = _json(result)
    assert data["errors"] == [], data["errors"]
    seen = sorted(
        (
            f["object"]["kind"],
            f["object"]["name"],
            f["source"],
            Path(f["location"]["file"]).relative_to(KUSTOMIZE).as_posix(),
            f["location"]["line"],
        )
        for f in data["findings"]
    )
    # built objects point at the file (and first key line) they come from, names prefixed
    assert seen == [
        ("CronJob", "prod-nightly", "kustomize", "components/legacy-jobs/nightly.yaml", 1),
        ("HorizontalPodAutoscaler", "unlisted", "manifest", "overlay/unlisted.yaml", 2),
        ("Ingress", "shop", "manifest", "apps/Kustomization/ingress.yaml", 2),
        ("PodDisruptionBudget", "prod-web", "kustomize", "overlay/budget.yaml", 1),
    ]
    assert data["skipped"]["kustomize-component"] == 1
    assert result.exit_code == 4


def test_yaml_that_is_not_kubernetes_is_skipped_and_counted_never_an_error() -> None:
    result = run(str(CASES / "notk8s"), "-o", "json")
    data = _json(result)
    assert result.exit_code == 0, result.output
    assert data["errors"] == [] and data["findings"] == []
    # mkdocs.yml (its python tags read as plain text, as Kubernetes would) and the CI configs
    # are mappings or a list, not objects; broken-config.yaml does not even parse
    assert data["skipped"] == {"no-apiversion-kind": 3, "not-an-object": 1, "not-yaml": 1}


def test_the_same_files_named_explicitly_are_errors() -> None:
    notk8s = CASES / "notk8s"
    names = ("mkdocs.yml", "ci-config.yml", "broken-config.yaml")
    result = run(*(str(notk8s / n) for n in names))
    assert result.exit_code == 1
    assert "mkdocs.yml:1: no Kubernetes object in this file" in result.stderr
    assert "ci-config.yml:2: no Kubernetes object in this file" in result.stderr
    assert "broken-config.yaml:3: not valid YAML" in result.stderr


def test_fix_files_still_reaches_the_files_an_overlay_or_component_names() -> None:
    _register()
    result = CliRunner().invoke(root, ["fix", "files", str(KUSTOMIZE), "--target", "1.37"])
    changed = sorted(
        Path(line.removeprefix("+++ b/")).relative_to(KUSTOMIZE).as_posix()
        for line in result.stdout.splitlines()
        if line.startswith("+++ b/")
    )
    assert changed == [
        "apps/Kustomization/ingress.yaml",
        "components/legacy-jobs/nightly.yaml",
        "overlay/budget.yaml",
        "overlay/unlisted.yaml",
    ]


def test_a_broken_object_in_a_walk_is_an_error_yaml_or_json(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n")
    (tmp_path / "broken.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "data": [}')
    (tmp_path / "other.json").write_text('{"name": "a tool config", "list": [}')
    data = _json(run(str(tmp_path), "-o", "json"))
    assert sorted(Path(e["file"]).name for e in data["errors"]) == ["broken.json", "broken.yaml"]
    assert data["skipped"] == {"not-yaml": 1}
