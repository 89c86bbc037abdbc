"""Who approved a wave, and the rule that says whether one more approval counts.

A wave's gate opens when as many different people as it needs have approved (``approvals: N``
in the strategy; ``approval: true`` is one). With ``starterMayApprove: false`` the person who
started the rollout is refused (the refusal is audited), so it never counts. ``judge`` is the
rule; every ``RolloutStore`` applies it inside its atomic ``record_approval``, so two approvals
arriving together cannot both be the one that opens the gate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from kubecurrent.rollout._state import AuditAction, AuditEntry, RolloutRecord, WaveRecord

__all__ = ["Approval", "ApprovalOutcome", "approvers_in", "judge", "refusal"]

STARTER_REFUSED = "the starter's approval does not count (starterMayApprove: false)"


class ApprovalOutcome(StrEnum):
    """What ``RolloutStore.record_approval`` did with one person's approval."""

    COUNTED = "counted"
    """Recorded; the wave needs approvals from more people."""
    OPENED = "opened"
    """Recorded, and it was the last one needed: the gate is open."""
    ALREADY_OPEN = "already-open"
    """Nothing recorded: enough people had approved already."""
    REPEATED = "repeated"
    """Nothing recorded: this person's approval counts already."""
    STARTER_REFUSED = "starter-refused"
    """Refused (and audited as ``denied``): the starter may not approve this rollout."""

    @property
    def recorded(self) -> bool:
        return self in (ApprovalOutcome.COUNTED, ApprovalOutcome.OPENED)


@dataclass(frozen=True, slots=True)
class Approval:
    """Where a wave's approval gate stands after one person's approval."""

    wave: str
    approvers: tuple[str, ...]
    """The different people whose approval counts, in the order they approved."""
    needed: int
    outcome: ApprovalOutcome

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


def judge(rollout: RolloutRecord, wave: WaveRecord, actor: str) -> ApprovalOutcome:
    """Whether ``actor``'s approval of ``wave`` counts, given the wave as it stands now."""
    if wave.approved_by is not None or len(wave.approvers) >= wave.approvals_needed:
        return ApprovalOutcome.ALREADY_OPEN
    if actor == rollout.actor and not rollout.strategy.starter_may_approve:
        return ApprovalOutcome.STARTER_REFUSED
    if actor in wave.approvers:
        return ApprovalOutcome.REPEATED
    if len(wave.approvers) + 1 >= wave.approvals_needed:
        return ApprovalOutcome.OPENED
    return ApprovalOutcome.COUNTED


def refusal(audit: AuditEntry, wave: str) -> AuditEntry:
    """The audit record of a refused starter's approval (``audit`` as the caller gave it)."""
    return dataclasses.replace(audit, outcome="denied", detail=f"wave {wave}: {STARTER_REFUSED}")


def approvers_in(audit: Iterable[AuditEntry], wave: str) -> tuple[str, ...]:
    """The different people whose approval of ``wave`` counts, first approval first, from a
    rollout's audit trail (``wave.approve`` records that carry the wave's name and succeeded)."""
    found: list[str] = []
    for entry in audit:
        counted = entry.action == AuditAction.APPROVE and entry.outcome == "ok"
        if counted and entry.extra.get("wave") == wave and entry.user not in found:
            found.append(entry.user)
    return tuple(found)
