"""The Amazon EKS provider: control plane, managed node groups and EKS add-ons through the EKS API.

Bound to one EKS cluster (``EksRef``)::

    control plane   UpdateClusterVersion(version=X.Y), then DescribeUpdate until it ends
    node pool       an EKS managed node group: UpdateNodegroupVersion(version=X.Y
                    [, releaseVersion] [, force]) then DescribeUpdate; EKS replaces the nodes
                    and drains the old ones itself, honouring the node group's updateConfig
                    (maxUnavailable) and PodDisruptionBudgets; any other pool (self-managed,
                    Karpenter) is refused with the path that rolls it
    EKS add-on      UpdateAddon(addonVersion, resolveConflicts=PRESERVE unless OVERWRITE was
                    chosen), then DescribeUpdate

Resuming is safe: before starting anything, ListUpdates + DescribeUpdate look for an update of
the same object that is still ``InProgress`` (one a killed run started) and wait for it instead
of starting another; a cluster, node group or add-on already at the version is left alone. An
update that ends ``Failed`` or ``Cancelled`` is a ``PermanentStepError`` carrying EKS's
``errorCode: errorMessage``. The releaseVersion of a node group update is the newest one another
node group of the same AMI type already runs for that minor; otherwise EKS chooses (its latest
AMI for the minor) — the audit record says which. ``force`` (UpdateNodegroupVersion: replace
nodes even when a PodDisruptionBudget blocks the drain) and ``OVERWRITE`` are used only when the
user chose them, and the audit records that choice. Every call that changes EKS, every wait and
every update found in progress is audited (``eks.*`` actions).
EKS documentation: https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html,
https://docs.aws.amazon.com/eks/latest/userguide/update-managed-node-group.html,
https://docs.aws.amazon.com/eks/latest/userguide/updating-an-add-on.html.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from kubecurrent.collect.eks import (
    EksError,
    EksRef,
    aws_call,
    eks_client,
    minor_of,
    offered_minors,
    paginate,
)
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._operation import Operation, Phase, Reading, await_operation
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["Conflicts", "EksOptions", "EksProvider", "eks_minor_steps", "minor_steps"]

T = TypeVar("T")
_READY = ("ACTIVE", "UPDATING")
_RUNBOOK = (
    "EKS rolls only managed node groups: replace self-managed nodes with a new launch template "
    "or AMI and drain the old ones (`kubecurrent upgrade --provider kubeadm` prints a per-node "
    "runbook), and let Karpenter replace its nodes through drift (update the EC2NodeClass AMI)"
)


class Conflicts(StrEnum):
    """``resolveConflicts`` of UpdateAddon: what happens to fields someone else changed."""

    PRESERVE = "PRESERVE"
    """Keep the user's changes (the default: user configuration is never silently lost)."""
    OVERWRITE = "OVERWRITE"
    """Take the fields back to EKS's values (only when chosen explicitly)."""


@dataclass(frozen=True)
class EksOptions:
    """How the EKS provider changes a cluster (command-line choices, audited)."""

    force: bool = False
    """UpdateNodegroupVersion ``force``: replace nodes even when a PDB blocks their drain."""
    conflicts: Conflicts = Conflicts.PRESERVE
    timeout: float = 3600.0
    """Seconds one EKS update may take before the step fails (the update goes on in EKS)."""
    poll: float = 5.0
    """Seconds between two DescribeUpdate calls."""


