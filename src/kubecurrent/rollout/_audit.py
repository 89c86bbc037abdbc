"""The executor's audit records, written into the rollout's state store.

Besides appending each record to the append-only ``audit`` table, step records move the step's
row: ``step.start`` → running, ``step.done``/``step.skip`` → done, ``step.fail`` → failed. A step
found already done after a crash is recorded ``done`` once; repeating it writes no second
completion to the journal.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubecurrent.execute import audit_record
from kubecurrent.model.plan import Step
from kubecurrent.rollout._store import Store, stamp

__all__ = ["StoreAudit"]

_STEP_STATE = {
    "step.start": "running",
    "step.done": "done",
    "step.skip": "done",
    "step.fail": "failed",
}


@dataclass
class StoreAudit:
    store: Store
    rollout: str
    cluster: str
    user: str
    now: Callable[[], dt.datetime]

    def write(self, action: str, **fields: Any) -> dict[str, Any]:
        when = self.now()
        record = audit_record(
            when=when, user=self.user, cluster=self.cluster, action=action, **fields
        )
        record["rollout"] = self.rollout
        step: Step | None = fields.get("step")
        with self.store.tx() as db:
            db.execute(
                "INSERT INTO audit(rollout, record) VALUES (?, ?)",
                (self.rollout, _dumps(record)),
            )
            to = _STEP_STATE.get(action)
            if step is not None and to is not None:
                times = {"started": stamp(when)} if to == "running" else {"finished": stamp(when)}
                detail = str(fields.get("detail") or "")
                if action == "step.skip":
                    detail = "already done (found by the inventory)"
                self.store.transition(
                    db,
                    rollout=self.rollout,
                    entity="step",
                    key={"rollout": self.rollout, "cluster": self.cluster, "step": step.order},
                    to=to,
                    actor=self.user,
                    when=when,
                    detail=detail,
                    **times,
                )
        return record


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, default=str)
