"""A plan step is a record: built in code as given, checked field by field when read from
outside (a plan file, the rollout store, a ``ClusterPlan`` validated from JSON), and written as
the plan JSON's step object (``from`` for ``from_``)."""

from __future__ import annotations

import msgspec
import pydantic
import pytest

from kubecurrent.model.plan import ClusterPlan, FleetPlan, Step
from kubecurrent.plan import group_paths

STEP = Step(7, "node-pool", "general", "1.27.9", "1.28.15", "roll", "skew", 2, "eks")
JSON = {
    "order": 7, "type": "node-pool", "target": "general", "from": "1.27.9", "to": "1.28.15",
    "why": "roll", "without": "skew", "hop": 2, "managed_by": "eks",
}  # fmt: skip


def _plan(*steps: object) -> dict[str, object]:
    return {"name": "c", "status": "ok", "from_version": "1.27.9", "target": "1.28", "steps": steps}


def test_a_step_writes_the_plan_contracts_step_object_in_field_order() -> None:
    assert list(STEP.to_json().items()) == list(JSON.items())
    assert msgspec.json.decode(msgspec.json.encode(STEP)) == JSON


def test_a_step_reads_back_from_its_json_equal_and_with_the_same_hash() -> None:
    read = Step.read(JSON)
    assert read == STEP and hash(read) == hash(STEP)
    spelled = {("from_" if k == "from" else k): v for k, v in JSON.items()}
    assert Step.read(spelled) == STEP  # the field name is accepted as pydantic's alias was


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"order": 0}, "order"),
        ({"hop": -1}, "hop"),
        ({"type": "reboot"}, "type"),
        ({"managed_by": "azure"}, "managed_by"),
        ({"to": 1.28}, "to"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_wrong_field_read_from_outside_is_refused_by_name(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        Step.read({**JSON, **change})
    with pytest.raises(pydantic.ValidationError, match=field):
        ClusterPlan.model_validate(_plan({**JSON, **change}))


def test_a_missing_field_is_refused() -> None:
    without_why = {k: v for k, v in JSON.items() if k != "why"}
    with pytest.raises(ValueError, match="why"):
        Step.read(without_why)


def test_a_cluster_plan_round_trips_its_steps_through_json() -> None:
    plan = ClusterPlan.model_validate(_plan(JSON, {**JSON, "order": 8, "managed_by": None}))
    assert plan.steps[0] == STEP and plan.steps[1].managed_by is None
    text = plan.model_dump_json(by_alias=True)
    assert ClusterPlan.model_validate_json(text) == plan
    assert plan.model_dump(mode="json", by_alias=True)["steps"][0] == JSON
    assert plan.to_json()["steps"] == [JSON, {**JSON, "order": 8, "managed_by": None}]


def test_a_step_is_frozen_and_changes_only_into_a_new_step() -> None:
    with pytest.raises(AttributeError):
        STEP.hop = 5  # type: ignore[misc]
    moved = STEP.replace(to="1.29.0", from_="1.28.15")
    assert (moved.from_, moved.to, moved.order) == ("1.28.15", "1.29.0", 7)
    assert STEP.to == "1.28.15"
    assert moved.key() == ("node-pool", "general", "1.28.15", "1.29.0")


def test_a_fleet_plan_as_records_encodes_to_its_json() -> None:
    plan = ClusterPlan.model_validate(_plan(JSON, {**JSON, "order": 8, "why": "é \x7f"}))
    fleet = FleetPlan(target="1.28", clusters=(plan,), groups=group_paths([plan]))
    records = fleet.to_records()
    assert records["clusters"][0]["steps"] == list(plan.steps)
    assert msgspec.json.encode(records) == msgspec.json.encode(fleet.to_json())
    assert fleet.to_json()["clusters"][0] == plan.to_json()


def test_a_plans_json_schema_describes_its_steps_as_written() -> None:
    schema = ClusterPlan.model_json_schema(by_alias=True)
    step = schema["properties"]["steps"]["items"]
    assert set(step["required"]) == {
        "order",
        "type",
        "target",
        "from",
        "to",
        "why",
        "without",
        "hop",
    }
    assert step["properties"]["order"]["minimum"] == 1
    assert "control-plane" in step["properties"]["type"]["enum"]
