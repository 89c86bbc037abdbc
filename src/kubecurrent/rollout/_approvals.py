"""Who approved a wave: counted from the rollout's append-only audit trail.

Each approval is an audit record ``wave.approve`` with the approver as ``user`` and the wave's
name as ``wave``; a wave's gate opens when as many different people as it needs have approved
(``approvals: N`` in the strategy). With ``starterMayApprove: false`` the person who started the
rollout is refused (and the refusal audited), so it never counts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

__all__ = ["Approval", "approvers"]


@dataclass(frozen=True)
class Approval:
    """Where a wave's approval gate stands."""

    wave: str
    approvers: tuple[str, ...]
    """The different people whose approval counts, in the order they approved."""
    needed: int

    @property
    def complete(self) -> bool:
        return len(self.approvers) >= self.needed

    def describe(self) -> str:
        who = ", ".join(self.approvers)
        if self.complete:
            return f"wave {self.wave} approved by {who}"
        missing = self.needed - len(self.approvers)
        return (
            f"wave {self.wave}: {len(self.approvers)} of {self.needed} approvals ({who}); "
            f"it needs {missing} more from someone else"
        )


def approvers(db: sqlite3.Connection, rollout: str, wave: str) -> tuple[str, ...]:
    """The different people who approved ``wave`` of ``rollout``, first approval first."""
    found: list[str] = []
    rows = db.execute("SELECT record FROM audit WHERE rollout = ? ORDER BY seq", (rollout,))
    for (text,) in rows.fetchall():
        record = json.loads(text)
        counted = record.get("action") == "wave.approve" and record.get("outcome") == "ok"
        if counted and record.get("wave") == wave and record["user"] not in found:
            found.append(str(record["user"]))
    return tuple(found)
