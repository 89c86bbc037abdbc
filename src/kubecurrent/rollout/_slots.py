"""A wave's concurrency as slots: the rule both stores apply inside their compare-and-set.

A cluster of a wave spread over several processes starts only once it holds one of the wave's
``concurrency`` slots (``RolloutStore.take_slot``); the store reads the holders, applies
``slot_taken`` and writes the result in one atomic step, so two processes cannot both take the
last slot. A slot belongs to the cluster, not to the process running it: a cluster continued
by another replica keeps it; the engine gives it back when the cluster is no longer in an
active state (done, failed, stopped), and the store drops the slots of finished clusters.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["slot_taken"]


def slot_taken(
    held: Sequence[str], cluster: str, limit: int, *, running: bool = False
) -> list[str] | None:
    """The wave's slot holders after ``cluster`` asks for a slot: ``held`` as it is when
    ``cluster`` is among them; ``cluster`` appended when fewer than ``limit`` are held, or when
    it is ``running`` already (mid-upgrade without a slot: it is counted, over the limit);
    None when every slot is another's."""
    if cluster in held:
        return list(held)
    if len(held) < limit or running:
        return [*held, cluster]
    return None
