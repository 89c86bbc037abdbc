"""Who approved a wave: counted from the rollout's append-only audit trail.

Each approval is an audit record ``wave.approve`` with the approver as ``user`` and the wave's
name as ``wave``; a wave's gate opens when as many different people as it needs have approved
(``approvals: N`` in the strategy). With ``starterMayApprove: false`` the person who started the
rollout is refused (and the refusal audited), so it never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


def approvers(audit: Iterable[Mapping[str, Any]], wave: str) -> tuple[str, ...]:
    """The different people whose approval of ``wave`` counts, first approval first, from a
    rollout's audit records."""
    found: list[str] = []
    for record in audit:
        counted = record.get("action") == "wave.approve" and record.get("outcome") == "ok"
        if counted and record.get("wave") == wave and record.get("user") not in found:
            found.append(str(record["user"]))
    return tuple(found)
