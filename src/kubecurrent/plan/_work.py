"""The cluster as the plan changes it, step by step, and the steps written so far."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubecurrent.catalog import Addon
from kubecurrent.model import KubeVersion
from kubecurrent.model.clouds import Provider
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import Step, StepType
from kubecurrent.plan._policy import PlanPolicy
from kubecurrent.plan._provider import GENERIC, ProviderRules
from kubecurrent.plan._rules import Line, Placed, Rules, follows_control_plane, key

__all__ = ["Placed", "Work", "follows_control_plane", "show"]


def show(version: KubeVersion) -> str:
    """A Kubernetes version as the plan writes it: ``1.28.15``."""
    return str(version).removeprefix("v")


@dataclass
class Work:
    """Mutable planning state for one cluster; only the planner's modules touch it."""

    inventory: ClusterInventory
    rules: Rules
    target: KubeVersion
    policy: PlanPolicy
    cp: KubeVersion
    pools: dict[str, KubeVersion]
    addons: dict[str, Placed] = field(default_factory=dict)
    stored: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hop: int = 0
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    reachable: int | None = None
    """The highest minor reachable when something blocks the path (None: nothing blocks)."""
    blocked_addons: list[str] = field(default_factory=list)
    provider: ProviderRules = GENERIC
    """The managed provider's rules for this cluster (``rules_for``)."""
    _cp_shown: KubeVersion | None = field(default=None, init=False, repr=False)
    _cp_text: str = field(default="", init=False, repr=False)

    @classmethod
    def start(
        cls,
        inventory: ClusterInventory,
        rules: Rules,
        target: KubeVersion,
        policy: PlanPolicy,
        provider: ProviderRules = GENERIC,
    ) -> Work:
        return cls(
            inventory=inventory,
            rules=rules,
            target=target,
            policy=policy,
            provider=provider,
            cp=inventory.control_plane,
            pools={p.name: p.kubelet for p in inventory.node_pools},
            stored={c.name: c.stored_versions for c in inventory.crds},
        )

    @property
    def minor(self) -> int:
        """The control plane's minor right now, as a planner integer."""
        return self.cp.major * 1000 + self.cp.minor  # key(self.cp.minor_version), cheaper

    @property
    def cp_text(self) -> str:
        """``show(self.cp)``, written once per control-plane version (steps repeat it)."""
        if self._cp_shown is not self.cp:
            self._cp_shown, self._cp_text = self.cp, show(self.cp)
        return self._cp_text

    def move_cp(self, to: KubeVersion, text: str) -> None:
        """The control plane is now at ``to``, written ``text`` (``show(to)``)."""
        self.cp, self._cp_shown, self._cp_text = to, to, text

    @property
    def target_minor(self) -> int:
        return self._target_minor

    def __post_init__(self) -> None:
        self._target_minor = key(self.target.minor_version)

    def line(self, placed: Placed) -> Line:
        return placed.current

    def place(self, addon: Addon, line: int, version: str) -> Placed:
        """``addon`` on release line ``line`` at ``version``, as the plan places it."""
        return self.rules.place(addon, line, version)

    def emit(
        self,
        type_: StepType,
        target: str,
        from_: str,
        to: str | None,
        why: str,
        without: str,
        *,
        managed_by: Provider | None = None,
    ) -> None:
        self.steps.append(
            Step(len(self.steps) + 1, type_, target, from_, to, why, without, self.hop, managed_by)
        )

    def block(self, reason: str, *, at: int | None = None, addon: str | None = None) -> None:
        """Record why the path cannot continue past minor ``at`` (default: where it is now)."""
        self.reasons.append(reason)
        limit = self.minor if at is None else at
        self.reachable = limit if self.reachable is None else min(self.reachable, limit)
        if addon is not None and addon not in self.blocked_addons:
            self.blocked_addons.append(addon)
