"""Fixtures of the GKE API double (a test double: Google Cloud cannot be reached from tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .double import GkeDouble


@pytest.fixture(scope="module")
def gke_double(sandbox_home: Path) -> Iterator[GkeDouble]:
    """A started GKE double; stopped afterwards with the sandboxes it started."""
    double = GkeDouble()
    try:
        yield double
    finally:
        double.close()
