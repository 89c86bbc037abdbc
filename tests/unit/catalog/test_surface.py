"""The public surface of ``kubecurrent.catalog`` is deliberate, and the layer rule holds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kubecurrent.catalog as catalog

pytestmark = pytest.mark.unit


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in dir(catalog) if not n.startswith("_")}  # lazy names included
    assert set(catalog.__all__) == public - {"annotations", "TYPE_CHECKING", "lazy_exports"}
    assert sorted(catalog.__all__) == sorted(set(catalog.__all__))


def test_catalog_imports_only_model_errors_the_base_readers_and_writer_and_the_cache_dir() -> None:
    package = Path(catalog.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kubecurrent"):
                mod = node.module or ""
                assert mod.startswith(
                    (
                        "kubecurrent.catalog",
                        "kubecurrent.model",
                        "kubecurrent.errors",
                        "kubecurrent.useryaml",
                        "kubecurrent.textfile",
                        "kubecurrent._lazy",
                        "kubecurrent._version",
                        "kubecurrent.cachedir",
                    )
                ), f"{path.name} imports {mod}"
