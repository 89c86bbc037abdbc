"""The demo's story on a running sandbox fleet: seed, scan, plan, roll out in waves, report.

Every stage runs the real ``kubecurrent`` command a user would type (printed before it runs),
so the demo is also a walkthrough. Outputs land in the demo directory
(``$XDG_STATE_HOME/kubecurrent/demo``, default ``~/.local/state/kubecurrent/demo``):

    fleet.yaml          the fleet file the commands read (kubeconfig and context per cluster)
    strategy.yaml       the rollout strategy: a canary wave, then the rest
    scan-before.html    the fleet's findings before the rollout
    plan.md, plan.html  every cluster's path to the target, step by step with reasons
    rollout.db          the rollout's state: journal and audit trail
    rollout.md/.html    the change record
    scan-after.html     the findings after the rollout

The seed per cluster: a shop Deployment behind a PodDisruptionBudget, the demo add-on installed
with the real helm (its 1.0 line stops at Kubernetes 1.36, so the plan moves it to 1.1 before
the 1.37 hop), and custom resources written through a deprecated CRD version by a named field
manager (the scan attributes them to it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from lightkube import Client, KubeConfig, codecs
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from rich.console import Console

from kubecurrent import sandbox as sb
from kubecurrent.errors import KubecurrentError
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from kubecurrent.sandbox._fleet import FleetSpec
from kubecurrent.sandbox._paths import DATA_DIR

__all__ = ["Story", "demo_dir"]

TARGET = "1.37"
ADDON = "demo-agent"
ADDON_VERSIONS = ("1.0.0", "1.1.0")
DEMO_CATALOG = DATA_DIR / "demo" / "catalog.yaml"
WIDGET_GROUP = "shop.demo.kubecurrent.dev"
LEGACY_MANAGER = "legacy-shop-operator"
STRATEGY = {
    "waves": [
        {"name": "canary", "select": {"env": "dev"}, "soak": "5s"},
        {"name": "rest", "concurrency": 2, "failureBudget": {"clusters": 0}},
    ]
}


def demo_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "kubecurrent" / "demo"


def _chart(root: Path, version: str) -> Path:
    """A tiny chart for the demo add-on (a Deployment; kwok runs its pods)."""
    chart = root / f"{ADDON}-{version}"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {ADDON}\nversion: {version}\nappVersion: {version!r}\n"
        "description: The kubecurrent demo add-on (a stand-in agent; sandbox only).\n"
    )
    (chart / "values.yaml").write_text("replicas: 2\nlogLevel: info\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n  selector:\n    matchLabels:\n"
        "      app: {{ .Release.Name }}\n  template:\n    metadata:\n      labels:\n"
        "        app: {{ .Release.Name }}\n    spec:\n      containers:\n"
        "      - name: agent\n        image: registry.example/demo-agent:{{ .Chart.AppVersion }}\n"
        "        args: [--log-level={{ .Values.logLevel }}]\n"
    )
    return chart


def _widget_crd() -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"carts.{WIDGET_GROUP}"},
        "spec": {
            "group": WIDGET_GROUP,
            "scope": "Namespaced",
            "names": {"plural": "carts", "singular": "cart", "kind": "Cart"},
            "versions": [
                {
                    "name": "v1beta1",
                    "served": True,
                    "storage": False,
                    "deprecated": True,
                    "deprecationWarning": "shop.demo.kubecurrent.dev/v1beta1 Cart is deprecated; "
                    "use v1",
                    "schema": schema,
                },
                {"name": "v1", "served": True, "storage": True, "schema": schema},
            ],
        },
    }


def _shop(namespace: str) -> list[dict[str, Any]]:
    labels = {"app": "web"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "terminationGracePeriodSeconds": 5,
                        "containers": [{"name": "web", "image": "registry.example/shop:2.4"}],
                    },
                },
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": labels}},
        },
    ]


def _retry(what: str, action: Callable[[], object], timeout: float = 60.0) -> None:
    """Run ``action`` until it succeeds: a new namespace or CRD takes a moment to be usable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            action()
            return
        except ApiError as exc:
            if exc.status.code == 409:
                return  # already there: the demo may be re-run on a seeded fleet
            problem = str(exc.status.message)
        except Exception as exc:  # a CRD's API not served yet answers a bare 404 (httpx2)
            problem = f"{type(exc).__name__}: {exc}"
        if time.monotonic() > deadline:
            raise KubecurrentError(
                f"demo: could not {what}: {problem}",
                hint="see the sandbox logs: `kubecurrent sandbox status --name NAME`",
            )
        time.sleep(0.5)


