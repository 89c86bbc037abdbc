"""Cordon and drain a node through the Eviction API, so the API server enforces every PDB.

An eviction the API server refuses with 429 (a PodDisruptionBudget allows no disruption now) is
retried every ``poll`` seconds until the node's deadline; then the drain stops, naming the PDB
and the workload it protects. Only ``force_unsafe`` deletes such a pod, and the audit log says so.
Accepted evictions are waited for up to the pod's ``terminationGracePeriodSeconds`` (plus a
margin), because the kubelet gives the containers that long to stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import ReplicaSet
from lightkube.resources.core_v1 import Node, Pod
from lightkube.resources.policy_v1 import PodDisruptionBudget

from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._kube import Kube, meta, name_of, ns_of
from kubecurrent.execute._select import grace_seconds, pod_key, select_pods, selector_matches

__all__ = ["DrainOptions", "DrainReport", "Drainer"]


@dataclass(frozen=True)
class DrainOptions:
    node_timeout: float = 300.0
    """Seconds one node may take to drain before the step stops (300)."""
    poll: float = 1.0
    """Seconds between eviction attempts a PDB refused (1)."""
    grace_margin: float = 15.0
    """Seconds waited beyond a pod's termination grace period for it to disappear (15)."""
    force_unsafe: bool = False
    """Delete pods a PDB still protects at the deadline, and pods without a controller (off)."""


@dataclass
class DrainReport:
    node: str
    evicted: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    forced: list[str] = field(default_factory=list)


