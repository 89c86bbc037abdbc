"""Issue #14: a large document the fast path hands to the full parser is parsed once per process.

The same CustomResourceDefinition sits in a chart's ``crds/``, in every install manifest and in
the output of every overlay that builds it; the second time, its objects come back as the fast
path gives them (identity only), at their own file and line, and the report is the full
parser's. Objects whose rules read their body are never remembered."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from kubecurrent.analyze import body_fields
from kubecurrent.collect.files import Document, read_file

_read = importlib.import_module("kubecurrent.collect.files._read")

BIG = (
    "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n"
    "  name: bigs.example.com\n  labels: &l {app: big}\nspec:\n  group: example.com\n"
    "  names: {kind: Big, plural: bigs}\n  copy: *l\n  notes:\n"
    + "".join(f'    - "line {n} with an escape \\\\t and text"\n' for n in range(2000))
)
"""Over ``SEEN_MIN_BYTES``, with an anchor and escapes: only the full parser reads it."""


def _identity(item: Any) -> tuple[str, str, str, int]:
    assert isinstance(item, Document)
    return item.kind, item.name, item.file, item.line


def test_a_large_document_seen_before_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(BIG.encode()) > _read.SEEN_MIN_BYTES
    first, second = tmp_path / "crds.yaml", tmp_path / "install.yaml"
    first.write_text(BIG)
    second.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n" + BIG)
    _read._SEEN.clear()
    once = list(read_file(first, body_fields=body_fields))
    parsed: list[int] = []
    real = _read._read_document
    monkeypatch.setattr(
        _read, "_read_document", lambda text, *a: parsed.append(len(text)) or real(text, *a)
    )
    again = list(read_file(second, body_fields=body_fields))
    assert not [size for size in parsed if size > _read.SEEN_MIN_BYTES]
    assert [_identity(i) for i in once] == [_identity(i) for i in read_file(first)]
    careful = [_identity(i) for i in read_file(second)]
    assert [_identity(i) for i in again] == careful
    assert careful[-1][3] == 6  # after the Namespace: its own line in its own file


def test_an_object_whose_rules_read_its_body_is_parsed_every_time(tmp_path: Path) -> None:
    role = BIG.replace(
        "apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition",
        "rbac.authorization.k8s.io/v1\nkind: ClusterRole",
    )
    assert body_fields("rbac.authorization.k8s.io/v1", "ClusterRole") or pytest.fail(
        "pick a kind with rules"
    )
    path = tmp_path / "role.yaml"
    path.write_text(role)
    _read._SEEN.clear()
    items = list(read_file(path, body_fields=body_fields))
    assert _read._SEEN == {}
    assert all(isinstance(i, Document) and i.complete for i in items)