@dataclass
class Story:
    spec: FleetSpec
    out: Path
    console: Console

    def _kubeconfig(self, name: str) -> Path:
        return sb.run_dir(name) / "kubeconfig"

    def run(self) -> dict[str, Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        fleet = self._fleet_file()
        charts = self.out / "charts"
        for version in ADDON_VERSIONS:
            _chart(charts, version)
        self.console.rule("1. seed: workloads, the demo add-on, legacy API use")
        for cluster in self.spec.clusters:
            self._seed(cluster.name, charts)
        strategy = self.out / "strategy.yaml"
        strategy.write_text(yaml.safe_dump(STRATEGY, sort_keys=False))
        state = self.out / "rollout.db"
        state.unlink(missing_ok=True)
        extra = ["--catalog-extra", str(DEMO_CATALOG)]
        addon_chart = ["--addon-chart", f"{ADDON}={charts}/{ADDON}-{{version}}"]
        reports = {
            "scan before": self.out / "scan-before.html",
            "plan": self.out / "plan.html",
            "rollout change record": self.out / "rollout.html",
            "scan after": self.out / "scan-after.html",
        }
        self.console.rule("2. scan the fleet")
        self._scan(fleet, extra, reports["scan before"])
        self.console.rule(f"3. plan every cluster to {TARGET}")
        plan = ["plan", "--fleet", str(fleet), "--target", TARGET, *extra]
        self._kc(plan)
        for fmt, to in (("markdown", self.out / "plan.md"), ("html", reports["plan"])):
            self._kc([*plan, "-o", fmt], to=to, show=False)
        self.console.rule("4. roll out: a canary wave, then the rest")
        rollout = ["--fleet", str(fleet), "--target", TARGET, "--strategy", str(strategy)]
        self._kc(["rollout", "start", *rollout, "--state", str(state), *extra, *addon_chart])
        self._kc(["rollout", "status", "--state", str(state)])
        for fmt, to in (
            ("markdown", self.out / "rollout.md"),
            ("html", reports["rollout change record"]),
        ):
            report = ["rollout", "report", "--state", str(state), "-o", fmt, "--out", str(to)]
            self._kc(report, show=False)
        self.console.rule("5. scan again")
        self._scan(fleet, extra, reports["scan after"])
        return reports

    def _scan(self, fleet: Path, extra: Sequence[str], html: Path) -> None:
        """The findings table, then the HTML report (exit codes 1, 3, 4 mean findings)."""
        scan = ["scan", "cluster", "--fleet", str(fleet), "--target", TARGET, *extra]
        self._kc(scan, allowed=(0, 1, 3, 4))
        self._kc([*scan, "-o", "html"], to=html, allowed=(0, 1, 3, 4), show=False)

    def _fleet_file(self) -> Path:
        path = self.out / "fleet.yaml"
        data = {
            "clusters": [
                {
                    "name": c.name,
                    "kubeconfig": str(self._kubeconfig(c.name)),
                    "context": c.name,
                    "labels": dict(c.labels),
                }
                for c in self.spec.clusters
            ]
        }
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def _seed(self, name: str, charts: Path) -> None:
        kubeconfig = self._kubeconfig(name)
        client = Client(KubeConfig.from_file(kubeconfig), field_manager="kubecurrent-demo")
        for doc in _shop("shop"):
            obj: Any = codecs.from_dict(doc)
            _retry(f"create {doc['kind']} on {name}", partial(client.create, obj))
        crd = CustomResourceDefinition.from_dict(_widget_crd())
        _retry(f"create the Cart CRD on {name}", partial(client.create, crd))
        cart = create_namespaced_resource(WIDGET_GROUP, "v1beta1", "Cart", "carts")
        for i in (1, 2):
            item: Any = cart.from_dict(
                {
                    "apiVersion": f"{WIDGET_GROUP}/v1beta1",
                    "kind": "Cart",
                    "metadata": {"name": f"cart-{i}", "namespace": "shop"},
                    "spec": {"items": i},
                }
            )
            _retry(
                f"create Cart cart-{i} on {name}",
                partial(client.create, item, field_manager=LEGACY_MANAGER),
            )
        helm = [str(binary_path(HELM, "helm")), "--kubeconfig", str(kubeconfig)]
        listed = subprocess.run(
            [*helm, "list", "-A", "-q"], capture_output=True, text=True, check=False
        )
        if ADDON not in listed.stdout.split():
            self._run(
                [
                    *helm,
                    "install",
                    ADDON,
                    str(charts / f"{ADDON}-1.0.0"),
                    "-n",
                    "agents",
                    "--create-namespace",
                    "--set",
                    "logLevel=debug",
                    "--wait",
                    "--timeout",
                    "120s",
                ],
                show=False,
                timed=False,
            )
        self.console.print(
            f"  {name}: shop/web (3 replicas, PDB minAvailable 2), {ADDON} 1.0.0 via helm, "
            f"2 Carts written through deprecated {WIDGET_GROUP}/v1beta1 by {LEGACY_MANAGER}"
        )

    def _kc(
        self,
        args: Sequence[str],
        *,
        to: Path | None = None,
        allowed: Sequence[int] = (0,),
        show: bool = True,
    ) -> None:
        shown = " ".join(["kubecurrent", *args]) + (f" > {to}" if to else "")
        self.console.print(f"[bold]$ {shown}[/bold]", soft_wrap=True, highlight=False)
        self._run([sys.executable, "-m", "kubecurrent", *args], to=to, allowed=allowed, show=show)

    def _run(
        self,
        argv: Sequence[str],
        *,
        to: Path | None = None,
        allowed: Sequence[int] = (0,),
        show: bool = True,
        timed: bool = True,
    ) -> None:
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if to is not None:
            to.write_text(done.stdout, encoding="utf-8")
        elif show:
            sys.stdout.write(done.stdout)
        if show and done.stderr.strip():
            self.console.print(done.stderr.rstrip(), markup=False, highlight=False)
        if done.returncode not in allowed:
            raise KubecurrentError(
                f"demo: `{' '.join(argv[:6])} …` exited with {done.returncode}: "
                f"{done.stderr.strip()[-600:]}",
                hint="the fleet is left running for inspection; `kubecurrent demo --down` stops it",
            )
        if not show and timed:
            self.console.print(f"  ({time.monotonic() - started:.1f}s)", highlight=False)
