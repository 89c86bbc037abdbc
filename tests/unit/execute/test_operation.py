"""One wait for every cloud's long-running operation: success, failure and timeout, audited."""

from __future__ import annotations

from typing import Any

import pytest

from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._operation import Operation, Phase, Reading, await_operation

pytestmark = pytest.mark.unit


class _Audit:
    """Keeps audit records in memory (stands in for the JSON-lines log or the rollout store)."""

    cluster = "prod"

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, action: str, **fields: Any) -> dict[str, Any]:
        record = {"action": action, **fields}
        self.records.append(record)
        return record


class _Time:
    """A clock that only moves when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Clock:
        return Clock(monotonic=lambda: self.now, sleep=self.sleep)


_OP = Operation(
    label="EKS update u-1 (control plane of prod to 1.33)",
    what="control plane of prod to 1.33",
    done_action="eks.update-done",
    cloud="EKS",
    ids={"update": "u-1"},
)


def _readings(*items: Reading) -> Any:
    left = list(items)
    return lambda: left.pop(0)


def test_polls_until_success_and_audits_the_end_with_the_cloud_id() -> None:
    audit, time = _Audit(), _Time()
    read = _readings(
        Reading(Phase.RUNNING, "InProgress"),
        Reading(Phase.RUNNING, "InProgress"),
        Reading(Phase.SUCCEEDED, "Successful"),
    )
    got = await_operation(read, _OP, audit=audit, clock=time.clock(), timeout=60, poll=5)
    assert got.state == "Successful"
    assert time.sleeps == [5, 5]
    assert audit.records == [
        {
            "action": "eks.update-done",
            "outcome": "ok",
            "detail": "control plane of prod to 1.33: Successful",
            "update": "u-1",
        }
    ]


def test_a_failed_operation_is_audited_and_stops_the_step_with_the_clouds_reason() -> None:
    audit, time = _Audit(), _Time()
    read = _readings(Reading(Phase.FAILED, "Failed", "Failed: AccessDenied: no role"))
    with pytest.raises(PermanentStepError) as caught:
        await_operation(read, _OP, audit=audit, clock=time.clock(), timeout=60, poll=5)
    assert caught.value.message == (
        "EKS update u-1 (control plane of prod to 1.33) Failed: AccessDenied: no role"
    )
    assert "fix the cause EKS names" in caught.value.hint
    assert audit.records[0]["outcome"] == "failed"
    assert time.sleeps == []


def test_where_to_look_replaces_the_default_hint_for_clouds_without_a_reason() -> None:
    op = Operation(
        label="cluster x",
        what="cluster x",
        done_action="aks.operation-done",
        cloud="AKS",
        where_to_look="find the cause in the activity log",
    )
    with pytest.raises(PermanentStepError) as caught:
        await_operation(
            _readings(Reading(Phase.FAILED, "Failed")),
            op,
            audit=_Audit(),
            clock=_Time().clock(),
            timeout=1,
            poll=1,
        )
    assert caught.value.message == "cluster x Failed"
    assert caught.value.hint.startswith("find the cause in the activity log, then")


def test_running_past_the_timeout_stops_waiting_without_an_end_record() -> None:
    audit, time = _Audit(), _Time()
    with pytest.raises(PermanentStepError) as caught:
        await_operation(
            lambda: Reading(Phase.RUNNING, "InProgress"),
            _OP,
            audit=audit,
            clock=time.clock(),
            timeout=12,
            poll=5,
        )
    assert caught.value.message.endswith("still InProgress after 12s")
    assert "resuming waits for it" in caught.value.hint
    assert audit.records == []
    assert time.now >= 12
