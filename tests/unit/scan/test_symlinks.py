"""Issue #18: the scan walks never leave the roots given.

Before, symbolic links were followed wherever they led (a link to ``/`` walked the host). Now a
link, a chart holding one, or a kustomization naming a path outside the scanned directory is
reported as skipped with a note naming it and where it leads; nothing behind it is read,
rendered or rewritten. Each case puts a manifest with a removed API *outside* the root: had it
been read, its finding would be in the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root

pytestmark = pytest.mark.unit

CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: {name}\n"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", "--target", "1.37", "-o", "json", *args])


def notes(*args: str) -> str:
    """What the table output says on standard error (the notes)."""
    _register()
    return CliRunner().invoke(root, ["scan", "files", "--target", "1.37", *args]).stderr


def names(result: Result) -> set[str]:
    data: dict[str, Any] = json.loads(result.stdout)
    return {f["object"]["name"] for f in data["findings"]}


def skipped_outside(result: Result) -> int:
    return int(json.loads(result.stdout)["skipped"].get("outside-root", 0))


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """``outside/`` holds what must never be read; ``repo/`` is the scan root."""
    outside, repo = tmp_path / "outside", tmp_path / "repo"
    (outside / "templates").mkdir(parents=True)
    (outside / "cron.yaml").write_text(CRON.format(name="outside-job"))
    (outside / "templates" / "cron.yaml").write_text(CRON.format(name="outside-template"))
    (repo / "inner").mkdir(parents=True)
    (repo / "inner" / "cron.yaml").write_text(CRON.format(name="inside-job"))
    return outside, repo


def test_a_link_to_a_directory_outside_is_reported_not_followed(tree: tuple[Path, Path]) -> None:
    outside, repo = tree
    (repo / "host").symlink_to("/")
    (repo / "vendor").symlink_to(outside)
    result = run(str(repo))
    assert names(result) == {"inside-job"}
    assert skipped_outside(result) == 2
    said = notes(str(repo))
    assert f"note: vendor: not followed: {repo / 'vendor'} leads to {outside}," in said
    assert f"outside the scanned directory {repo}" in said
    assert "note: host: not followed" in said


def test_a_link_to_a_manifest_outside_is_reported_not_read(tree: tuple[Path, Path]) -> None:
    outside, repo = tree
    (repo / "cron.yaml").symlink_to(outside / "cron.yaml")
    result = run(str(repo))
    assert names(result) == {"inside-job"} and skipped_outside(result) == 1
    assert f"leads to {outside / 'cron.yaml'}" in notes(str(repo))


def test_a_link_inside_the_root_is_followed(tree: tuple[Path, Path]) -> None:
    _, repo = tree
    (repo / "moved").mkdir()
    (repo / "moved" / "job.yaml").write_text(CRON.format(name="moved-job"))
    (repo / "jobs").mkdir()
    (repo / "jobs" / "current").symlink_to(repo / "moved")
    (repo / "jobs" / "one.yaml").symlink_to(Path("..", "moved", "job.yaml"))
    result = run(str(repo / "jobs"), str(repo / "inner"))
    assert "moved-job" not in names(result)  # jobs/ alone: its links lead out of it
    result = run(str(repo))
    assert names(result) == {"inside-job", "moved-job"} and skipped_outside(result) == 0


def test_a_chart_whose_templates_link_outside_is_not_rendered(tree: tuple[Path, Path]) -> None:
    outside, repo = tree
    chart = repo / "charts" / "sneaky"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: sneaky\nversion: 0.1.0\n")
    (chart / "templates").symlink_to(outside / "templates")
    result = run(str(repo))
    assert names(result) == {"inside-job"}  # helm never rendered outside/templates
    assert skipped_outside(result) == 1
    said = notes(str(repo))
    assert f"note: charts/sneaky: chart not rendered: {chart / 'templates'} leads to" in said


def _parent_chart(repo: Path, repository: str) -> Path:
    """A chart under ``repo`` that depends on ``repository`` (not vendored in ``charts/``)."""
    chart = repo / "charts" / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n"
        f"- name: dep\n  version: 0.1.0\n  repository: {repository}\n"
    )
    (chart / "templates" / "cron.yaml").write_text(CRON.format(name="app-job"))
    return chart


def test_a_chart_whose_file_dependency_lies_outside_is_not_rendered(
    tree: tuple[Path, Path],
) -> None:
    """helm would copy the dependency in: a chart outside the root is not read."""
    outside, repo = tree
    (outside / "Chart.yaml").write_text("apiVersion: v2\nname: dep\nversion: 0.1.0\n")
    _parent_chart(repo, f"file://{'../' * 8}{str(outside).lstrip('/')}")
    result = run(str(repo))
    assert names(result) == {"inside-job"}  # neither outside-template nor app-job rendered
    assert skipped_outside(result) == 1
    said = notes(str(repo))
    assert "chart not rendered: its dependency dep (file://" in said
    assert f"is {outside}, outside the scanned directory {repo}: scan a directory" in said


def test_a_file_dependency_holding_a_link_outside_is_not_copied(
    tree: tuple[Path, Path],
) -> None:
    """The copy of a ``file://`` dependency follows links: one to ``/`` would copy the disk."""
    outside, repo = tree
    dep = repo / "libs" / "dep"
    dep.mkdir(parents=True)
    (dep / "Chart.yaml").write_text("apiVersion: v2\nname: dep\nversion: 0.1.0\n")
    (dep / "templates").symlink_to(outside / "templates")
    _parent_chart(repo, "file://../../libs/dep")
    result = run(str(repo))
    assert names(result) == {"inside-job"}
    said = notes(str(repo))
    assert "note: charts/app: chart not rendered: its dependency dep holds a link: " in said
    assert f"{dep / 'templates'} leads to {outside / 'templates'}" in said


