"""#21.1: documents are read the way Kubernetes reads them (sigs.k8s.io/yaml over go-yaml v2),
not with PyYAML's YAML 1.1 surprises: ``=`` is a string, no base-60 numbers, timestamps stay
text, ``y``/``n`` are booleans, ``1e3`` is a number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubecurrent.analyze import body_fields
from kubecurrent.collect.files import Document, KubeLoader, read_file
from kubecurrent.collect.files._yaml import load
from kubecurrent.model.findings import ScanError

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("=", "="),
        ("1:30", "1:30"),
        ("190:20:30", "190:20:30"),
        ("2024-02-30", "2024-02-30"),
        ("2025-01-31", "2025-01-31"),
        ("2025-01-31T10:00:00Z", "2025-01-31T10:00:00Z"),
        ("y", True),
        ("N", False),
        ("yes", True),
        ("off", False),
        ("1e3", 1000.0),
        ("0o17", 15),
        ("0755", 493),
        ("0x1F", 31),
        ("1_000", 1000),
        (".inf", float("inf")),
        ("~", None),
        ("<<", "<<"),
        ("plain", "plain"),
    ],
)
def test_plain_scalars_are_typed_as_kubernetes_types_them(text: str, value: Any) -> None:
    assert load(f"v: {text}\n") == {"v": value}


def test_quoted_scalars_stay_strings() -> None:
    assert load('a: "="\nb: "y"\nc: "1:30"\n') == {"a": "=", "b": "y", "c": "1:30"}


def test_merge_keys_still_merge() -> None:
    assert load("base: &b {x: 1}\nm:\n  <<: *b\n  z: 2\n")["m"] == {"x": 1, "z": 2}


def test_keys_typed_as_booleans_or_numbers_become_their_json_text() -> None:
    assert load("y: 1\noff: 2\n10: 3\n") == {"true": 1, "false": 2, "10": 3}


def test_unknown_tags_are_ignored_as_go_yaml_does_and_nothing_is_called(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"v: !!python/object/apply:os.system ['touch {marker}']\nw: !!string 5\nx: !Ref y\n"
    assert load(text) == {"v": [f"touch {marker}"], "w": "5", "x": "y"}
    assert not marker.exists()
    assert issubclass(KubeLoader, yaml.constructor.SafeConstructor)


@pytest.mark.parametrize("fast", [False, True])
def test_a_value_tag_matcher_keeps_its_object_and_the_next_ones(fast: bool) -> None:
    items = list(
        read_file(
            CASES / "yaml11" / "alertmanager-config.yaml", body_fields=body_fields if fast else None
        )
    )
    assert not [i for i in items if isinstance(i, ScanError)]
    docs = [i for i in items if isinstance(i, Document)]
    assert [(d.kind, d.name, d.line) for d in docs] == [
        ("AlertmanagerConfig", "team-routes", 2),
        ("ConfigMap", "odd-scalars", 17),
        ("CronJob", "after-the-odd-ones", 26),
    ]
    if not fast:
        matchers = docs[0].data["spec"]["route"]["matchers"]
        assert [m["matchType"] for m in matchers] == ["=", "!="]
        assert docs[1].data["data"] == {
            "sexagesimal": "1:30",
            "invalid-date": "2024-02-30",
            "date": "2025-01-31",
        }


def test_a_name_kubernetes_reads_as_a_boolean_is_an_error_naming_the_field(
    tmp_path: Path,
) -> None:
    f = tmp_path / "ns.yaml"
    f.write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n")
    (error,) = read_file(f)
    assert isinstance(error, ScanError) and error.line == 1
    assert "metadata.name is false (a boolean), not a string" in error.message


def test_the_typing_table_in_the_docs_is_what_the_reader_does() -> None:
    import json
    import re

    doc = Path(__file__).resolve().parents[3] / "docs" / "file-scan.md"
    rows = re.findall(r"(?m)^\| `([^`]+)` +\| `([^`]+)` +\|", doc.read_text())
    assert len(rows) >= 9, "docs/file-scan.md lost its YAML typing table"
    for text, shown in rows:
        assert load(f"v: {text}\n") == {"v": json.loads(shown)}, text


def test_the_fast_readers_judge_scalars_by_the_loader_s_own_table() -> None:
    # One table: what the rapidyaml tier takes for a string is what KubeLoader builds as one.
    from kubecurrent.collect.files._scalars import IMPLICIT

    assert KubeLoader.yaml_implicit_resolvers is IMPLICIT
    assert yaml.load("y", Loader=KubeLoader) is True  # noqa: S506 - a safe loader
