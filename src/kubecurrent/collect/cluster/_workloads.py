"""Workloads, read a page at a time: images and labels for add-on detection, and drain blockers.

A drain evicts pods one by one through the Eviction API; it stalls on a PodDisruptionBudget that
allows no disruption, and it takes down a single-replica workload (or one with no PDB) entirely.
DaemonSet pods are not evicted by a drain, so they only feed add-on detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubecurrent.collect.cluster._addons import AddonFinder
from kubecurrent.model.inventory import DrainBlocker

MAX_BLOCKERS = 200
"""Drain blockers kept in an inventory; the total is always counted."""


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

    def add_workload(self, kind: str, obj: dict[str, Any]) -> None:
        meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
        ns, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        replicas = spec.get("replicas", 1)
        if not isinstance(replicas, int) or replicas == 0:
            return
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
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


def observe_workload(finder: AddonFinder, obj: dict[str, Any]) -> None:
    """Feed a workload's images and labels to the add-on finder."""
    meta = obj.get("metadata") or {}
    ns = str(meta.get("namespace", ""))
    finder.labels(meta.get("labels") or {}, ns)
    pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for key in ("containers", "initContainers"):
        for container in pod.get(key) or []:
            if isinstance(container, dict) and container.get("image"):
                finder.image(str(container["image"]), ns)


def is_system(namespace: str) -> bool:
    return namespace in ("kube-system", "kube-public", "kube-node-lease")