def test_a_file_dependency_inside_is_rendered_with_the_chart(tree: tuple[Path, Path]) -> None:
    _, repo = tree
    dep = repo / "libs" / "dep"
    (dep / "templates").mkdir(parents=True)
    (dep / "Chart.yaml").write_text("apiVersion: v2\nname: dep\nversion: 0.1.0\n")
    (dep / "templates" / "cron.yaml").write_text(CRON.format(name="dep-job"))
    _parent_chart(repo, "file://../../libs/dep")
    result = run(str(repo))
    assert {"inside-job", "app-job", "dep-job"} <= names(result)
    assert skipped_outside(result) == 0


def test_a_kustomization_naming_a_path_outside_is_not_built(tree: tuple[Path, Path]) -> None:
    outside, repo = tree
    overlay = repo / "deploy" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "job.yaml").write_text(CRON.format(name="overlay-job"))
    escape = "../" * (len(overlay.parts) + 2) + str(outside / "cron.yaml").lstrip("/")
    (overlay / "kustomization.yaml").write_text(f"resources:\n- job.yaml\n- {escape}\n")
    result = run(str(repo))
    assert names(result) == {"inside-job", "overlay-job"}  # its own file read as a file
    assert skipped_outside(result) == 1
    said = notes(str(repo))
    assert "note: deploy/prod: not built: it names" in said
    assert f"leads to {outside / 'cron.yaml'}" in said


def test_a_base_inside_that_names_a_path_outside_stops_the_overlay(
    tree: tuple[Path, Path],
) -> None:
    outside, repo = tree
    base, overlay = repo / "base", repo / "overlay"
    base.mkdir()
    overlay.mkdir()
    (base / "cron.yaml").symlink_to(outside / "cron.yaml")
    (base / "kustomization.yaml").write_text("resources:\n- cron.yaml\n")
    (overlay / "kustomization.yaml").write_text("resources:\n- ../base\n")
    result = run(str(repo))
    assert names(result) == {"inside-job"}
    said = [line for line in notes(str(repo)).splitlines() if "outside the scanned" in line]
    assert any(line.startswith("note: overlay: not built: it names") for line in said), said
    assert any(line.startswith("note: base: not built") for line in said), said


def test_fix_write_never_rewrites_a_file_outside(tree: tuple[Path, Path]) -> None:
    outside, repo = tree
    (repo / "cron.yaml").symlink_to(outside / "cron.yaml")
    before = (outside / "cron.yaml").read_text()
    _register()
    result = CliRunner().invoke(root, ["fix", "files", "--target", "1.37", "--write", str(repo)])
    assert result.exit_code == 0, result.output
    assert (outside / "cron.yaml").read_text() == before
    assert "batch/v1\n" in (repo / "inner" / "cron.yaml").read_text()  # inside: fixed
    assert "note: " in result.stderr and "cron.yaml: not followed" in result.stderr
