"""From a ``FleetUpgrade`` someone applied to the rollout it records (pure, no I/O).

``declared_rollout`` takes the FleetUpgrade, the namespace's MemberClusters and the names of
the Secrets that exist, and returns the records ``KubeStore.adopt`` writes — or ``Refused``
with the reason the controller sets on the ``Accepted`` condition. A member whose kubeconfig
Secret is missing fails alone: it is recorded ``failed`` with a detail naming the Secret, and
the others go on. ``edit_refusal`` says why an edit of a recorded rollout cannot be honoured.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    ClusterRecord,
    ClusterRef,
    ClusterState,
    Member,
    RolloutRecord,
    RolloutState,
    Strategy,
    WaveRecord,
    WaveState,
    assign_waves,
    default_strategy,
)

__all__ = ["Declared", "Refused", "changed_strategy", "declared_rollout", "edit_refusal"]


@dataclass(frozen=True)
class Refused:
    """Why a FleetUpgrade is not carried out (the ``Accepted`` condition's reason, message)."""

    reason: str
    message: str


@dataclass(frozen=True)
class Declared:
    rollout: RolloutRecord
    waves: tuple[WaveRecord, ...]
    clusters: tuple[ClusterRecord, ...]


def _selected(members: Sequence[Mapping[str, Any]], match: Mapping[str, str]) -> list[Member]:
    found = []
    for m in members:
        labels = m["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in match.items()):
            found.append(Member(m["metadata"]["name"], labels))
    return found


def declared_rollout(
    obj: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    secrets: Collection[str],
    now: dt.datetime,
    actor: str,
) -> Declared | Refused:
    """The rollout a FleetUpgrade declares (see the module docstring)."""
    rid, spec = obj["metadata"]["name"], obj["spec"]
    namespace = obj["metadata"].get("namespace", "")
    match = (spec.get("clusterSelector") or {}).get("matchLabels") or {}
    chosen = _selected(members, match)
    if not chosen:
        wanted = ", ".join(f"{k}={v}" for k, v in match.items()) or "(any)"
        return Refused(
            "NoClusters",
            f"no MemberCluster in namespace {namespace} has the labels {wanted}: add "
            "MemberClusters or change spec.clusterSelector",
        )
    try:
        strategy = Strategy.model_validate(spec.get("strategy") or {})
        if not strategy.waves:
            strategy = strategy.model_copy(update={"waves": default_strategy(chosen).waves})
        names = assign_waves(strategy, chosen)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return Refused("InvalidStrategy", f"spec.strategy: {problems}")
    except UsageError as exc:
        return Refused("InvalidStrategy", f"spec.strategy: {exc.message} ({exc.hint})")
    by_name = {m["metadata"]["name"]: m for m in members}
    rollout = RolloutRecord(
        rid,
        spec["target"].removeprefix("v"),
        f"MemberClusters of {namespace}",
        strategy,
        RolloutState.PENDING,
        now,
        now,
        actor,
    )
    waves = tuple(
        WaveRecord(rid, i, w.name, WaveState.PENDING, w.approvals_needed)
        for i, w in enumerate(strategy.waves)
    )
    clusters = []
    position = 0
    for index, wave in enumerate(names):
        for name in wave:
            member = by_name[name]
            ref = member["spec"]["kubeconfigSecretRef"]
            missing = ref["name"] not in secrets
            clusters.append(
                ClusterRecord(
                    rid,
                    ClusterRef(
                        name,
                        context=member["spec"].get("context"),
                        labels=dict(member["metadata"].get("labels") or {}),
                        timeout=float(member["spec"].get("timeoutSeconds", 120)),
                    ),
                    index,
                    position,
                    ClusterState.FAILED if missing else ClusterState.PENDING,
                    detail=f"Secret {ref['name']} (key {ref.get('key', 'kubeconfig')}) is not in "
                    f"namespace {namespace}: create it, or fix spec.kubeconfigSecretRef of "
                    f"MemberCluster {name}"
                    if missing
                    else "",
                )
            )
            position += 1
    return Declared(rollout, waves, tuple(clusters))


def edit_refusal(obj: Mapping[str, Any], recorded: RolloutRecord) -> Refused | None:
    """Why the FleetUpgrade's current spec cannot be honoured by its recorded rollout (None:
    it can — approvals and ``paused`` can always change)."""
    target = str(obj["spec"]["target"]).removeprefix("v")
    if target != recorded.target:
        return Refused(
            "TargetChanged",
            f"spec.target changed from {recorded.target} to {target} after the rollout started; "
            f"it goes on to {recorded.target}: apply a new FleetUpgrade for {target}",
        )
    try:
        wanted = Strategy.model_validate(obj["spec"].get("strategy") or {})
    except ValidationError:
        return Refused(
            "InvalidStrategy", "spec.strategy no longer validates; the recorded one is used"
        )
    names = [w.name for w in wanted.waves]
    if names and names != [w.name for w in recorded.strategy.waves]:
        return Refused(
            "StrategyChanged",
            f"the waves changed ({', '.join(names)}) after the clusters were assigned to "
            f"{', '.join(w.name for w in recorded.strategy.waves)}; the recorded waves stay: "
            "apply a new FleetUpgrade for another split",
        )
    return None


def changed_strategy(obj: Mapping[str, Any], recorded: RolloutRecord) -> Strategy | None:
    """The FleetUpgrade's strategy when it differs from the one in force but keeps its waves
    (concurrency, soak, budgets, windows, health may change mid-way), else None."""
    try:
        wanted = Strategy.model_validate(obj["spec"].get("strategy") or {})
    except ValidationError:
        return None
    if not wanted.waves:
        return None
    same_waves = [w.name for w in wanted.waves] == [w.name for w in recorded.strategy.waves]
    return wanted if same_waves and wanted != recorded.strategy else None