@dataclass
class EksProvider:
    """Control-plane, managed node-group and EKS add-on provider for one EKS cluster."""

    ref: EksRef
    audit: Audit
    options: EksOptions = field(default_factory=EksOptions)
    clock: Clock = field(default_factory=Clock)
    client: Any = None
    name: str = "eks"

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = eks_client(self.ref.region, self.ref.profile)

    # -- control plane -------------------------------------------------------------------------

    def upgrade_control_plane(self, version: str) -> str:
        """Move the control plane to ``version``'s minor and wait; returns EKS's version."""
        minor = minor_of(version)
        self._wait_running("cluster", {}, f"{self.ref}")
        cluster = self._call("describe", lambda: self.client.describe_cluster(name=self.ref.name))
        current = minor_of(str(cluster["cluster"]["version"]))
        if current == minor:
            self.audit.write(
                "eks.no-op", before=current, after=minor, detail=f"{self.ref} is at {minor}"
            )
            return f"{minor} (already)"
        self._check_offered(minor)
        update = self._start(
            "UpdateClusterVersion",
            f"{self.ref} {current} → {minor}",
            lambda: self.client.update_cluster_version(name=self.ref.name, version=minor),
            before=current,
            after=minor,
        )
        self._wait(update, {}, f"control plane of {self.ref} to {minor}")
        done = self._call("describe", lambda: self.client.describe_cluster(name=self.ref.name))
        return f"{done['cluster']['version']} ({done['cluster'].get('platformVersion', '')})"

    def _check_offered(self, minor: str) -> None:
        if not self.client.can_paginate("describe_cluster_versions"):
            return
        versions = self._call(
            "list versions",
            lambda: list(paginate(self.client, "describe_cluster_versions", "clusterVersions")),
        )
        offered = offered_minors(versions)
        if offered and minor not in offered:
            raise PermanentStepError(
                f"EKS does not offer Kubernetes {minor} in {self.ref.region} for {self.ref}",
                hint=f"EKS offers {', '.join(offered)}: plan to one of them "
                "(`kubecurrent plan --target X.Y`)",
            )

    # -- managed node groups -------------------------------------------------------------------

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        """Have EKS replace the nodes of managed node group ``pool`` with ``version``'s minor."""
        minor = minor_of(version)
        group = self._nodegroup(pool)
        status = str(group.get("status"))
        if status not in _READY:
            issues = "; ".join(
                f"{i.get('code')}: {i.get('message')}"
                for i in (group.get("health") or {}).get("issues") or ()
            )
            raise PermanentStepError(
                f"EKS managed node group {pool} of {self.ref} is {status}"
                + (f" ({issues})" if issues else ""),
                hint="repair it in EKS (aws eks describe-nodegroup shows its health issues), "
                "then resume",
            )
        scope = {"nodegroupName": pool}
        self._wait_running("nodegroup", scope, f"node group {pool} of {self.ref}")
        group = self._nodegroup(pool)
        current = minor_of(str(group["version"]))
        if current == minor:
            self.audit.write(
                "eks.no-op", before=current, after=minor, detail=f"node group {pool} is at {minor}"
            )
            return f"node group {pool} already at {minor}"
        release, how = self._release(group, minor)
        params: dict[str, Any] = {
            "clusterName": self.ref.name,
            "nodegroupName": pool,
            "version": minor,
        }
        if release:
            params["releaseVersion"] = release
        if self.options.force:
            params["force"] = True
        update_cfg = group.get("updateConfig") or {}
        detail = (
            f"node group {pool} of {self.ref} {current} → {minor}; releaseVersion {how}; "
            f"updateConfig {update_cfg or 'EKS default (maxUnavailable 1)'}; "
            + (
                "force: true (--eks-force given: PDBs may be overridden)"
                if self.options.force
                else "force: false"
            )
        )
        update = self._start(
            "UpdateNodegroupVersion",
            detail,
            lambda: self.client.update_nodegroup_version(**params),
            before=current,
            after=minor,
        )
        self._wait(update, scope, f"node group {pool} of {self.ref} to {minor}", timeout)
        return f"EKS replaced the nodes of {pool} ({minor}, releaseVersion {how})"

    def _nodegroup(self, pool: str) -> dict[str, Any]:
        try:
            return dict(
                aws_call(
                    f"describe node group {pool} of {self.ref}",
                    "",
                    lambda: self.client.describe_nodegroup(
                        clusterName=self.ref.name, nodegroupName=pool
                    ),
                )["nodegroup"]
            )
        except EksError as exc:
            if exc.code != "ResourceNotFoundException":
                raise _step_error(exc) from None
            raise PermanentStepError(
                f"node pool {pool} of {self.ref} is not an EKS managed node group "
                "(self-managed or Karpenter nodes): EKS cannot roll it",
                hint=_RUNBOOK,
            ) from None

    def _release(self, group: dict[str, Any], minor: str) -> tuple[str | None, str]:
        """The newest releaseVersion a sibling node group of the same AMI type runs for
        ``minor``, or None (EKS chooses its latest AMI for the minor)."""
        names = self._call(
            "list node groups",
            lambda: list(
                paginate(self.client, "list_nodegroups", "nodegroups", clusterName=self.ref.name)
            ),
        )
        found = []
        for name in names:
            if name == group.get("nodegroupName"):
                continue
            other = self._nodegroup(str(name))
            same_ami = other.get("amiType") == group.get("amiType")
            if (
                same_ami
                and other.get("releaseVersion")
                and minor_of(str(other["version"])) == minor
            ):
                found.append(str(other["releaseVersion"]))
        if not found:
            return None, f"chosen by EKS (its latest AMI for {minor}; none known here)"
        newest = max(found, key=_release_key)
        return newest, f"{newest} (the newest one node groups of this AMI type run)"

    # -- EKS add-ons ---------------------------------------------------------------------------

    def update_addon(self, addon: str, version: str, timeout: float) -> str:
        """Move EKS add-on ``addon`` to ``version`` and wait for EKS to apply it."""
        scope = {"addonName": addon}
        self._wait_running("addon", scope, f"add-on {addon} of {self.ref}")
        data = self._call(
            f"describe add-on {addon}",
            lambda: self.client.describe_addon(clusterName=self.ref.name, addonName=addon),
        )["addon"]
        current = str(data.get("addonVersion"))
        if current == version:
            self.audit.write(
                "eks.no-op", before=current, after=version, detail=f"add-on {addon} is at {version}"
            )
            return f"EKS add-on {addon} already at {version}"
        conflicts = self.options.conflicts
        chosen = (
            "chosen with --eks-addon-conflicts" if conflicts is Conflicts.OVERWRITE else "default"
        )
        update = self._start(
            "UpdateAddon",
            f"add-on {addon} of {self.ref} {current} → {version}; resolveConflicts "
            f"{conflicts} ({chosen})",
            lambda: self.client.update_addon(
                clusterName=self.ref.name,
                addonName=addon,
                addonVersion=version,
                resolveConflicts=str(conflicts),
            ),
            before=current,
            after=version,
        )
        self._wait(update, scope, f"add-on {addon} of {self.ref} to {version}", timeout)
        return f"EKS add-on {addon} at {version} (resolveConflicts {conflicts})"

    # -- updates -------------------------------------------------------------------------------

    def _start(
        self, op: str, detail: str, call: Callable[[], Any], *, before: str, after: str
    ) -> str:
        try:
            update = self._call(op, call)["update"]
        except PermanentStepError as exc:
            self.audit.write(
                f"eks.{op}", before=before, after=after, outcome="failed", detail=exc.message
            )
            raise
        uid = str(update["id"])
        self.audit.write(f"eks.{op}", before=before, after=after, detail=detail, update=uid)
        return uid

    def _wait_running(self, kind: str, scope: dict[str, str], what: str) -> None:
        """Wait for an update of the same object still running (a killed run's)."""
        uids = self._call(
            "list updates",
            lambda: list(
                paginate(self.client, "list_updates", "updateIds", name=self.ref.name, **scope)
            ),
        )
        for uid in uids:
            update = self._describe_update(str(uid), scope)
            if update.get("status") == "InProgress":
                self.audit.write(
                    "eks.update-found",
                    detail=f"{kind} update {uid} of {what} is in progress: waiting for it "
                    "instead of starting another",
                    update=str(uid),
                )
                self._wait(str(uid), scope, what)

    def _describe_update(self, uid: str, scope: dict[str, str]) -> dict[str, Any]:
        return dict(
            self._call(
                "describe update",
                lambda: self.client.describe_update(name=self.ref.name, updateId=uid, **scope),
            )["update"]
        )

    def _wait(
        self, uid: str, scope: dict[str, str], what: str, timeout: float | None = None
    ) -> None:
        def read() -> Reading:
            update = self._describe_update(uid, scope)
            status = str(update.get("status"))
            if status == "Successful":
                return Reading(Phase.SUCCEEDED, status)
            if status in ("Failed", "Cancelled"):
                return Reading(Phase.FAILED, status, f"{status}: {_update_errors(update)}")
            return Reading(Phase.RUNNING, status)

        await_operation(
            read,
            Operation(
                label=f"EKS update {uid} ({what})",
                what=what,
                done_action="eks.update-done",
                cloud="EKS",
                ids={"update": uid},
            ),
            audit=self.audit,
            clock=self.clock,
            timeout=timeout or self.options.timeout,
            poll=self.options.poll,
        )

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return aws_call(f"{what} of {self.ref}", "", call)
        except EksError as exc:
            raise _step_error(exc) from None


