"""Rehearsal evidence attached to a rollout: ``rollout start --rehearsal FILE
[--require-rehearsal]``.

Each file is the JSON evidence of ``kubecurrent rehearse --name NAME --report FILE.json``; it is
matched to the rollout's cluster of the same name and recorded in the rollout's audit trail
(action ``rehearsal``: versions, outcome, counts, the file's SHA-256), so the change record and
the dashboard's report carry it. With ``--require-rehearsal`` a rollout starts only when every
one of its clusters has evidence that reached the rollout's target without a refusal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kubecurrent.errors import UsageError

if TYPE_CHECKING:
    from kubecurrent.rehearse import RehearsalSummary
    from kubecurrent.rollout import RolloutStore

FC = TypeVar("FC", bound=Callable[..., Any])


def rehearsal_options(f: FC) -> FC:
    f = click.option(
        "--require-rehearsal",
        is_flag=True,
        help="Start only if every cluster has --rehearsal evidence that reached the target "
        "without a refusal.",
    )(f)
    return click.option(
        "--rehearsal",
        "rehearsals",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Evidence of `kubecurrent rehearse --name CLUSTER --report FILE.json`, recorded "
        "with the rollout (repeatable, one per cluster).",
    )(f)


def check_rehearsals(
    files: Sequence[Path], require: bool, clusters: Sequence[str], target: str
) -> list[RehearsalSummary]:
    """The evidence given, matched to the rollout's clusters; refuses what cannot be honoured."""
    from kubecurrent.rehearse import read_summary

    found = [read_summary(p) for p in files]
    names = set(clusters)
    by_cluster: dict[str, RehearsalSummary] = {}
    for s in found:
        if s.cluster not in names:
            raise UsageError(
                f"{s.file}: rehearsal of {s.cluster!r}, which is not a cluster of this rollout",
                hint="rehearse with --name set to the cluster's name in the fleet file",
            )
        if s.cluster in by_cluster:
            raise UsageError(
                f"two rehearsals given for {s.cluster}: {by_cluster[s.cluster].file} and {s.file}",
                hint="give the newest one only",
            )
        by_cluster[s.cluster] = s
    if require:
        minor = ".".join(target.removeprefix("v").split(".")[:2])
        missing = sorted(names - set(by_cluster))
        failed = [s for s in by_cluster.values() if not s.ok or not s.reaches(target)]
        if missing or failed:
            why = [f"{n}: no rehearsal given" for n in missing]
            why += [
                f"{s.cluster}: rehearsed to {s.target}, not {minor}"
                if not s.reaches(target)
                else f"{s.cluster}: {s.describe()}"
                for s in failed
            ]
            raise UsageError(
                "--require-rehearsal: not every cluster was rehearsed to the target without a "
                "refusal: " + "; ".join(why),
                hint=f"run `kubecurrent rehearse --context CTX --name CLUSTER --target {minor} "
                "--report FILE.json` for each, fix what it refuses, and pass the files with "
                "--rehearsal",
            )
    return found


def record_rehearsals(
    store: RolloutStore,
    rollout: str,
    summaries: Sequence[RehearsalSummary],
    who: str,
    now: dt.datetime,
) -> None:
    from kubecurrent.rollout import AuditAction, AuditEntry

    for s in summaries:
        store.audit(
            AuditEntry(
                time=now,
                user=who,
                action=AuditAction.REHEARSAL,
                rollout=rollout,
                cluster=s.cluster,
                before=s.source_version,
                after=s.target,
                outcome="ok" if s.ok else "refused",
                detail=s.describe(),
                extra={"sha256": s.sha256, "hops": list(s.hops)},
            )
        )
