"""Records ↔ custom-resource fields, without a cluster: names, strategies, bounded lists."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kubecurrent.kubestate import _codec as c
from kubecurrent.kubestate import crd_documents
from kubecurrent.rollout import (
    AuditEntry,
    ClusterState,
    RolloutState,
    RunnerSettings,
    StepState,
    Strategy,
    WaveState,
)

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def test_a_cluster_upgrade_is_named_after_rollout_and_cluster() -> None:
    assert c.cluster_name("r-1", "prod-eu-1") == "r-1.prod-eu-1"


def test_a_cluster_name_that_is_no_object_name_is_made_one_stably() -> None:
    made = c.cluster_name("r-1", "Prod_EU/1")
    assert made == c.cluster_name("r-1", "Prod_EU/1")
    assert made.startswith("r-1.prod-eu-1-") and made != c.cluster_name("r-1", "prod_eu/1")


def test_a_long_rollout_name_still_fits_a_label() -> None:
    rid = "x" * 80
    label = c.rollout_label(rid)
    assert len(label) == 63 and label != c.rollout_label("x" * 81)


def test_a_strategy_survives_the_trip_through_the_spec() -> None:
    strategy = Strategy.model_validate(
        {
            "waves": [
                {"name": "canary", "count": 1, "soak": "1h30m"},
                {"name": "rest", "percent": 50, "failureBudget": {"clusters": 1}, "approval": True},
            ],
            "windows": [{"start": "22:00", "duration": "4h", "timezone": "Europe/Berlin"}],
            "blackouts": [{"from": "2026-12-21", "to": "2027-01-05"}],
        }
    )
    spec = c.strategy_spec(strategy)
    assert spec["waves"][0]["soak"] == "5400s"
    assert spec["windows"][0]["duration"] == "14400s"
    assert Strategy.model_validate(spec) == strategy


def test_append_bounded_keeps_the_newest_and_counts_the_rest() -> None:
    status: dict[str, object] = {"journal": [1, 2, 3]}
    c.append_bounded(status, "journal", [4, 5], 4)
    assert status == {"journal": [2, 3, 4, 5], "journalDropped": 1}
    c.append_bounded(status, "journal", [6, 7], 4)
    assert status == {"journal": [4, 5, 6, 7], "journalDropped": 3}


def test_a_long_audit_record_is_clipped_to_its_limit_and_stays_json() -> None:
    entry = AuditEntry(T0, "alice", "step.done", "r-1", "c1", detail="é" * 5000)
    text = c.audit_json(entry)
    assert len(text) <= c.AUDIT_TEXT
    back = c.audit_from(text)
    assert (back.user, back.action, back.cluster) == ("alice", "step.done", "c1")
    assert back.detail.endswith("…")


def test_an_audit_record_with_huge_extra_fields_keeps_its_core() -> None:
    entry = AuditEntry(T0, "alice", "step.done", "r-1", "c1", extra={"blob": "z" * 5000})
    back = json.loads(c.audit_json(entry))
    assert back["action"] == "step.done" and back["detail"] == "(clipped)"


def _enum(kind: str, *path: str) -> set[str]:
    doc = next(d for d in crd_documents() if d.kind == kind)
    node = doc.schema()
    for key in path:
        node = node["items"] if key == "[]" else node["properties"][key]
    return set(node["enum"])


def test_the_schemas_states_are_the_stores_states() -> None:
    assert _enum("FleetUpgrade", "status", "phase") == {s.value for s in RolloutState}
    assert _enum("FleetUpgrade", "status", "waves", "[]", "state") == {s.value for s in WaveState}
    assert _enum("ClusterUpgrade", "status", "state") == {s.value for s in ClusterState}
    assert _enum("ClusterUpgrade", "status", "steps", "[]", "state") == {s.value for s in StepState}


def test_the_runner_settings_of_a_fleet_upgrade_are_read_in_every_recorded_shape() -> None:
    fleet: dict[str, Any] = {
        "metadata": {"name": "to-1-37", "creationTimestamp": "2026-12-06T12:00:00Z"},
        "spec": {"target": "1.37"},
        "status": {"phase": "running", "runner": '{"helm_timeout": 600.0, "provider": "none"}'},
    }
    legacy = c.rollout_from(fleet)  # format 0, as the first KubeStore wrote it
    assert legacy.runner == RunnerSettings(provider="none", helm_timeout=600.0)
    written = c.rollout_status(legacy, [])["runner"]
    assert json.loads(written)["format"] == 1
    assert c.rollout_from({**fleet, "status": {"phase": "running", "runner": written}}) == legacy
    assert c.rollout_from({**fleet, "status": {"phase": "pending"}}).runner is None
