"""docs/gke.md and docs/aks.md state which maintenance windows kubecurrent enforces, in tables
the code must agree with: each recurrence or schedule is read by the planner into the window
the table says, or refused with the reason it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubecurrent.collect.aks import cluster_of
from kubecurrent.model.recurrence import Recurrence, RecurrenceError
from kubecurrent.plan._aks import holds
from tests.unit.aks.test_facts import _cluster

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[3] / "docs"


def table(page: str, header: str) -> list[tuple[str, str]]:
    """The two-cell rows of the table whose header row is ``header`` (code quotes removed)."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.strip().startswith("|"):
            break
        left, right = (c.strip().strip("`") for c in line.strip().strip("|").split(" | "))
        rows.append((left, right))
    return rows


GKE_ROWS = table("gke.md", "| recurrence | enforced as |")
AKS_ROWS = table("aks.md", "| `schedule` | enforced as |")


def test_the_tables_are_found_with_both_outcomes() -> None:
    assert len(GKE_ROWS) >= 10 and any(r.startswith("refused") for _, r in GKE_ROWS)
    assert {next(iter(json.loads(s))) for s, _ in AKS_ROWS} == {
        "daily",
        "weekly",
        "absoluteMonthly",
        "relativeMonthly",
    }


@pytest.mark.parametrize(("rule", "enforced"), GKE_ROWS)
def test_gke_recurrences_are_enforced_as_the_page_says(rule: str, enforced: str) -> None:
    if enforced.startswith("refused: "):
        with pytest.raises(RecurrenceError) as refused:
            Recurrence.parse(rule)
        assert str(refused.value) == enforced.removeprefix("refused: ")
    else:
        assert Recurrence.parse(rule).text() == enforced


@pytest.mark.parametrize(("schedule", "enforced"), AKS_ROWS)
def test_aks_schedules_are_enforced_as_the_page_says(schedule: str, enforced: str) -> None:
    window = {
        "schedule": json.loads(schedule),
        "startDate": "2026-01-01",
        "startTime": "02:00",
        "durationHours": 4,
        "utcOffset": "+01:00",
    }
    data = {"name": "aksManagedAutoUpgradeSchedule", "properties": {"maintenanceWindow": window}}
    (hold,) = holds(cluster_of(_cluster(), maintenance=[data]))
    assert hold.kind == "window" and hold.recurrence is not None
    assert hold.recurrence.text() == enforced
