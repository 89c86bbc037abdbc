"""The audit trail: every action on a cluster as one JSON line (who, what, when, where, versions).

A record::

    {"time": "2026-11-25T10:00:00+00:00", "user": "alice", "cluster": "prod",
     "action": "step.done", "step": 3, "type": "control-plane", "target": "control-plane",
     "before": "1.36.3", "after": "1.37.2", "outcome": "ok", "detail": "..."}

``user`` is the operating-system user running kubecurrent. ``force-unsafe`` deletions are
written with ``action: "pod.force-delete"`` and the ``--force-unsafe`` flag named in ``detail``.
The file is appended to and flushed after each record, so it survives a crash.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kubecurrent.model.plan import Step

__all__ = ["Audit", "AuditLog", "audit_record", "read_audit"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def audit_record(
    *,
    when: dt.datetime,
    user: str,
    cluster: str,
    action: str,
    step: Step | None = None,
    before: str | None = None,
    after: str | None = None,
    outcome: str = "ok",
    detail: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One audit record; fields of the step come before ``extra`` ones."""
    record: dict[str, Any] = {
        "time": when.isoformat(timespec="seconds"),
        "user": user,
        "cluster": cluster,
        "action": action,
    }
    if step is not None:
        record |= {"step": step.order, "type": step.type, "target": step.target}
        before = step.from_ if before is None else before
    record |= {"before": before, "after": after, "outcome": outcome, "detail": detail}
    return record | extra


class Audit(Protocol):
    """Where audit records go: a JSON-lines file (``AuditLog``) or a rollout's state store."""

    cluster: str

    def write(self, action: str, **fields: Any) -> dict[str, Any]: ...


@dataclass
class AuditLog:
    """Appends audit records for one cluster to a JSON-lines file."""

    path: Path
    cluster: str
    user: str = field(default_factory=getpass.getuser)
    clock: Callable[[], dt.datetime] = _now

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, action: str, **fields: Any) -> dict[str, Any]:
        record = audit_record(
            when=self.clock(), user=self.user, cluster=self.cluster, action=action, **fields
        )
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record, sort_keys=False) + "\n")
            out.flush()
        return record


def read_audit(path: Path) -> list[dict[str, Any]]:
    """Every record of an audit file, oldest first."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
