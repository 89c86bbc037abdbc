"""The controller's runners: members reached through the kubeconfig in their Secret.

``SecretRunners`` wraps the runner source every interface uses (``runner.RecordedRunners``:
clusters upgraded as `kubecurrent rollout` upgrades them, with the options recorded with the
rollout) and, for each cluster, writes its MemberCluster's kubeconfig to a file only this
process may read (mode 0600, in a private directory) that the runner then uses.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from kubecurrent.kubestate import KubeStore
from kubecurrent.rollout import (
    ClusterRef,
    ClusterRun,
    RunnerFactory,
    RunnerSettings,
    RunnerSource,
)
from kubecurrent.textfile import write_atomic

__all__ = ["SecretRunners"]


@dataclass
class SecretRunners:
    """A ``RunnerSource`` whose clusters' kubeconfigs come from their MemberClusters' Secrets."""

    store: KubeStore
    inner: RunnerSource
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kubecurrent-")))

    def record(self) -> RunnerSettings:
        return self.inner.record()

    def kubeconfig(self, ref: ClusterRef) -> ClusterRef:
        """``ref`` pointing at a private file holding its member's kubeconfig."""
        text, context = self.store.member_kubeconfig(ref.name)
        path = self.folder / f"{ref.name}.kubeconfig"
        write_atomic(path, text, mode=0o600)  # another thread may be reading the last one
        return replace(ref, kubeconfig=path, context=ref.context or context)

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        make = self.inner.factory(recorded)

        def build(ref: ClusterRef) -> ClusterRun:
            return make(self.kubeconfig(ref))

        return build
