"""Fleet files and the concurrent fleet runner.

A fleet file names the clusters to collect::

    defaults:                      # optional, applied to every cluster
      kubeconfig: ~/.kube/config
      timeout: 120                 # seconds for the whole collection of one cluster
    clusters:
      - name: prod-eu              # inventory name
        context: prod-eu-admin     # kubeconfig context (default: name)
        kubeconfig: ~/.kube/prod.yaml
        labels: {env: prod, region: eu, tier: "1"}
        auditLog: /var/log/kube/audit.log   # optional
      - name: orders                 # an Amazon EKS cluster, reached through the EKS API
        eks: {region: eu-west-1, name: orders-prod, profile: prod}   # profile optional
      - gke: {project: shop, location: europe-west1, name: web}       # a GKE cluster
      - aks: {subscription: 0000-…, resourceGroup: rg, name: api}     # an AKS cluster
    discover:                        # optional: clusters found through the clouds' APIs
      eks: {regions: [eu-west-1, us-east-1], profile: prod}   # or allRegions: true
      gke: {projects: [shop, data]}                           # every location of each project
      aks: {subscriptions: [0000-…]}                          # every resource group

A cloud entry (``eks:``, ``gke:``, ``aks:``) is reached with the cloud's token, not a
kubeconfig; its ``name`` defaults to the cloud's cluster name. Discovered clusters are added
after the listed ones (a discovered cluster already listed is not added twice); a region,
project or subscription that cannot be listed is reported and the others go on.

Clusters are collected concurrently; one that cannot be reached, refuses the credentials or
times out fails alone, with its reason, and the others complete.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster._target import ClusterTarget, CollectOptions
from kubecurrent.errors import KubecurrentError, UsageError
from kubecurrent.model.inventory import ClusterInventory

if TYPE_CHECKING:
    from kubecurrent.collect.clouds import CloudRef, CloudSelector

DEFAULT_TIMEOUT = 120.0
DEFAULT_CONCURRENCY = 8


class _Eks(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(min_length=1)
    name: str = Field(min_length=1)
    profile: str | None = None


class _EksDiscovery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    regions: list[str] = Field(default_factory=list)
    all_regions: bool = Field(default=False, alias="allRegions")
    profile: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class _Gke(BaseModel):
    model_config = ConfigDict(extra="forbid")
    project: str = Field(min_length=1)
    location: str = Field(min_length=1)
    name: str = Field(min_length=1)


class _GkeDiscovery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    projects: list[str] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)


class _Aks(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    subscription: str = Field(min_length=1)
    resource_group: str = Field(min_length=1, alias="resourceGroup")
    name: str = Field(min_length=1)


class _AksDiscovery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscriptions: list[str] = Field(min_length=1)
    labels: dict[str, str] = Field(default_factory=dict)


class _Discover(BaseModel):
    model_config = ConfigDict(extra="forbid")
    eks: _EksDiscovery | None = None
    gke: _GkeDiscovery | None = None
    aks: _AksDiscovery | None = None

    def selectors(self) -> list[tuple[CloudSelector, dict[str, str]]]:
        from kubecurrent.collect.clouds import AksSelector, EksSelector, GkeSelector

        out: list[tuple[CloudSelector, dict[str, str]]] = []
        if self.eks is not None:
            e = self.eks
            sel = EksSelector(tuple(e.regions), e.all_regions, e.profile, profile_region=False)
            out.append((sel, e.labels))
        if self.gke is not None:
            out.append((GkeSelector(tuple(self.gke.projects)), self.gke.labels))
        if self.aks is not None:
            out.append((AksSelector(tuple(self.aks.subscriptions)), self.aks.labels))
        return out


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str | None = Field(default=None, min_length=1)
    eks: _Eks | None = None
    gke: _Gke | None = None
    aks: _Aks | None = None
    context: str | None = None
    kubeconfig: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    audit_log: str | None = Field(default=None, alias="auditLog")
    timeout: float | None = Field(default=None, gt=0)

    def cloud(self) -> CloudRef | None:
        """The cloud cluster this entry names (at most one of eks:, gke:, aks:), or None."""
        from kubecurrent.collect.clouds import AksRef, EksRef, GkeRef

        refs: list[CloudRef] = []
        if self.eks is not None:
            refs.append(EksRef(self.eks.region, self.eks.name, self.eks.profile))
        if self.gke is not None:
            refs.append(GkeRef(self.gke.project, self.gke.location, self.gke.name))
        if self.aks is not None:
            refs.append(AksRef(self.aks.subscription, self.aks.resource_group, self.aks.name))
        if len(refs) > 1:
            raise UsageError(
                f"cluster {self.name or refs[0].name} names {len(refs)} clouds",
                hint="give one of eks:, gke:, aks: per cluster entry",
            )
        return refs[0] if refs else None


class _Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kubeconfig: str | None = None
    timeout: float | None = Field(default=None, gt=0)


class _FleetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    defaults: _Defaults = Field(default_factory=_Defaults)
    clusters: list[_Entry] = Field(default_factory=list)
    discover: _Discover = Field(default_factory=_Discover)


def load_fleet_file(path: Path, kubeconfig: Path | None = None) -> list[ClusterTarget]:
    """The clusters a fleet file names; relative paths are relative to the file."""
    from kubecurrent.useryaml import load_user_yaml  # a fleet file only, not a kubeconfig scan

    data = load_user_yaml(path, "fleet file")
    try:
        spec = _FleetFile.model_validate(data)
    except ValidationError as exc:
        raise UsageError(
            f"{path}: not a fleet file: {exc}", hint="see docs/cluster-scan.md for the format"
        ) from None
    selectors = spec.discover.selectors()
    if not spec.clusters and not selectors:
        raise UsageError(
            f"{path}: names no cluster", hint="list clusters: or add a discover: block"
        )
    clouds = [c.cloud() for c in spec.clusters]
    missing = [i for i, c in enumerate(spec.clusters, 1) if c.name is None and not clouds[i - 1]]
    if missing:
        raise UsageError(
            f"{path}: cluster entry {missing[0]} has no name",
            hint="give it name: (and context: or a cloud: eks: {region, name}, gke: {project, "
            "location, name}, aks: {subscription, resourceGroup, name})",
        )
    mixed = [
        (c.name or ref.name, ref.provider)
        for c, ref in zip(spec.clusters, clouds, strict=True)
        if ref and (c.context or c.kubeconfig)
    ]
    if mixed:
        name, provider = mixed[0]
        raise UsageError(
            f"{path}: cluster {name} has {provider}: and a kubeconfig context",
            hint=f"a {provider}: entry is reached through the cloud's API: "
            "drop context:/kubeconfig:",
        )
    found = [
        _target(path.parent, c, ref, spec.defaults, kubeconfig)
        for c, ref in zip(spec.clusters, clouds, strict=True)
    ]
    names = [t.name for t in found]
    if len(set(names)) != len(names):
        raise UsageError(f"{path}: cluster names must be unique", hint="rename the duplicates")
    for selector, labels in selectors:
        from kubecurrent.collect.clouds import discover  # the cloud's SDK, when asked for

        found += cloud_targets(
            discover(selector).clusters,
            labels=labels,
            known=found,
            timeout=spec.defaults.timeout or DEFAULT_TIMEOUT,
        )
    return found


def cloud_targets(
    refs: Sequence[CloudRef],
    *,
    labels: dict[str, str] | None = None,
    known: list[ClusterTarget] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[ClusterTarget]:
    """Targets for discovered cloud clusters, named after the cluster (``name-<region,
    location or resource group>`` when two have that name); clusters already in ``known`` are
    left out."""
    known = known or []
    seen = {t.cloud for t in known if t.cloud is not None}
    fresh = [r for r in refs if r not in seen]
    counts: dict[str, int] = {}
    for r in fresh:
        counts[r.name] = counts.get(r.name, 0) + 1
    taken = {t.name for t in known}
    out = []
    for r in fresh:
        name = r.name if counts[r.name] == 1 and r.name not in taken else f"{r.name}-{r.place}"
        out.append(ClusterTarget(name=name, labels=dict(labels or {}), timeout=timeout, cloud=r))
    return out


eks_targets = cloud_targets
"""The name EKS discovery had before the clouds seam."""


def _target(
    base: Path, c: _Entry, ref: CloudRef | None, d: _Defaults, fallback: Path | None
) -> ClusterTarget:
    def resolve(text: str | None) -> Path | None:
        return None if text is None else base / Path(text).expanduser()

    if ref is not None:
        return ClusterTarget(
            name=c.name or ref.name,
            labels=dict(c.labels),
            audit_log=resolve(c.audit_log),
            timeout=c.timeout or d.timeout or DEFAULT_TIMEOUT,
            cloud=ref,
        )
    name = str(c.name)
    return ClusterTarget(
        name=name,
        context=c.context or name,
        kubeconfig=resolve(c.kubeconfig or d.kubeconfig) or fallback,
        labels=dict(c.labels),
        audit_log=resolve(c.audit_log),
        timeout=c.timeout or d.timeout or DEFAULT_TIMEOUT,
    )


@dataclass(frozen=True)
class ClusterResult:
    """One cluster's outcome: an inventory, or the reason it could not be collected."""

    target: ClusterTarget
    inventory: ClusterInventory | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.inventory is not None


