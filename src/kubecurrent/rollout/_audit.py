"""The executor's audit records, appended to the rollout's audit trail in the state store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubecurrent.execute import audit_record
from kubecurrent.rollout._protocol import RolloutStore
from kubecurrent.rollout._state import AuditEntry

__all__ = ["StoreAudit"]


@dataclass
class StoreAudit:
    """The ``kubecurrent.execute.Audit`` of one cluster of a rollout (step states are moved by
    the engine from the executor's ``progress``, not read from these records)."""

    store: RolloutStore
    rollout: str
    cluster: str
    user: str
    now: Callable[[], dt.datetime]

    def write(self, action: str, **fields: Any) -> dict[str, Any]:
        record = audit_record(
            when=self.now(), user=self.user, cluster=self.cluster, action=action, **fields
        )
        record["rollout"] = self.rollout
        self.store.audit(AuditEntry.from_json(record))
        return record
