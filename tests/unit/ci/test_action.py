"""The GitHub Action (action.yml): its scan step run as GitHub runs it, with real helm and
kustomize, on the fixture repository (an overlay over a base, a chart). What cannot run here is
GitHub itself: the ``${{ … }}`` expressions of the step's environment are filled in by
``_github_env`` below, a stand-in for the runner's expression evaluation."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ACTION = ROOT / "action.yml"
REPO = ROOT / "tests" / "fixtures" / "scan" / "repo"
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def _scan_step() -> dict[str, Any]:
    steps = [s for s in _action()["runs"]["steps"] if "kubecurrent scan files" in s.get("run", "")]
    assert len(steps) == 1, "action.yml: expected one step that runs the scan"
    return steps[0]


def test_inputs_reach_scripts_only_through_the_environment() -> None:
    """An input spliced into a script's text would run whatever it holds (a path named
    ``$(curl …)``); inputs go through ``env:`` and the scripts quote them."""
    for step in _action()["runs"]["steps"]:
        assert not EXPR.search(step.get("run", "")), step.get("run")


def test_the_cache_step_keeps_the_directory_the_scan_renders_into() -> None:
    cache = [
        s for s in _action()["runs"]["steps"] if s.get("uses", "").startswith("actions/cache@")
    ]
    assert len(cache) == 1
    assert cache[0]["with"]["path"] == _scan_step()["env"]["KUBECURRENT_RENDER_CACHE_DIR"]
    assert cache[0]["if"] == "${{ inputs.render-cache == 'true' }}"


def _github_env(step: dict[str, Any], inputs: dict[str, str], temp: Path) -> dict[str, str]:
    """Stand-in for the runner: the step's ``env:`` with its expressions evaluated."""
    defaults = {k: str(v.get("default", "")) for k, v in _action()["inputs"].items()}
    values = {f"inputs.{k}": v for k, v in {**defaults, **inputs}.items()}
    values["runner.temp"] = str(temp)

    def fill(text: str) -> str:
        return EXPR.sub(lambda m: values[m.group(1)], text)

    return {name: fill(str(text)) for name, text in step["env"].items()}


def _run_step(work: Path, temp: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    step = _scan_step()
    summary = temp / "summary.md"
    env = {
        **os.environ,
        **_github_env(step, inputs, temp),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("KUBECURRENT_SCAN_FILES_OUTPUT", None)
    bash = shutil.which("bash")
    assert bash
    return subprocess.run(
        [bash, "-e", "-c", step["run"]], cwd=work, env=env, text=True, capture_output=True
    )


def _entries(cache: Path) -> set[Path]:
    return {p for p in cache.rglob("*") if p.is_file()} if cache.exists() else set()


@pytest.mark.timeout(300)
def test_the_scan_step_writes_sarif_and_summary_and_keeps_renders(tmp_path: Path) -> None:
    work = tmp_path / "checkout"
    shutil.copytree(REPO, work / "deploy")
    (work / "other").mkdir()
    (work / "other" / "ingress.yaml").write_text(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}\n"
    )
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    cache = temp / "kubecurrent-render"

    first = _run_step(work, temp, paths="deploy other", target="1.37")
    assert first.returncode != 0, "fail-on removed: the removed Ingress must fail the step"
    sarif = json.loads((work / "kubecurrent.sarif").read_text())
    located = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for res in sarif["runs"][0]["results"]
        for loc in res["locations"]
    }
    assert any("other/ingress.yaml" in uri for uri in located), located
    assert any(uri.startswith("deploy/") for uri in located), located
    summary = (temp / "summary.md").read_text()
    assert "extensions/v1beta1" in summary
    kept = _entries(cache)
    assert kept, "the chart's and overlay's renders were not kept for the next run"

    # The next run (restored cache) renders nothing new and reports the same.
    (work / "kubecurrent.sarif").unlink()
    again = _run_step(work, temp, paths="deploy other", target="1.37")
    assert again.returncode == first.returncode
    assert json.loads((work / "kubecurrent.sarif").read_text()) == sarif
    assert _entries(cache) == kept

    # render-cache: false renders every chart and overlay and keeps nothing.
    off_temp = tmp_path / "runner-temp-off"
    off_temp.mkdir()
    off = _run_step(
        work, off_temp, paths="deploy other", target="1.37", **{"render-cache": "false"}
    )
    assert off.returncode == first.returncode
    assert not _entries(off_temp / "kubecurrent-render")


def test_a_path_input_holding_shell_syntax_is_a_path_not_a_command(tmp_path: Path) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    marker = tmp_path / "ran"
    proc = _run_step(tmp_path, temp, paths=f"$(touch {marker})", target="1.37", sarif="")
    assert not marker.exists()
    assert proc.returncode != 0
    summary = (temp / "summary.md").read_text()
    # space-separated: two paths, "$(touch" and "<marker>)", neither of which exists
    assert "`$(touch:1`: no such file or directory" in summary, summary
    assert f"`{marker}):1`: no such file or directory" in summary, summary
