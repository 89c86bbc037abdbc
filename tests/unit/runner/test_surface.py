"""The wiring package: its public surface, and that it neither prints nor asks (interfaces do)."""

from __future__ import annotations

import ast
from pathlib import Path

import kubecurrent.runner as runner

TERMINAL = ("click", "rich", "kubecurrent.cli", "kubecurrent.web")


def test_the_public_surface_is_what_the_interfaces_share() -> None:
    assert sorted(runner.__all__) == sorted(
        [
            "DEFAULTS",
            "RUNNER_OPTIONS",
            "RecordedRunners",
            "RunSettings",
            "SandboxAwareRun",
            "Setup",
            "audit_path",
            "build_executor",
            "cluster_api",
            "default_audit_path",
            "from_values",
            "gitops_addons",
            "health_gate",
            "in_force",
            "promql_flags",
            "providers",
            "server_of",
            "run_settings",
            "to_values",
            "wants_runbook",
        ]
    )
    assert all(hasattr(runner, name) for name in runner.__all__)


def test_no_module_of_the_runner_imports_a_terminal_or_an_interface() -> None:
    folder = Path(runner.__file__).parent
    found = []
    for module in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{module.name}: {n}" for n in names if n.startswith(TERMINAL)]
    assert found == []
