"""One controller replica as a process of its own, for ``test_replicas.py``:
``python -m tests.integration.controller.replica_proc KUBECONFIG NAMESPACE IDENTITY FOLDER``.

It wires ``Controller`` as ``kubecurrent controller`` does (KubeStore, shard Leases, rounds),
except for how clusters are upgraded: ``FileRunners``, a test double of the ``RunnerSource``,
whose clusters are ``FileCluster`` test doubles — a member is a JSON file in FOLDER (control
plane and kubelet versions, and every step action run on it with the pid that ran it),
replaced atomically, so a SIGKILL leaves it either before or after an action, never between.
Each action takes ``STEP_SECONDS`` so that a kill can land in the middle of one.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubecurrent.controller import Controller, Coordinator, LeaseSettings
from kubecurrent.execute import Audit, Baseline, Clock, Executor, RetryPolicy
from kubecurrent.kubestate import KubeStore, management_client
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.rollout import ClusterRef, ClusterRun, RunnerFactory, RunnerSettings

STEP_SECONDS = 3.0
FROM, TO = "1.36.3", "1.37.2"
SETTINGS = {"shards": 8, "duration": 4.0, "renew_deadline": 3.0, "renew_every": 0.5}


class PassingGate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


def read_member(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.json"
    if not path.exists():
        return {"controlPlane": FROM, "kubelet": FROM, "calls": []}
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


@dataclass
class FileCluster:
    """Test double of ``ClusterRun``: a 1.36 cluster in a file, planned to 1.37 in two steps."""

    name: str
    folder: Path

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.folder / f".{self.name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.folder / f"{self.name}.json")

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        state = read_member(self.folder, self.name)
        pools = (NodePool(name="pool", kubelet=state["kubelet"], nodes=2),)
        return ClusterInventory(
            name=self.name, control_plane=state["controlPlane"], node_pools=pools
        )

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        steps = [
            {"order": 1, "type": "control-plane", "target": "control-plane", "to": TO},
            {"order": 2, "type": "node-pool", "target": "pool", "to": TO},
        ]
        return ClusterPlan(
            name=self.name,
            status="ok",
            from_version=FROM,
            target=TO,
            steps=tuple(
                Step.read({**s, "from": FROM, "why": "w", "without": "x", "hop": 0}) for s in steps
            ),
        )

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        return {"removed": 1} if inventory.control_plane.minor < 37 else {}

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        def act(field: str) -> Any:
            def action(step: Step, _inv: ClusterInventory) -> str:
                time.sleep(STEP_SECONDS)
                state = read_member(self.folder, self.name)
                state[field] = str(step.to)
                state["calls"].append([step.order, os.getpid()])
                self._write(state)
                return "upgraded"

            return action

        return Executor(
            plan=plan,
            actions={"control-plane": act("controlPlane"), "node-pool": act("kubelet")},
            collect=self.inventory,
            gate=PassingGate(),
            audit=audit,
            retry=RetryPolicy(attempts=1),
            clock=Clock(),
        )

    def health(self, audit: Audit, baseline: Baseline) -> None:
        pass


@dataclass
class FileRunners:
    """Test double of ``RunnerSource``: every cluster is a ``FileCluster`` in ``folder``."""

    folder: Path

    def record(self) -> RunnerSettings:
        return RunnerSettings()

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        def make(ref: ClusterRef) -> ClusterRun:
            return FileCluster(ref.name, self.folder)

        return make


def main(argv: list[str]) -> None:
    kubeconfig, namespace, identity, folder = argv
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {identity} %(message)s")
    client = management_client(Path(kubeconfig), "")
    store = KubeStore(client, namespace, f"k8s://sandbox/{namespace}", mirror=True)  # as the CLI
    coordinator = Coordinator(client, identity, LeaseSettings(namespace=namespace, **SETTINGS))
    replica = Controller(
        store, coordinator, identity, interval=0.5, runners=FileRunners(Path(folder))
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    replica.run(stop)


if __name__ == "__main__":
    main(sys.argv[1:])
