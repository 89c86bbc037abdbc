"""docs/eks.md lists the IAM permissions kubecurrent needs: exactly the EKS API operations the
EKS code calls (read, and to upgrade), so a new call cannot go undocumented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
CODE = [
    *(ROOT / "src/kubecurrent/collect/eks").glob("*.py"),
    ROOT / "src/kubecurrent/execute/_eks.py",
]
OPERATION = r"(?:list|describe|update|create|delete|tag|untag|associate)_[a-z_]+"


def called() -> set[str]:
    """``eks:Operation`` of every boto3 EKS operation the code calls or paginates."""
    operations = set()
    for file in CODE:
        text = file.read_text(encoding="utf-8")
        operations |= set(re.findall(rf"\.({OPERATION})\(", text))
        operations |= set(re.findall(rf'"({OPERATION})"', text))
    return {"eks:" + "".join(w.capitalize() for w in op.split("_")) for op in operations}


def documented() -> tuple[set[str], set[str]]:
    """(to read, to upgrade) as the page's "IAM permissions used" paragraph names them."""
    text = " ".join((ROOT / "docs/eks.md").read_text(encoding="utf-8").split())
    paragraph = text.split("IAM permissions used:", 1)[1].split(" a Kubernetes identity", 1)[0]
    read, upgrade = paragraph.split("to upgrade also", 1)
    return set(re.findall(r"`(eks:\w+)`", read)), set(re.findall(r"`(eks:\w+)`", upgrade))


def test_the_permissions_are_the_operations_called() -> None:
    read, upgrade = documented()
    operations = called()
    assert len(operations) > 10
    assert read | upgrade == operations
    assert upgrade == {op for op in operations if not op.startswith(("eks:List", "eks:Describe"))}
