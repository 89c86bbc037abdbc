"""The Azure Kubernetes Service provider: control plane, agent pools and node images through ARM.

Bound to one AKS cluster (``AksRef``); every change is a long-running ARM operation, awaited::

    control plane   managedClusters PUT (begin_create_or_update) with ``kubernetesVersion`` set
                    to the newest patch of the hop's minor the upgrade profile offers, every agent
                    pool's ``orchestratorVersion`` left as it is (control plane only); the cluster's
                    ``autoUpgradeProfile`` is sent back unchanged (an auto-upgrade channel stays on
                    and the audit record names it)
    node pool       agentPools PUT with ``orchestratorVersion`` = the control plane's version when
                    it has that minor, else the newest patch the pool's upgrade profile offers;
                    AKS surges (``upgradeSettings.maxSurge``), cordons and drains the nodes
                    honouring PodDisruptionBudgets, while kubecurrent's health gate runs after the
                    step as for every provider
    node image      agentPools/upgradeNodeImageVersion (begin_upgrade_node_image_version)

Resuming is safe: before starting anything the cluster (or pool) is read; a
``provisioningState`` of ``Upgrading``/``Updating`` (a killed run's operation, or AKS's own
auto-upgrade) is waited for instead of starting another, and a cluster or pool already at the
version is left alone. An operation that ends ``Failed`` or ``Canceled`` is a
``PermanentStepError`` carrying Azure's ``code: message``. Every call that changes AKS, every
operation found running and every wait's outcome is audited (``aks.*`` actions).
AKS documentation: https://learn.microsoft.com/azure/aks/upgrade-aks-cluster,
https://learn.microsoft.com/azure/aks/upgrade-node-pools,
https://learn.microsoft.com/azure/aks/node-image-upgrade; REST:
https://learn.microsoft.com/rest/api/aks/managed-clusters/create-or-update,
https://learn.microsoft.com/rest/api/aks/agent-pools/create-or-update,
https://learn.microsoft.com/rest/api/aks/agent-pools/upgrade-node-image-version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubecurrent.collect.aks import AksError, AksRef, aks_client, azure_call, http_error, minor_of
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._operation import Operation, Phase, Reading, await_operation
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["AksOptions", "AksProvider", "aks_minor_steps"]

T = TypeVar("T")
_BUSY = ("Upgrading", "Updating", "Creating", "Scaling", "Starting", "Stopping")
_RETRYABLE = ("TooManyRequests", "InternalServerError", "ServiceUnavailable")


@dataclass(frozen=True)
class AksOptions:
    """How the AKS provider changes a cluster."""

    timeout: float = 3600.0
    """Seconds one AKS operation may take before the step fails (the operation goes on)."""
    poll: float = 5.0
    """Seconds between two polls of an operation or of a busy cluster."""


@dataclass
class AksProvider:
    """Control-plane, agent-pool and node-image provider for one AKS cluster."""

    ref: AksRef
    audit: Audit
    options: AksOptions = field(default_factory=AksOptions)
    clock: Clock = field(default_factory=Clock)
    client: Any = None
    name: str = "aks"

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = aks_client(self.ref.subscription)

    @property
    def _at(self) -> tuple[str, str]:
        return self.ref.resource_group, self.ref.name

    # -- control plane -------------------------------------------------------------------------

    def upgrade_control_plane(self, version: str) -> str:
        """Move the control plane to ``version``'s minor (AKS's offered patch) and wait."""
        minor = minor_of(version)
        cluster = self._settled(
            "cluster", lambda: self.client.managed_clusters.get(*self._at), f"{self.ref}"
        )
        current = _running(cluster)
        if minor_of(current) == minor:
            self.audit.write(
                "aks.no-op", before=current, after=minor, detail=f"{self.ref} is at {current}"
            )
            return f"{current} (already)"
        chosen = self._offered(minor)
        body = cluster.as_dict()
        body["properties"]["kubernetesVersion"] = chosen
        channel = (body["properties"].get("autoUpgradeProfile") or {}).get("upgradeChannel")
        pools = ", ".join(
            f"{p.get('name')} at {p.get('orchestratorVersion')}"
            for p in body["properties"].get("agentPoolProfiles") or ()
        )
        detail = (
            f"{self.ref} {current} → {chosen} (control plane only; agent pools left as they are: "
            f"{pools or 'none'}); autoUpgradeProfile.upgradeChannel {channel or 'none'} kept"
        )
        poller = self._start(
            "aks.managedClusters.createOrUpdate",
            detail,
            lambda: self.client.managed_clusters.begin_create_or_update(
                *self._at, body, polling_interval=self.options.poll
            ),
            before=current,
            after=chosen,
        )
        self._await(poller, f"control plane of {self.ref} to {chosen}", self.options.timeout)
        done = self._call("read", lambda: self.client.managed_clusters.get(*self._at))
        return _running(done)

    def _offered(self, minor: str) -> str:
        profile = self._call(
            "read the upgrade profile",
            lambda: self.client.managed_clusters.get_upgrade_profile(*self._at),
        ).as_dict()
        upgrades = ((profile.get("properties") or {}).get("controlPlaneProfile") or {}).get(
            "upgrades"
        ) or []
        offered = [str(u["kubernetesVersion"]) for u in upgrades if not u.get("isPreview")]
        fitting = [v for v in offered if minor_of(v) == minor]
        if not fitting:
            raise PermanentStepError(
                f"AKS does not offer Kubernetes {minor} to {self.ref} now "
                f"(its upgrade profile offers: {', '.join(offered) or 'none'})",
                hint="plan to a version AKS offers (`kubecurrent plan --target X.Y`), or wait "
                "until AKS offers this one",
            )
        return max(fitting, key=_version_key)

    # -- agent pools ---------------------------------------------------------------------------

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        """Have AKS upgrade agent pool ``pool`` to ``version``'s minor and wait."""
        minor = minor_of(version)
        data = self._settled(
            "agent pool", lambda: self._pool(pool), f"agent pool {pool} of {self.ref}"
        )
        props = data.as_dict().get("properties") or {}
        current = str(props.get("currentOrchestratorVersion") or props.get("orchestratorVersion"))
        if minor_of(current) == minor:
            self.audit.write(
                "aks.no-op",
                before=current,
                after=minor,
                detail=f"agent pool {pool} is at {current}",
            )
            return f"agent pool {pool} already at {current}"
        chosen = self._pool_version(pool, minor)
        body = data.as_dict()
        body["properties"]["orchestratorVersion"] = chosen
        surge = (props.get("upgradeSettings") or {}).get("maxSurge")
        poller = self._start(
            "aks.agentPools.createOrUpdate",
            f"agent pool {pool} of {self.ref} {current} → {chosen}; upgradeSettings.maxSurge "
            f"{surge or 'AKS default (10%)'}",
            lambda: self.client.agent_pools.begin_create_or_update(
                *self._at, pool, body, polling_interval=self.options.poll
            ),
            before=current,
            after=chosen,
        )
        self._await(poller, f"agent pool {pool} of {self.ref} to {chosen}", timeout)
        return f"AKS upgraded agent pool {pool} to {chosen} (maxSurge {surge or 'default'})"

    def _pool(self, pool: str) -> Any:
        try:
            return azure_call(
                f"read agent pool {pool} of {self.ref}",
                lambda: self.client.agent_pools.get(*self._at, pool),
            )
        except AksError as exc:
            if exc.code not in ("NotFound", "ResourceNotFound"):
                raise _step_error(exc) from None
            raise PermanentStepError(
                f"node pool {pool} of {self.ref} is not an AKS agent pool: AKS cannot upgrade it",
                hint="replace its nodes yourself (virtual nodes follow the control plane)",
            ) from None

    def _pool_version(self, pool: str, minor: str) -> str:
        cluster = self._call("read", lambda: self.client.managed_clusters.get(*self._at))
        control = _running(cluster)
        if minor_of(control) == minor:
            return control
        profile = self._call(
            f"read the upgrade profile of agent pool {pool}",
            lambda: self.client.agent_pools.get_upgrade_profile(*self._at, pool),
        ).as_dict()
        upgrades = (profile.get("properties") or {}).get("upgrades") or []
        fitting = [
            str(u["kubernetesVersion"])
            for u in upgrades
            if minor_of(str(u["kubernetesVersion"])) == minor
        ]
        if not fitting:
            raise PermanentStepError(
                f"AKS offers agent pool {pool} of {self.ref} no Kubernetes {minor} (the control "
                f"plane runs {control})",
                hint="upgrade the control plane first: an agent pool cannot be newer than it",
            )
        return max(fitting, key=_version_key)

    # -- node images ---------------------------------------------------------------------------

    def upgrade_node_image(self, pool: str, image: str, timeout: float) -> str:
        """Have AKS move agent pool ``pool`` to its latest node image (``image``) and wait."""
        data = self._settled(
            "agent pool", lambda: self._pool(pool), f"agent pool {pool} of {self.ref}"
        )
        current = str((data.as_dict().get("properties") or {}).get("nodeImageVersion"))
        if current == image:
            self.audit.write(
                "aks.no-op", before=current, after=image, detail=f"agent pool {pool} runs {image}"
            )
            return f"agent pool {pool} already runs {image}"
        poller = self._start(
            "aks.agentPools.upgradeNodeImageVersion",
            f"agent pool {pool} of {self.ref} node image {current} → latest ({image} planned)",
            lambda: self.client.agent_pools.begin_upgrade_node_image_version(
                *self._at, pool, polling_interval=self.options.poll
            ),
            before=current,
            after=image,
        )
        self._await(poller, f"node image of agent pool {pool} of {self.ref}", timeout)
        after = self._pool(pool).as_dict().get("properties") or {}
        return f"AKS moved agent pool {pool} to node image {after.get('nodeImageVersion')}"

    # -- operations ----------------------------------------------------------------------------

    def _settled(self, kind: str, read_resource: Callable[[], Any], what: str) -> Any:
        """The resource once no operation runs on it (a killed run's is waited for)."""
        data = self._call(f"read {kind}", read_resource)
        state = _state(data)
        if state not in _BUSY:
            return data
        self.audit.write(
            "aks.operation-found",
            detail=f"{what} is {state}: waiting for that operation instead of starting another",
        )
        latest = data

        def read() -> Reading:
            nonlocal latest
            latest = self._call(f"read {kind}", read_resource)
            now = _state(latest)
            if now in _BUSY:
                return Reading(Phase.RUNNING, now)
            if now == "Succeeded":
                return Reading(Phase.SUCCEEDED, now)
            return Reading(Phase.FAILED, now, f"ended {now}")

        await_operation(
            read,
            Operation(
                label=what,
                what=what,
                done_action="aks.operation-done",
                cloud="AKS",
                where_to_look="find the cause in the cluster's activity log in Azure and fix it",
            ),
            audit=self.audit,
            clock=self.clock,
            timeout=self.options.timeout,
            poll=self.options.poll,
        )
        return latest

    def _start(
        self, op: str, detail: str, call: Callable[[], Any], *, before: str, after: str
    ) -> Any:
        try:
            poller = self._call(op.removeprefix("aks."), call)
        except PermanentStepError as exc:
            self.audit.write(op, before=before, after=after, outcome="failed", detail=exc.message)
            raise
        self.audit.write(op, before=before, after=after, detail=detail)
        return poller

    def _await(self, poller: Any, what: str, timeout: float) -> None:
        from azure.core.exceptions import HttpResponseError

        try:
            poller.result(timeout=timeout)
        except HttpResponseError as exc:
            error = http_error(f"AKS operation ({what})", exc)
            self.audit.write("aks.operation-done", outcome="failed", detail=error.message)
            raise PermanentStepError(
                error.message,
                hint="fix the cause Azure names, then `kubecurrent rollout resume` (or run the "
                "upgrade again): nothing further runs on this cluster until then",
            ) from None
        if not poller.done():
            raise PermanentStepError(
                f"AKS operation ({what}) still {poller.status()} after {timeout:.0f}s",
                hint="it goes on in AKS; resuming waits for it instead of starting another",
            )
        self.audit.write("aks.operation-done", outcome="ok", detail=f"{what}: {poller.status()}")

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return azure_call(f"{what} of {self.ref}", call)
        except AksError as exc:
            raise _step_error(exc) from None


