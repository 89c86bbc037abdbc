"""Upgrade-execution fixtures: a workload behind a PDB, a Helm add-on, and the CLI as a user runs it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lightkube import Client, codecs
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace

from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._capi import install_capi_crds
from kubecurrent.sandbox._components import HELM
from tests.integration.conftest import SessionSandbox, wait_for

FIXTURES = Path(__file__).parents[2] / "fixtures"
CHARTS = FIXTURES / "charts"
CATALOG_EXTRA = FIXTURES / "catalog" / "demo-addon.yaml"
DEMO_CHART = f"demo-addon={CHARTS}/demo-addon-{{version}}"


def deploy_web(client: Client, namespace: str, replicas: int, min_available: int) -> None:
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    labels = {"app": "web"}
    for doc in (
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "terminationGracePeriodSeconds": 5,
                        "containers": [{"name": "web", "image": "nginx:1.27"}],
                    },
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"minAvailable": min_available, "selector": {"matchLabels": labels}},
        },
    ):
        wait_for(lambda d=doc: _try_create(client, d), f"create {doc['kind']}", timeout=60)
    wait_for(lambda: available(client, namespace) == replicas, f"{replicas} web pods available")


def _try_create(client: Client, doc: dict[str, object]) -> bool:
    try:
        client.create(codecs.from_dict(doc))
        return True
    except ApiError as exc:  # the namespace's default ServiceAccount may not exist yet
        return exc.status.code == 409


def available(client: Client, namespace: str) -> int:
    d = client.get(Deployment, "web", namespace=namespace)
    return (d.status.availableReplicas if d.status else 0) or 0


@dataclass
class AvailabilityWatch:
    """Samples the web Deployment's available replicas in the background."""

    client: Client
    namespace: str
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> AvailabilityWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            # a control-plane swap makes the API server briefly unreachable
            with contextlib.suppress(Exception):
                self.samples.append(available(self.client, self.namespace))
            self._stop.wait(0.2)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def helm(box: SessionSandbox, *args: str) -> str:
    out = subprocess.run(
        [str(binary_path(HELM, "helm")), "--kubeconfig", str(box.kubeconfig), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return out.stdout


def install_demo(box: SessionSandbox, version: str = "1.0.0") -> None:
    helm(
        box,
        "install",
        "demo",
        str(CHARTS / f"demo-addon-{version}"),
        "-n",
        "addons",
        "--create-namespace",
        "--set",
        "greeting=custom",
        "--wait",
        "--timeout",
        "60s",
    )


def kubecurrent(box: SessionSandbox, audit: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, against this session's sandbox only."""
    cmd = [
        sys.executable,
        "-m",
        "kubecurrent",
        "--kubeconfig",
        str(box.kubeconfig),
        "upgrade",
        "--yes",
        "--audit-log",
        str(audit),
        "--catalog-extra",
        str(CATALOG_EXTRA),
        "--addon-chart",
        DEMO_CHART,
        "--today",
        "2026-11-25",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ))


@pytest.fixture(scope="session")
def capi_crds(cluster: SessionSandbox) -> list[str]:
    """Cluster API's real CRDs (v1.14.2, from the Go module proxy, cached), installed once on the
    shared sandbox; their controllers cannot run here (see ``capi_double``)."""
    return install_capi_crds(cluster.client())
