"""Workloads, read a page at a time: images and labels for add-on detection, and drain blockers.

A drain evicts pods one by one through the Eviction API; it stalls on a PodDisruptionBudget that
allows no disruption, and it takes down a single-replica workload (or one with no PDB) entirely.
DaemonSet pods are not evicted by a drain, so they only feed add-on detection.

Workload list pages are decoded into ``Workload`` records: the fields read here (names, labels,
replicas, the pod template's labels and images) and the metadata API usage evidence reads
(managedFields, last-applied), so one list serves both; nothing else of each object is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from kubecurrent.collect.cluster._addons import AddonFinder
from kubecurrent.collect.cluster._metadata import ObjectMeta, Page
from kubecurrent.model.inventory import DrainBlocker

MAX_BLOCKERS = 200
"""Drain blockers kept in an inventory; the total is always counted."""


class Container(msgspec.Struct, frozen=True):
    image: str = ""


class PodSpec(msgspec.Struct, frozen=True):
    containers: tuple[Container, ...] | None = None
    initContainers: tuple[Container, ...] | None = None


class Labelled(msgspec.Struct, frozen=True):
    """The metadata of a workload or of its pod template."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] | None = None


class WorkloadMeta(ObjectMeta, frozen=True):
    """A workload's own metadata: its labels beside what API usage evidence reads."""

    labels: dict[str, str] | None = None


class PodTemplate(msgspec.Struct, frozen=True):
    metadata: Labelled = Labelled()
    spec: PodSpec = PodSpec()


class WorkloadSpec(msgspec.Struct, frozen=True):
    replicas: int | None = 1
    template: PodTemplate = PodTemplate()


class Workload(msgspec.Struct, frozen=True):
    """A Deployment, StatefulSet or DaemonSet: what add-on detection and drains read."""

    metadata: WorkloadMeta = WorkloadMeta()
    spec: WorkloadSpec = WorkloadSpec()


WORKLOAD_PAGE = msgspec.json.Decoder(Page[Workload])


def workload_from(obj: dict[str, Any]) -> Workload:
    """A workload given as a dict (a full object read, a test) as the record."""
    return msgspec.convert(obj, Workload)


@dataclass(frozen=True)
class Pdb:
    namespace: str
    name: str
    match_labels: tuple[tuple[str, str], ...]
    disruptions_allowed: int
    expected_pods: int

    def selects(self, labels: dict[str, str]) -> bool:
        return bool(self.match_labels) and all(labels.get(k) == v for k, v in self.match_labels)


def pdb_from(obj: dict[str, Any]) -> Pdb:
    meta, spec, status = (obj.get(k) or {} for k in ("metadata", "spec", "status"))
    labels = (spec.get("selector") or {}).get("matchLabels") or {}
    return Pdb(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        match_labels=tuple(sorted((str(k), str(v)) for k, v in labels.items())),
        disruptions_allowed=int(status.get("disruptionsAllowed") or 0),
        expected_pods=int(status.get("expectedPods") or 0),
    )


@dataclass
class DrainCounter:
    """Collects drain blockers from PDBs and workloads with bounded memory."""

    pdbs: dict[str, list[Pdb]] = field(default_factory=dict)
    blockers: list[DrainBlocker] = field(default_factory=list)
    total: int = 0

    def add_pdb(self, obj: dict[str, Any]) -> None:
        pdb = pdb_from(obj)
        self.pdbs.setdefault(pdb.namespace, []).append(pdb)
        if pdb.disruptions_allowed == 0 and pdb.expected_pods > 0:
            self._block(
                "PodDisruptionBudget",
                pdb.namespace,
                pdb.name,
                "pdb-zero-disruptions",
                f"{pdb.expected_pods} pods expected, 0 disruptions allowed",
            )

    def add_workload(self, kind: str, obj: Workload) -> None:
        ns, name = obj.metadata.namespace, obj.metadata.name
        replicas = obj.spec.replicas
        if not replicas:
            return
        labels = obj.spec.template.metadata.labels or {}
        covered = any(p.selects(labels) for p in self.pdbs.get(ns, ()))
        if replicas == 1:
            self._block(kind, ns, name, "single-replica", "1 replica: unavailable while drained")
        elif not covered:
            self._block(kind, ns, name, "no-pdb", f"{replicas} replicas, no PodDisruptionBudget")

    def _block(self, kind: str, ns: str, name: str, reason: str, detail: str) -> None:
        self.total += 1
        if len(self.blockers) < MAX_BLOCKERS:
            self.blockers.append(
                DrainBlocker(kind=kind, namespace=ns, name=name, reason=reason, detail=detail)
            )


def observe_workload(finder: AddonFinder, obj: Workload) -> None:
    """Feed a workload's images and labels to the add-on finder."""
    ns = obj.metadata.namespace
    finder.labels(obj.metadata.labels or {}, ns)
    pod = obj.spec.template.spec
    for containers in (pod.containers, pod.initContainers):
        for container in containers or ():
            if container.image:
                finder.image(container.image, ns)


def is_system(namespace: str) -> bool:
    return namespace in ("kube-system", "kube-public", "kube-node-lease")
