"""An exact, per-node runbook for a kubeadm cluster, built from a plan (pure; nothing is run).

For every control-plane hop of the plan: the first control-plane node (repository switch,
kubeadm package, ``kubeadm upgrade plan``, ``kubeadm upgrade apply``, drain, kubelet and kubectl
packages, kubelet restart, uncordon, check), then every other control-plane node the same way
with ``kubeadm upgrade node``. Every node-pool step of the plan becomes one block per worker
node of the pool: drain, then for each minor between its kubelet and the planned version the
repository switch, kubeadm, ``kubeadm upgrade node``, kubelet and kubectl, restart; then
uncordon and a check. Add-on steps stay in plan order as notes. Commands and their sources
come from ``kubeadm.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from kubecurrent.errors import UsageError
from kubecurrent.execute.kubeadm._facts import KubeadmFacts, PackageManager
from kubecurrent.model import KubeVersion
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["KubeadmNode", "NodeBlock", "RunCommand", "Runbook", "Stage", "build_runbook"]

Role = Literal["first-control-plane", "control-plane", "worker"]
KUBECTL = "where kubectl reaches the cluster"


@dataclass(frozen=True)
class KubeadmNode:
    name: str
    pool: str
    control_plane: bool
    kubelet: str
    os_image: str = ""


@dataclass(frozen=True)
class RunCommand:
    where: str
    run: str
    source: str


@dataclass(frozen=True)
class NodeBlock:
    node: str
    role: Role
    pool: str
    from_: str
    to: str
    package_manager: str
    commands: tuple[RunCommand, ...]


@dataclass(frozen=True)
class Stage:
    step: Step
    title: str
    nodes: tuple[NodeBlock, ...] = ()
    note: str = ""


@dataclass
class Runbook:
    cluster: str
    from_version: str
    target: str
    rules: list[tuple[str, str]]
    stages: list[Stage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def order(self) -> list[tuple[str, str]]:
        """(stage title, node) in the order the runbook upgrades them."""
        return [(s.title, n.node) for s in self.stages for n in s.nodes]

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "from": self.from_version,
            "target": self.target,
            "rules": [{"text": t, "source": s} for t, s in self.rules],
            "notes": self.notes,
            "stages": [
                {
                    "step": s.step.order,
                    "type": s.step.type,
                    "title": s.title,
                    "note": s.note,
                    "nodes": [
                        {
                            "node": n.node,
                            "role": n.role,
                            "pool": n.pool,
                            "from": n.from_,
                            "to": n.to,
                            "packageManager": n.package_manager,
                            "commands": [c.__dict__ for c in n.commands],
                        }
                        for n in s.nodes
                    ],
                }
                for s in self.stages
            ],
        }


def build_runbook(
    plan: ClusterPlan,
    nodes: Sequence[KubeadmNode],
    facts: KubeadmFacts,
    patch_of: Callable[[str], str | None] = lambda _minor: None,
) -> Runbook:
    """The runbook for ``plan`` on ``nodes``; ``patch_of("1.36")`` names a minor's patch."""
    control = sorted((n for n in nodes if n.control_plane), key=lambda n: n.name)
    if not control:
        raise UsageError(
            f"cluster {plan.name}: no node carries the label node-role.kubernetes.io/control-plane",
            hint="kubeadm labels its control-plane nodes so; check `kubectl get nodes "
            "-l node-role.kubernetes.io/control-plane`, or use another --provider",
        )
    book = Runbook(
        plan.name,
        plan.from_version,
        plan.target,
        [(r.text, facts.url(r.source)) for r in facts.rules],
    )
    _Builder(plan, facts, book, patch_of).run(control, list(nodes))
    return book


