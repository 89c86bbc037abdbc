"""Fixtures of the EKS API double (a test double: AWS cannot be reached from the tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .double import EksDouble


@pytest.fixture(scope="module")
def eks_double(sandbox_home: Path) -> Iterator[EksDouble]:
    """A started EKS double; stopped afterwards with the sandboxes it started."""
    double = EksDouble()
    try:
        yield double
    finally:
        double.close()
