"""Fixtures for catalog tests: a small valid catalog copied to a temp dir, ready to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

FIXTURES = Path(__file__).parent / "fixtures"

Mutate = Callable[[str, Callable[[Any], None]], Path]


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture catalog."""
    root = tmp_path / "data"
    shutil.copytree(FIXTURES / "catalog", root)
    return root


@pytest.fixture
def mutate(catalog_dir: Path) -> Mutate:
    """Edit one YAML file of the copy in place: ``mutate("apis.yaml", lambda doc: ...)``."""

    def apply(name: str, edit: Callable[[Any], None]) -> Path:
        path = catalog_dir / name
        doc = yaml.safe_load(path.read_text())
        edit(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return catalog_dir

    return apply
