"""A scanned repository never runs a command: names that look like flags stay paths (issue #18).

Each test scans a repository written by a hostile author with the real CLI in a fresh process
and the real helm and kustomize, from inside the repository (``scan files .``), which is how CI
jobs on pull requests run it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

HOOK = "#!/bin/sh\ntouch {marker}\ncat\n"


def scan_here(repo: Path) -> tuple[int, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "scan", "files", ".", "-o", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def names(report: dict[str, object]) -> set[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {f["object"]["name"] for f in findings}


def _chart(directory: Path, name: str, job: str) -> None:
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (directory / "templates" / "job.yaml").write_text(
        f"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: {job}\n"
        "spec:\n  schedule: '* * * * *'\n"
    )


def test_a_chart_directory_named_like_a_helm_flag_is_rendered_as_a_path(tmp_path: Path) -> None:
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK.format(marker=tmp_path / "pwned"))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    # Read as flags, `helm template innocent --post-renderer=./hook.sh` would render the chart
    # in ./innocent through the repository's hook.
    _chart(tmp_path / "innocent", "innocent", "plain-job")
    _chart(tmp_path / "--post-renderer=./hook.sh", "innocent", "rendered-job")

    code, report = scan_here(tmp_path)

    assert not (tmp_path / "pwned").exists(), "helm ran the repository's post-renderer"
    assert {"plain-job", "rendered-job"} <= names(report)  # both rendered from their directory
    assert code == 4 and report["errors"] == []


def test_an_overlay_directory_named_like_a_kustomize_flag_is_built_as_a_path(
    tmp_path: Path,
) -> None:
    overlay = tmp_path / "--output=pwned.yaml"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources:\n  - cm.yaml\n")
    (overlay / "cm.yaml").write_text(
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: built-pdb\n"
    )

    code, report = scan_here(tmp_path)

    assert not (tmp_path / "pwned.yaml").exists(), "kustomize took the directory as --output"
    assert "built-pdb" in names(report)
    assert code == 4 and report["errors"] == []
