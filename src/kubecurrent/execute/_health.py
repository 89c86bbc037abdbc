"""Health gates between steps: is the cluster at least as healthy as before the upgrade began?

A gate passes when every node is Ready, the API server answers ``/readyz``, the
controller-manager and scheduler hold fresh leader leases, every Deployment, StatefulSet and
DaemonSet is at its desired availability, and no pod crash-loops — except workloads and pods
that were already unavailable or crashing in the ``Baseline`` taken before the first step, so a
cluster with a long-broken app can still be upgraded without hiding new damage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lightkube.core.exceptions import ApiError
from lightkube.resources.apps_v1 import DaemonSet, Deployment, StatefulSet
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Node, Pod

from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._kube import Kube, name_of, ns_of

__all__ = ["Baseline", "HealthGate"]

Workload = Deployment | StatefulSet | DaemonSet
LEASES = ("kube-controller-manager", "kube-scheduler")
LEASE_FRESH = dt.timedelta(seconds=60)


RESOURCES: dict[str, type[Workload]] = {
    "Deployment": Deployment,
    "StatefulSet": StatefulSet,
    "DaemonSet": DaemonSet,
}


def availability(obj: Workload) -> tuple[int, int]:
    """(available, desired) replicas of a Deployment, StatefulSet or DaemonSet."""
    if isinstance(obj, DaemonSet):
        st = obj.status
        return (st.numberAvailable or 0, st.desiredNumberScheduled) if st else (0, 0)
    want = obj.spec.replicas if obj.spec and obj.spec.replicas is not None else 1
    if isinstance(obj, Deployment):
        return (obj.status.availableReplicas or 0) if obj.status else 0, want
    return (obj.status.readyReplicas or 0) if obj.status else 0, want


@dataclass(frozen=True)
class Baseline:
    """What was already unhealthy before the upgrade started."""

    unavailable: frozenset[str] = frozenset()
    crashing: frozenset[str] = frozenset()


class HealthGate:
    def __init__(self, kube: Kube, clock: Clock, timeout: float = 180.0, poll: float = 2.0) -> None:
        self.kube, self.clock, self.timeout, self.poll = kube, clock, timeout, poll

    def baseline(self) -> Baseline:
        return Baseline(frozenset(self.unavailable()), frozenset(self.crashing()))

    def wait(self, baseline: Baseline, after: str) -> None:
        """Wait until ``problems`` is empty; stop with every remaining problem named."""
        deadline = self.clock.deadline(self.timeout)
        while True:
            found = self.problems(baseline)
            if not found:
                return
            if self.clock.monotonic() >= deadline:
                raise PermanentStepError(
                    f"health gate after {after} failed for {self.timeout:.0f}s: "
                    + "; ".join(found),
                    hint="fix what is named (kubectl describe), then run the same upgrade again; "
                    "finished steps are skipped",
                )
            self.clock.sleep(self.poll)

    def problems(self, baseline: Baseline) -> list[str]:
        found = self.nodes() + self.control_plane()
        found += [
            f"{w} is below its desired availability"
            for w in sorted(set(self.unavailable()) - baseline.unavailable)
        ]
        found += [
            f"pod {p} is crash-looping" for p in sorted(set(self.crashing()) - baseline.crashing)
        ]
        return found

    def nodes(self) -> list[str]:
        out = []
        for node in self.kube.client.list(Node):
            conditions = (node.status.conditions if node.status else None) or []
            if not any(c.type == "Ready" and c.status == "True" for c in conditions):
                out.append(f"node {name_of(node)} is not Ready")
        return out

    def control_plane(self) -> list[str]:
        code, body = self.kube.get_text("/readyz")
        out = [] if code == 200 else [f"the API server's /readyz answered {code}: {body[:200]}"]
        now = dt.datetime.now(dt.UTC)
        for name in LEASES:
            try:
                lease = self.kube.client.get(Lease, name, namespace="kube-system")
            except ApiError:
                continue  # managed control planes do not show their leases
            renewed = lease.spec.renewTime if lease.spec else None
            if renewed is None or now - renewed > LEASE_FRESH:
                out.append(f"{name} has not renewed its leader lease since {renewed}")
        return out

    def unavailable(self) -> list[str]:
        out = []
        for kind, resource in RESOURCES.items():
            for obj in self.kube.client.list(resource, namespace="*"):
                have, want = availability(obj)
                if have < want:
                    ns, name = ns_of(obj), name_of(obj)
                    out.append(f"{kind} {ns}/{name} ({have}/{want})")
        return out

    def crashing(self) -> list[str]:
        out = []
        for pod in self.kube.client.list(Pod, namespace="*"):
            statuses = (pod.status.containerStatuses if pod.status else None) or []
            for cs in statuses:
                waiting = cs.state.waiting if cs.state else None
                if waiting is not None and waiting.reason == "CrashLoopBackOff":
                    out.append(f"{ns_of(pod)}/{name_of(pod)}")
                    break
        return out
