"""Findings are plain records: checked when built, printed as reports show them, read back
strictly."""

from __future__ import annotations

import pickle

import pytest

from kubecurrent.model.findings import (
    Category,
    EvidenceSource,
    Finding,
    Location,
    ObjectRef,
    ScanError,
    Severity,
    Status,
    from_data,
    replace,
    to_data,
)


def _finding(**changes: object) -> Finding:
    f = Finding(
        rule="KC-API-REMOVED",
        severity=Severity.ERROR,
        status=Status.REMOVED,
        object=ObjectRef(api_version="extensions/v1beta1", kind="Ingress", name="web"),
        location=Location(file="deploy/web.yaml", line=3),
        source=EvidenceSource.MANIFEST,
        message="gone",
        removed_in="1.22",
    )
    return replace(f, **changes)


def test_a_rule_id_that_is_not_kc_upper_case_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="rule id 'api-removed'"):
        _finding(rule="api-removed")
    with pytest.raises(ValueError, match="rule id"):
        Finding(**{**_fields(_finding()), "rule": "KC-lower"})


def test_a_line_below_one_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match=r"a\.yaml: line must be 1 or more, not 0"):
        Location(file="a.yaml", line=0)
    assert Location(file="a.yaml").line == 1


def test_data_uses_the_written_names_enum_values_and_leaves_out_none() -> None:
    data = to_data(_finding())
    assert list(data) == [
        "rule", "severity", "status", "object", "location", "source", "message",
        "removed_in", "remediation", "category",
    ]  # fmt: skip
    assert data["object"] == {
        "apiVersion": "extensions/v1beta1", "kind": "Ingress", "name": "web", "namespace": "",
    }  # fmt: skip
    assert data["location"] == {"file": "deploy/web.yaml", "line": 3}
    assert (data["severity"], data["category"]) == ("error", "api")
    assert type(data["severity"]) is str
    assert to_data(_finding(), nones=True)["fix_by"] is None
    assert to_data(ScanError(file="x.yaml", message="bad")) == {"file": "x.yaml", "message": "bad"}


def test_data_reads_back_to_an_equal_record() -> None:
    for record in (_finding(category=Category.CHART), ScanError(file="x", line=2, message="m")):
        assert from_data(type(record), to_data(record), "report.json") == record
    back = from_data(Finding, to_data(_finding()), "report.json")
    assert back.severity is Severity.ERROR and back.object.api_version == "extensions/v1beta1"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"extra": 1}, "unknown field `extra`"),
        ({"severity": "fatal"}, "Invalid enum value 'fatal'"),
        ({"rule": "nope"}, "rule id 'nope'"),
        ({"location": {"file": "a", "line": 0}}, "line must be 1 or more"),
        ({"object": {"api_version": "v1", "kind": "Pod"}}, "unknown field `api_version`"),
    ],
)
def test_reading_back_refuses_bad_data_naming_where(
    change: dict[str, object], problem: str
) -> None:
    data = {**to_data(_finding()), **change}
    with pytest.raises(ValueError, match=r"report\.json: not a Finding") as info:
        from_data(Finding, data, "report.json")
    assert problem in str(info.value)


def test_records_are_frozen_hashable_and_survive_a_process_pool() -> None:
    f = _finding()
    with pytest.raises(AttributeError):
        f.message = "x"  # type: ignore[misc]
    assert {f, _finding()} == {f}
    assert pickle.loads(pickle.dumps(f)) == f  # noqa: S301 (our own bytes)
    assert replace(f, message="other") != f
    assert replace(f.location, cluster="prod").cluster == "prod"


def _fields(f: Finding) -> dict[str, object]:
    return {name: getattr(f, name) for name in f.__struct_fields__}