def _state(data: Any) -> str:
    return str((data.as_dict().get("properties") or {}).get("provisioningState") or "Succeeded")


def _running(cluster: Any) -> str:
    props = cluster.as_dict().get("properties") or {}
    return str(props.get("currentKubernetesVersion") or props.get("kubernetesVersion"))


def _step_error(exc: AksError) -> PermanentStepError | RetryableStepError:
    """Throttling and Azure server errors (after the SDK's retries) may pass: retry the step
    later; anything else stops it."""
    if exc.code in _RETRYABLE:
        return RetryableStepError(exc.message, hint=exc.hint, retry_after=10.0)
    return PermanentStepError(exc.message, hint=exc.hint)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def aks_minor_steps(plan: ClusterPlan) -> ClusterPlan:
    """``plan`` with control-plane, node-pool and check versions as minors (``1.37``): AKS's
    upgrade profile decides the patch, so any patch of the minor is the step's effect."""

    def step(s: Step) -> Step:
        if s.type not in ("control-plane", "node-pool", "check") or s.to is None:
            return s
        try:
            to = minor_of(s.to)
        except ValueError:
            return s
        if to == s.to:
            return s
        why = f"{s.why} (AKS offers the patch of {to}: the newest its upgrade profile lists)"
        return s.replace(to=to, why=why)

    return plan.model_copy(update={"steps": tuple(step(s) for s in plan.steps)})
