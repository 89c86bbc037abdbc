"""Every cached binary reports its true upstream version, not a development placeholder."""

from __future__ import annotations

import subprocess

import pytest

from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import (
    ETCD,
    HELM,
    KUSTOMIZE,
    KWOK,
    Component,
    all_components,
)

CASES = [
    *[
        (c, b.name, ["--version"], f"Kubernetes {c.version}")
        for c in all_components()
        if c.family == "kubernetes"
        for b in c.binaries
    ],
    (ETCD, "etcd", ["--version"], "etcd Version: 3.6.16"),
    (KWOK, "kwok", ["--version"], "kwok version v0.8.0"),
    (HELM, "helm", ["version", "--template", "{{.Version}}"], "v3.22.0"),
    (KUSTOMIZE, "kustomize", ["version"], "v5.8.2"),
]


@pytest.mark.parametrize(
    ("component", "binary", "args", "expected"),
    CASES,
    ids=[f"{c[1]}-{c[0].version}" for c in CASES],
)
def test_binary_reports_its_version(
    component: Component, binary: str, args: list[str], expected: str
) -> None:
    out = subprocess.run(
        [str(binary_path(component, binary)), *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0].strip()
    assert first == expected or first.startswith(expected + " "), first


def test_prometheus_reports_its_version_and_build_tags() -> None:
    """Prometheus is built on demand (not by a plain `sandbox build`): build it if missing."""
    from tests.integration.prometheus import prometheus_binary

    out = subprocess.run(
        [str(prometheus_binary()), "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("prometheus, version 3.16.0 (branch: HEAD, revision: 0000000"), lines
    assert "tags:             netgo,remove_all_sd" in out.stdout