class Drainer:
    def __init__(self, kube: Kube, audit: Audit, opts: DrainOptions, clock: Clock) -> None:
        self.client, self.audit, self.opts, self.clock = kube.client, audit, opts, clock

    def cordon(self, node: str) -> None:
        self.client.patch(Node, node, {"spec": {"unschedulable": True}})
        self.audit.write("node.cordon", detail=node)

    def drain(self, node: str, deadline: float) -> DrainReport:
        """Evict every evictable pod of ``node``; stop at ``deadline`` (monotonic)."""
        deadline = min(deadline, self.clock.deadline(self.opts.node_timeout))
        pods = list(self.client.list(Pod, namespace="*", fields={"spec.nodeName": node}))
        chosen = select_pods(pods)
        report = DrainReport(node, skipped=chosen.skipped)
        evict = chosen.evict
        if chosen.unmanaged and not self.opts.force_unsafe:
            names = ", ".join(pod_key(p) for p in chosen.unmanaged)
            raise PermanentStepError(
                f"cannot drain node {node}: pods without a controller would be lost: {names}",
                hint="move or delete them yourself, or pass --force-unsafe to evict them anyway",
            )
        evict += chosen.unmanaged
        waiting = {pod_key(p): (p, self._gone_by(p)) for p in chosen.terminating}
        refused: dict[str, str] = {}
        while evict:
            still: list[Pod] = []
            for pod in evict:
                outcome = self._evict(pod)
                if outcome is None:
                    report.evicted.append(pod_key(pod))
                    waiting[pod_key(pod)] = (pod, self._gone_by(pod))
                    refused.pop(pod_key(pod), None)
                else:
                    refused[pod_key(pod)] = outcome
                    still.append(pod)
            evict = still
            if evict and self.clock.monotonic() >= deadline:
                self._past_deadline(node, evict, refused, report)
                break
            if evict:
                self.clock.sleep(self.opts.poll)
        self._wait_gone(node, waiting)
        return report

    def _evict(self, pod: Pod) -> str | None:
        """None when the eviction was accepted (or the pod is gone), else why it was refused."""
        name, ns = name_of(pod), ns_of(pod)
        try:
            eviction = Pod.Eviction(metadata=ObjectMeta(name=name, namespace=ns))
            self.client.create(eviction, name=name, namespace=ns)
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            return f"HTTP {exc.status.code}: {exc.status.message}"
        self.audit.write(
            "pod.evict", detail=pod_key(pod), node=pod.spec.nodeName if pod.spec else ""
        )
        return None

    def _gone_by(self, pod: Pod) -> float:
        return self.clock.deadline(grace_seconds(pod) + self.opts.grace_margin)

    def _past_deadline(
        self, node: str, pods: list[Pod], refused: dict[str, str], report: DrainReport
    ) -> None:
        if not self.opts.force_unsafe:
            pod = pods[0]
            raise PermanentStepError(
                f"drain of node {node} stopped: {self.protection(pod)}; the API server refused "
                f"to evict {pod_key(pod)} until the drain timeout ({refused[pod_key(pod)]})"
                + (f"; {len(pods) - 1} more pods are blocked" if len(pods) > 1 else ""),
                hint="scale the workload up or relax the PodDisruptionBudget, then run the same "
                "upgrade again (finished steps are skipped); --force-unsafe deletes the pods "
                "anyway and is written to the audit log",
            )
        for pod in pods:
            why = self.protection(pod)
            self.client.delete(Pod, name_of(pod), namespace=ns_of(pod))
            report.forced.append(pod_key(pod))
            self.audit.write(
                "pod.force-delete",
                detail=f"--force-unsafe: deleted {pod_key(pod)} on {node} despite {why}",
            )

    def protection(self, pod: Pod) -> str:
        """Which PDBs protect ``pod`` and which workload it belongs to, in words."""
        labels = meta(pod).labels or {}
        ns = ns_of(pod)
        pdbs = [
            p
            for p in self.client.list(PodDisruptionBudget, namespace=ns)
            if selector_matches(
                p.spec.selector.to_dict() if p.spec and p.spec.selector else None, labels
            )
        ]
        owner = self.workload(pod)
        if not pdbs:
            return f"no PodDisruptionBudget matches pod {pod_key(pod)} of {owner}"
        names = "; ".join(_describe(p) for p in pdbs)
        return f"PodDisruptionBudget {names} protects pod {pod_key(pod)} of {owner}"

    def workload(self, pod: Pod) -> str:
        ns = ns_of(pod)
        ref = next((r for r in meta(pod).ownerReferences or [] if r.controller), None)
        if ref is None:
            return "no controller"
        if ref.kind == "ReplicaSet":
            try:
                rs = self.client.get(ReplicaSet, ref.name, namespace=ns)
                top = next((r for r in meta(rs).ownerReferences or [] if r.controller), None)
                if top is not None:
                    return f"{top.kind} {ns}/{top.name}"
            except ApiError:
                pass
        return f"{ref.kind} {ns}/{ref.name}"

    def _wait_gone(self, node: str, waiting: dict[str, tuple[Pod, float]]) -> None:
        for key, (pod, by) in waiting.items():
            while self._present(pod):
                if self.clock.monotonic() >= by:
                    raise PermanentStepError(
                        f"pod {key} on node {node} was evicted but still exists after its "
                        f"termination grace period ({grace_seconds(pod)}s) and "
                        f"{self.opts.grace_margin:.0f}s more",
                        hint="check the kubelet of that node and the pod's finalizers",
                    )
                self.clock.sleep(min(self.opts.poll, 0.5))

    def _present(self, pod: Pod) -> bool:
        try:
            now = self.client.get(Pod, name_of(pod), namespace=ns_of(pod))
        except ApiError as exc:
            if exc.status.code == 404:
                return False
            raise
        return bool(meta(now).uid == meta(pod).uid)


def _describe(pdb: PodDisruptionBudget) -> str:
    spec, status = pdb.spec, pdb.status
    rule = ""
    if spec and spec.minAvailable is not None:
        rule = f"minAvailable {spec.minAvailable}"
    elif spec and spec.maxUnavailable is not None:
        rule = f"maxUnavailable {spec.maxUnavailable}"
    allowed = status.disruptionsAllowed if status else "?"
    return f"{ns_of(pdb)}/{name_of(pdb)} ({rule}, {allowed} disruptions allowed)"
