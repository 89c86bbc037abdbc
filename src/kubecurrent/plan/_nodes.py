"""Node-pool rolls: as few as the kubelet skew policy allows, or every hop (lockstep).

A pool rolls to the control plane's current version, which keeps it valid for the longest;
rolling it only when the next hop would put it outside the skew policy is then the fewest rolls
possible. A kubelet never jumps more minors in one roll than the catalog's upgrade rule allows.
A pool the managed provider rolls itself (an EKS managed node group) follows the provider's rule
instead (``_provider``), through ``roll_to_control_plane``.
"""

from __future__ import annotations

from kubecurrent.model import KubeVersion
from kubecurrent.model.clouds import Provider
from kubecurrent.plan._rules import label, minor_key
from kubecurrent.plan._work import Work, show

_OUTSIDE = (
    "nodes of {pool} would run a kubelet outside the skew policy: pods on them can fail to "
    "start, be evicted or lose status updates"
)
_BEHIND = (
    "nodes of {pool} would stay behind the control plane without its kubelet fixes, and a later "
    "upgrade would have to roll them before it could start"
)


def check_preconditions(work: Work) -> None:
    """A kubelet newer than its control plane is outside the policy before anything moves."""
    for name, kubelet in work.pools.items():
        if minor_key(kubelet) > work.minor:
            work.block(
                f"node pool {name}: kubelet {show(kubelet)} is newer than the control plane "
                f"{work.cp_text}; the skew policy allows no newer kubelet. Correct the inventory, "
                "or replace the pool with one at the control-plane version, then plan again"
            )


def fit_current(work: Work) -> None:
    """Pre-flight: roll pools that are already too far behind the current control plane."""
    allowed = work.rules.kubelet_max_older(work.minor)
    for name, kubelet in list(work.pools.items()):
        if allowed is not None and minor_key(kubelet) < work.minor - allowed:
            _roll(
                work,
                name,
                f"kubelet {show(kubelet)} is already more than {allowed} minors behind the control "
                f"plane {work.cp_text}, outside the skew policy",
            )


def before_hop(work: Work, m: int) -> None:
    """Minimal strategy: roll the pools the hop to ``m`` would leave outside the skew policy."""
    allowed = work.rules.kubelet_max_older(m)
    if allowed is None:
        work.block(f"the catalog has no kubelet skew rule for Kubernetes {label(m)}", at=work.minor)
        return
    for name, kubelet in list(work.pools.items()):
        if minor_key(kubelet) < m - allowed:
            _roll(
                work,
                name,
                f"the hop to {label(m)} allows kubelets at most {allowed} minors older "
                f"({label(m - allowed)}); kubelet {show(kubelet)} would fall outside the skew policy",
            )


def lockstep(work: Work) -> None:
    """Lockstep strategy: roll every pool to the control plane's new version."""
    for name, kubelet in list(work.pools.items()):
        if kubelet < work.cp:
            _roll(work, name, "lockstep strategy: every pool follows every hop", _BEHIND)


def finish(work: Work) -> None:
    """Roll every pool not yet at the target version."""
    for name, kubelet in list(work.pools.items()):
        if kubelet < work.cp:
            reason = f"the path ends at {work.cp_text}: kubelets follow the control plane"
            _roll(work, name, reason, _BEHIND)


def roll_to_control_plane(
    work: Work, name: str, reason: str, without: str, *, managed_by: Provider | None = None
) -> None:
    """Roll ``name`` to the control plane's version in one roll (a provider-managed pool)."""
    current = work.pools[name]
    _emit(work, name, current, work.cp, reason, without, managed_by)
    work.pools[name] = work.cp


def _roll(work: Work, name: str, reason: str, without: str = _OUTSIDE) -> None:
    """Roll ``name`` to the control plane's version, in as few rolls as the upgrade rule allows."""
    while work.pools[name] < work.cp:
        current = work.pools[name]
        step_to = minor_key(current) + work.rules.kubelet_step
        to = work.cp if step_to >= work.minor else work.rules.latest_patch(step_to)
        if to is None:
            work.block(f"node pool {name}: the catalog has no Kubernetes {label(step_to)} release")
            return
        _emit(work, name, current, to, reason, without.format(pool=name))
        work.pools[name] = to


def _emit(
    work: Work,
    name: str,
    current: KubeVersion,
    to: KubeVersion,
    reason: str,
    without: str,
    managed_by: Provider | None = None,
) -> None:
    jumps = minor_key(to) - minor_key(current)
    note = work.provider.pool_note(name)
    work.emit(
        "node-pool",
        name,
        show(current),
        show(to),
        f"{reason}. Drain and replace the nodes of {name} with kubelet {show(to)}"
        + (f" ({jumps} minors in one roll)" if jumps > 1 else "")
        + (f". {note}" if note else ""),
        without,
        managed_by=managed_by,
    )