@dataclass
class _Builder:
    plan: ClusterPlan
    facts: KubeadmFacts
    book: Runbook
    patch_of: Callable[[str], str | None]

    def run(self, control: list[KubeadmNode], nodes: list[KubeadmNode]) -> None:
        versions = {_minor(v): v for v in self.plan.path() if v}
        current = self.plan.from_version
        for step in self.plan.steps:
            if step.type == "control-plane" and step.to:
                blocks = [
                    self._control_plane(n, current, step.to, i == 0) for i, n in enumerate(control)
                ]
                title = f"control plane {current} → {step.to}"
                self.book.stages.append(Stage(step, title, tuple(blocks)))
                current = step.to
            elif step.type == "node-pool" and step.to:
                self.book.stages.append(self._pool(step, nodes, versions))
            elif step.type == "addon":
                note = (
                    f"add-on {step.target} {step.from_} → {step.to}: not part of kubeadm; run it "
                    "with Helm (`kubecurrent upgrade --provider none`) or GitOps (`kubecurrent "
                    f"gitops propose`) before going on. Why: {step.why}"
                )
                self.book.stages.append(Stage(step, f"add-on {step.target}", note=note))
            elif step.type != "check":
                note = f"{step.type} {step.target}: {step.why} (do it yourself before going on)"
                self.book.stages.append(Stage(step, f"{step.type} {step.target}", note=note))

    def _pm(self, node: KubeadmNode) -> tuple[str, PackageManager]:
        image = node.os_image.lower()
        for name, pm in self.facts.package_managers.items():
            if any(word in image for word in pm.os_images):
                return name, pm
        if "apt" not in self.facts.package_managers:  # pragma: no cover - data file guarantee
            raise UsageError("kubeadm.yaml lists no apt package manager")
        note = (
            f"node {node.name}: OS image {node.os_image or '(unknown)'!r} names no known "
            "distribution; apt (Debian/Ubuntu) commands are shown"
        )
        if note not in self.book.notes:
            self.book.notes.append(note)
        return "apt", self.facts.package_managers["apt"]

    def _cmd(self, pm: PackageManager | None, key: str, where: str, **values: str) -> RunCommand:
        command = (pm.commands if pm is not None else self.facts.commands)[key]
        return RunCommand(where, command.run.format(**values), self.facts.url(command.source))

    def _packages(self, node: KubeadmNode, version: str, what: tuple[str, ...]) -> list[RunCommand]:
        _, pm = self._pm(node)
        values = _values(node, version, pm)
        where = f"on {node.name}"
        out = []
        for key in what:
            if key in pm.commands:
                out.append(self._cmd(pm, key, where, **values))
            else:
                out.append(self._cmd(None, key, where, **values))
        return out

    def _control_plane(self, node: KubeadmNode, current: str, to: str, first: bool) -> NodeBlock:
        values = _values(node, to, self._pm(node)[1])
        upgrade = ("upgrade_plan", "upgrade_apply") if first else ("upgrade_node",)
        cmds = self._packages(node, to, ("check_repo", "switch_repo", "list_versions", "kubeadm"))
        cmds += self._packages(node, to, ("kubeadm_version", *upgrade))
        cmds.append(self._cmd(None, "drain", KUBECTL, **values))
        cmds += self._packages(node, to, ("kubelet", "restart_kubelet"))
        cmds.append(self._cmd(None, "uncordon", KUBECTL, **values))
        cmds.append(self._cmd(None, "check_node", KUBECTL, **values))
        if first:
            cmds.append(self._cmd(None, "check_control_plane", KUBECTL, **values))
        role: Role = "first-control-plane" if first else "control-plane"
        return NodeBlock(node.name, role, node.pool, current, to, self._pm(node)[0], tuple(cmds))

    def _pool(self, step: Step, nodes: list[KubeadmNode], versions: dict[str, str]) -> Stage:
        assert step.to is not None
        members = sorted(
            (n for n in nodes if n.pool == step.target and not n.control_plane),
            key=lambda n: n.name,
        )
        title = f"node pool {step.target} {step.from_} → {step.to}"
        if not members:
            cp = any(n.pool == step.target and n.control_plane for n in nodes)
            why = (
                "its nodes are control-plane nodes, whose kubelets the control-plane stages upgrade"
                if cp
                else "no worker node of this pool was found in the cluster"
            )
            return Stage(step, title, note=f"node pool {step.target}: nothing to do here: {why}")
        chain = self._chain(step.from_, step.to, versions)
        return Stage(step, title, tuple(self._worker(n, step, chain) for n in members))

    def _chain(self, from_: str, to: str, versions: dict[str, str]) -> list[str]:
        start, end = KubeVersion.parse(from_), KubeVersion.parse(to)
        chain = []
        for minor in range(start.minor + 1, end.minor):
            key = f"{end.major}.{minor}"
            patch = versions.get(key) or self.patch_of(key)
            if patch is None:
                raise UsageError(
                    f"no patch release of Kubernetes {key} is known for the kubelet's way "
                    f"{from_} → {to}",
                    hint="pass a catalog that lists it (--catalog-extra)",
                )
            chain.append(patch)
        return [*chain, to]

    def _worker(self, node: KubeadmNode, step: Step, chain: list[str]) -> NodeBlock:
        name, pm = self._pm(node)
        first = _values(node, chain[-1], pm)
        cmds = [self._cmd(None, "drain", KUBECTL, **first)]
        for version in chain:
            keys = ("check_repo", "switch_repo", "list_versions", "kubeadm", "kubeadm_version")
            cmds += self._packages(node, version, keys)
            cmds += self._packages(node, version, ("upgrade_node", "kubelet", "restart_kubelet"))
        cmds.append(self._cmd(None, "uncordon", KUBECTL, **first))
        cmds.append(self._cmd(None, "check_node", KUBECTL, **first))
        return NodeBlock(node.name, "worker", node.pool, step.from_, chain[-1], name, tuple(cmds))


def _minor(version: str) -> str:
    v = KubeVersion.parse(version)
    return f"{v.major}.{v.minor}"


def _values(node: KubeadmNode, version: str, pm: PackageManager) -> dict[str, str]:
    v = KubeVersion.parse(version)
    plain = f"{v.major}.{v.minor}.{v.patch}"
    minor = f"{v.major}.{v.minor}"
    values = {
        "node": node.name,
        "version": plain,
        "minor": minor,
        "prev_minor": f"{v.major}.{v.minor - 1}",
    }
    values["pkg"] = pm.package_version.format(**values)
    return values
