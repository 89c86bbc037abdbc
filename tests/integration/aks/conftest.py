"""Fixtures of the AKS API double (a test double: Azure cannot be reached from the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .double import AksDouble


@pytest.fixture(scope="module")
def aks_double(sandbox_home: Path) -> Iterator[AksDouble]:
    """A started AKS double; stopped afterwards with the sandboxes it started."""
    double = AksDouble()
    try:
        yield double
    finally:
        double.close()
