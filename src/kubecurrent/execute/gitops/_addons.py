"""The executor's add-on action in GitOps mode: commit the step, then wait for the cluster.

kubecurrent does not change the cluster here: it commits the version edit on the branch and
waits (``--gitops-sync-timeout``) until a collected inventory shows the add-on at the planned
version, i.e. until the user's GitOps controller (Argo CD, Flux) has synced the change. Since
kubecurrent never pushes, the branch must reach the controller by the user's own means (a push,
a merged pull request) within that time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubecurrent.catalog import Catalog
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._executor import observed
from kubecurrent.execute._verify import effect_missing
from kubecurrent.execute.gitops._git import Git
from kubecurrent.execute.gitops._index import ChartIndex
from kubecurrent.execute.gitops._propose import branch_name, propose, ready
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["GitOpsAddons"]


@dataclass(frozen=True)
class GitOpsAddons:
    git: Git
    catalog: Catalog
    plan: ClusterPlan
    observe: Callable[[], ClusterInventory]
    audit: Audit
    clock: Clock
    branch: str | None = None
    timeout: float = 600.0
    """Seconds to wait for the cluster to show the committed version (600)."""
    poll: float = 2.0
    index: ChartIndex | None = None
    """Reads chart repository indexes to translate add-on versions into chart versions (None:
    pins numbered apart from the add-on are refused)."""

    @property
    def branch_name(self) -> str:
        return self.branch or branch_name(self.plan)

    def check(self, strict: bool = True) -> list[str]:
        """Problems that would stop an add-on step, found before the upgrade starts.

        ``strict`` also refuses a dirty work tree and a missing git identity (raised).
        """
        if strict:
            ready(self.git)
        proposal = propose(
            self.git, self.plan, self.catalog, branch=self.branch, dry_run=True, index=self.index
        )
        return [p for s in proposal.steps if s.blocked for p in s.problems]

    def upgrade(self, step: Step) -> str:
        proposal = propose(
            self.git, self.plan, self.catalog, branch=self.branch, only=step, index=self.index
        )
        done = proposal.steps[0]
        if done.blocked:
            raise PermanentStepError(
                "; ".join(done.problems),
                hint=f"pin the add-on's chart version in {self.git.root}, or run this step "
                "without --gitops-repo",
            )
        files = ", ".join(sorted({e.pin.path for e in done.edits})) or "already at the version"
        what = f"commit {done.commit[:12]}" if done.commit else "no new commit"
        self.audit.write(
            "gitops.commit",
            step=step,
            after=step.to,
            detail=f"{what} on {self.branch_name}: {files}",
        )
        return f"gitops: {what} on {self.branch_name} ({files}); {self._wait(step)}"

    def _wait(self, step: Step) -> str:
        deadline = self.clock.deadline(self.timeout)
        inv = self.observe()
        while effect_missing(step, inv) is not None:
            if self.clock.left(deadline) <= 0:
                raise PermanentStepError(
                    f"add-on {step.target}: committed {step.to} on branch {self.branch_name} in "
                    f"{self.git.root}, but after {self.timeout:.0f}s the cluster still shows "
                    f"{observed(step, inv) or 'no version'}",
                    hint="kubecurrent never pushes: push or merge the branch where your GitOps "
                    "controller watches, check its sync status, then run the upgrade again",
                )
            self.clock.sleep(self.poll)
            inv = self.observe()
        return f"the cluster shows {observed(step, inv)}"
