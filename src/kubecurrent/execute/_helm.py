"""Add-on steps through the real helm binary: upgrade with the release's values, verify, roll back.

The plan names an add-on (a catalog name) and a version. The release is found in the inventory:
the Helm release whose chart is one of the add-on's ``detect.helm_charts``. The chart comes from
``--addon-chart NAME=REF``; ``_charts`` finds the chart that carries the planned add-on version
(a chart's own version often differs) and checks it before anything changes.

``helm upgrade --reuse-values --wait`` installs it; then every Deployment, StatefulSet and
DaemonSet of the release's manifest must be available. If either fails, the release is rolled
back to the revision it had before (``helm rollback --wait``) and the step stops.

A release left ``pending-install``/``pending-upgrade``/``pending-rollback`` — by a helm that is
still running (a kubecurrent process killed mid-step leaves its helm child working) or by one
that died — is first waited for (up to the Helm timeout), then rolled back to its previous
revision (audited as ``helm.recover``), so a resumed step never fights a half-done operation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from kubecurrent.catalog import Addon, Catalog
from kubecurrent.errors import KubecurrentError
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._charts import choose_chart
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._health import RESOURCES, availability
from kubecurrent.execute._kube import Kube
from kubecurrent.model.inventory import ClusterInventory, HelmRelease
from kubecurrent.programs import Completed, flag, run_program

__all__ = ["HelmAddons", "chart_source", "find_release"]

BUSY = "another operation (install/upgrade/rollback) is in progress"
"""What helm says when a release is locked by a running operation."""


def find_release(catalog: Catalog, inventory: ClusterInventory, addon: str) -> HelmRelease:
    """The Helm release of ``addon`` recorded in ``inventory`` (exactly one, else an error)."""
    entry = catalog.addon(addon)
    if entry is None:
        raise PermanentStepError(
            f"the catalog has no add-on {addon!r}",
            hint="pass the catalog file that defines it with --catalog-extra",
        )
    charts = set(entry.detect.helm_charts)
    found = [r for r in inventory.helm_releases if r.chart in charts]
    if len(found) != 1:
        where = ", ".join(f"{r.namespace}/{r.name}" for r in found) or "none"
        raise PermanentStepError(
            f"add-on {addon} on cluster {inventory.name}: expected one Helm release of chart "
            f"{' or '.join(sorted(charts)) or '(none listed)'}, found {where}",
            hint="kubecurrent upgrades add-ons installed with Helm only; upgrade this one "
            "yourself and run the upgrade again",
        )
    return found[0]


def chart_source(charts: Mapping[str, str], addon: str) -> str:
    """The ``--addon-chart`` reference given for ``addon``."""
    ref = charts.get(addon)
    if ref is None:
        raise PermanentStepError(
            f"no chart source for add-on {addon}",
            hint=f"pass --addon-chart {addon}=REPO/CHART or a path with {{version}}",
        )
    return ref


@dataclass(frozen=True)
class HelmAddons:
    helm: Path
    kube: Kube
    kubeconfig: Path | None
    context: str | None
    charts: Mapping[str, str]
    audit: Audit
    timeout: float = 300.0

    def upgrade(self, release: HelmRelease, entry: Addon, version: str) -> None:
        addon = entry.name
        chart = choose_chart(self._query, entry, release, chart_source(self.charts, addon), version)
        self.settle(release)
        before = self.revision(release)
        ns = [flag("--namespace", release.namespace)]
        wait = ["--wait", f"--timeout={int(self.timeout)}s"]
        self.audit.write(
            "helm.upgrade",
            before=release.chart_version,
            after=chart.version,
            detail=f"{release.namespace}/{release.name} from revision {before} to "
            f"{chart.describe()}",
        )
        problem = self._run(
            ["upgrade", *chart.flags, *ns, "--reuse-values", *wait], [release.name, chart.ref]
        )
        if problem is not None and BUSY in problem:
            raise RetryableStepError(
                f"Helm release {release.namespace}/{release.name} is busy: {problem}",
                hint="another helm operation on the release is running; wait for it",
                retry_after=5,
            )
        if problem is None:
            problem = self.unavailable(release)
        if problem is None:
            return
        rollback = self._run(["rollback", *ns, *wait], [release.name, str(before)])
        self.audit.write(
            "helm.rollback",
            outcome="ok" if rollback is None else "failed",
            detail=f"{release.namespace}/{release.name} to revision {before}: "
            f"{rollback or problem}",
        )
        state = (
            f"rolled back to revision {before}"
            if rollback is None
            else (f"the rollback to revision {before} failed too: {rollback}")
        )
        raise PermanentStepError(
            f"upgrading add-on {addon} (Helm release {release.namespace}/{release.name}) to "
            f"{version} failed and was {state}: {problem}",
            hint=f"inspect with `helm history {release.name} -n {release.namespace}`",
        )

    def status(self, release: HelmRelease) -> tuple[int, str]:
        """(revision, status) of the release now, e.g. ``(3, "deployed")``."""
        out = self._output(
            ["status", flag("--namespace", release.namespace), "-o", "json"], [release.name]
        )
        data = json.loads(out)
        return int(data["version"]), str((data.get("info") or {}).get("status", "unknown"))

    def revision(self, release: HelmRelease) -> int:
        return self.status(release)[0]

    def settle(self, release: HelmRelease, poll: float = 2.0) -> None:
        """Wait out, then roll back, an operation an interrupted run left pending."""
        deadline = time.monotonic() + self.timeout
        revision, status = self.status(release)
        while status.startswith("pending-") and time.monotonic() < deadline:
            time.sleep(poll)
            revision, status = self.status(release)
        if not status.startswith("pending-"):
            return
        where = f"{release.namespace}/{release.name}"
        wait = ["--wait", f"--timeout={int(self.timeout)}s"]
        problem = self._run(
            ["rollback", flag("--namespace", release.namespace), *wait], [release.name]
        )
        self.audit.write(
            "helm.recover",
            outcome="ok" if problem is None else "failed",
            detail=f"{where} was {status} at revision {revision} for {int(self.timeout)}s; "
            f"rolled back to the previous revision{': ' + problem if problem else ''}",
        )
        if problem is not None:
            raise PermanentStepError(
                f"Helm release {where} is stuck {status} (revision {revision}) and the rollback "
                f"failed: {problem}",
                hint=f"repair it by hand: `helm history {release.name} -n {release.namespace}`, "
                "then `helm rollback`; then resume",
            )

    def unavailable(self, release: HelmRelease) -> str | None:
        """None when every workload of the release is available, else which is not."""
        manifest = self._output(
            ["get", "manifest", flag("--namespace", release.namespace)], [release.name]
        )
        problems = []
        for doc in yaml.safe_load_all(manifest):
            if not isinstance(doc, dict) or doc.get("kind") not in RESOURCES:
                continue
            meta = doc.get("metadata") or {}
            name, ns = str(meta.get("name")), str(meta.get("namespace") or release.namespace)
            live = self.kube.client.get(RESOURCES[doc["kind"]], name, namespace=ns)
            have, want = availability(live)
            if have < want:
                problems.append(f"{doc['kind']} {ns}/{name} has {have}/{want} available")
        return "; ".join(problems) or None

    def _helm(self, args: Sequence[str], operands: Sequence[str], timeout: float) -> Completed:
        base = []
        if self.kubeconfig:
            base.append(flag("--kubeconfig", self.kubeconfig))
        if self.context:
            base.append(flag("--kube-context", self.context))
        try:
            return run_program(self.helm, [*args, *base], operands, timeout=timeout, name="helm")
        except KubecurrentError as exc:
            raise RetryableStepError(
                exc.message, hint=exc.hint or "check helm and run again", retry_after=5
            ) from None

    def _run(self, args: Sequence[str], operands: Sequence[str]) -> str | None:
        """None on success, else the last lines of helm's error output."""
        done = self._helm(args, operands, self.timeout + 60)
        if done.ok:
            return None
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
        return lines[-1] if lines else f"helm exited with code {done.returncode}"

    def _query(self, args: Sequence[str], operands: Sequence[str]) -> str:
        """Output of a helm command that reads charts (search, show); its failure is final."""
        return self._output(args, operands, chart=True)

    def _output(self, args: Sequence[str], operands: Sequence[str], chart: bool = False) -> str:
        done = self._helm(args, operands, 120)
        if done.ok:
            return done.stdout
        said = [*args, *operands] if chart else args[:2]
        why = f"helm {' '.join(said)} failed: {done.stderr.strip()[-300:]}"
        if chart:
            raise PermanentStepError(why, hint="check the chart source given with --addon-chart")
        raise RetryableStepError(
            why, hint="check that the release exists: helm list -A", retry_after=2
        )