def _update_errors(update: dict[str, Any]) -> str:
    """An update's errors as EKS reports them: ``code: message (resource ids)``."""
    return (
        "; ".join(
            f"{e.get('errorCode')}: {e.get('errorMessage')}"
            + (f" ({', '.join(e.get('resourceIds') or ())})" if e.get("resourceIds") else "")
            for e in update.get("errors") or ()
        )
        or "no error details"
    )


def _step_error(exc: EksError) -> PermanentStepError | RetryableStepError:
    """Throttling and EKS server errors (after botocore's retries) may pass: retry the step
    later; anything else stops it."""
    if exc.code in ("ThrottlingException", "ServerException", "ServiceUnavailableException"):
        return RetryableStepError(exc.message, hint=exc.hint, retry_after=10.0)
    return PermanentStepError(exc.message, hint=exc.hint)


def _release_key(release: str) -> tuple[int, ...]:
    """``1.36.2-20261101`` → (1, 36, 2, 20261101)."""
    return tuple(int(p) for p in release.replace("-", ".").split(".") if p.isdigit())


def eks_minor_steps(plan: ClusterPlan) -> ClusterPlan:
    """``plan`` with control-plane, node-pool and check versions as minors (``1.37``): EKS
    chooses the patch release, so any patch of the minor is the step's effect."""
    return minor_steps(plan, "EKS chooses the patch of")


def minor_steps(plan: ClusterPlan, who: str) -> ClusterPlan:
    """``plan`` with control-plane, node-pool and check versions as minors, each step's
    explanation saying ``({who} 1.37)``: the cloud chooses the patch release."""

    def step(s: Step) -> Step:
        if s.type not in ("control-plane", "node-pool", "check") or s.to is None:
            return s
        try:
            to = minor_of(s.to)
        except ValueError:
            return s
        if to == s.to:
            return s
        return s.replace(to=to, why=f"{s.why} ({who} {to})")

    return plan.model_copy(update={"steps": tuple(step(s) for s in plan.steps)})
