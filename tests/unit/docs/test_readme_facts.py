"""Facts the README states about the code, checked against it: the sandbox's default build, the
catalog's add-on count, the executor's providers and the layers of the import contract."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import click
import pytest

import kubecurrent.catalog as catalog
from kubecurrent.cli._app import _register, root

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_states_the_sandbox_builds_default() -> None:
    from kubecurrent import sandbox

    (line,) = [ln for ln in README.splitlines() if ln.startswith("kubecurrent sandbox build [")]
    assert line.endswith(f"default {', '.join(sandbox.DEFAULT_BUILD)}"), line


def test_the_readme_counts_the_catalogs_add_ons() -> None:
    (count,) = re.findall(r"(\d+) add-ons with the Kubernetes range", README)
    assert int(count) == len(list((catalog.data_dir() / "addons").glob("*.yaml")))


def test_the_readme_names_every_provider_the_executor_has() -> None:
    (listed,) = re.findall(r"\*\*the executor\*\* \(providers: ([^)]+)\)", README)
    names = {"the sandbox": "sandbox", "Cluster API": "cluster-api"}
    written = {names.get(n, n.lower()) for n in listed.split(", ")}
    _register()
    (upgrade,) = [p for p in root.commands["upgrade"].params if p.name == "provider"]
    assert isinstance(upgrade.type, click.Choice)
    assert written == set(upgrade.type.choices) - {"auto", "kubeadm", "none"}  # a runbook, none


def test_the_readme_draws_the_layers_of_the_import_contract() -> None:
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [
        c["layers"] for c in contract["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    expected = [
        sorted(part.strip(" ()").removeprefix("kubecurrent.") for part in layer.split("|"))
        for layer in layers
    ]
    text = " ".join(README.split("- Layout:", 1)[1].split("(the HTML templates", 1)[0].split())
    drawn = [sorted(re.findall(r"`(\w+)`", step)) for step in text.split("→")]
    assert drawn == expected