Progress = Callable[[ClusterTarget, str], None]
"""Called with a cluster and ``started``, ``done`` or ``failed``."""


async def collect_fleet(
    targets: list[ClusterTarget],
    catalog: Catalog,
    opts: CollectOptions,
    progress: Progress | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[ClusterResult]:
    """Every target's result, in the order given; never raises for one cluster's failure."""
    import asyncio  # here: naming clusters (fleet files) does not need the event loop

    gate = asyncio.Semaphore(concurrency)

    async def one(target: ClusterTarget) -> ClusterResult:
        async with gate:
            tell(progress, target, "started")
            result = await collect_one(target, catalog, opts)
            tell(progress, target, "done" if result.ok else "failed")
            return result

    return list(await asyncio.gather(*(one(t) for t in targets)))


async def collect_one(t: ClusterTarget, catalog: Catalog, opts: CollectOptions) -> ClusterResult:
    """One target's result: its inventory, or why it could not be collected (never raises)."""
    import asyncio

    from kubecurrent.collect.cluster._collect import collect_cluster  # the client, when needed

    try:
        inv = await asyncio.wait_for(collect_cluster(t, catalog, opts), t.timeout)
    except TimeoutError:
        return ClusterResult(t, error=f"timed out after {t.timeout:.0f}s")
    except KubecurrentError as exc:
        return ClusterResult(t, error=exc.message + (f" ({exc.hint})" if exc.hint else ""))
    except Exception as exc:  # one cluster's unexpected failure must not stop the fleet
        return ClusterResult(t, error=f"{type(exc).__name__}: {exc}")
    return ClusterResult(t, inventory=inv)


def tell(progress: Progress | None, target: ClusterTarget, what: str) -> None:
    if progress is not None:
        progress(target, what)


def inventory_json(inv: ClusterInventory) -> dict[str, Any]:
    """The saved-snapshot shape (readable by ``plan --inventory``)."""
    return inv.model_dump(mode="json", by_alias=True, exclude_none=True)
