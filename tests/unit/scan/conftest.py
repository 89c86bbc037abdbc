"""Shared fixtures for the file-scan tests: the catalog context and the fixture repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.analyze import Context
from kubecurrent.catalog import load_catalog
from kubecurrent.model import MinorVersion

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scan"
REPO = FIXTURES / "repo"


@pytest.fixture(scope="session")
def ctx() -> Context:
    return Context.build(load_catalog(), MinorVersion.parse("1.37"))


@pytest.fixture(scope="session")
def ctx_124() -> Context:
    return Context.build(load_catalog(), MinorVersion.parse("1.24"))
