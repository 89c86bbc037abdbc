"""The sections of a cluster collection, each reading one concern a page at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kubecurrent.collect.cluster._api import Resource
from kubecurrent.collect.cluster._audit import summarize_audit
from kubecurrent.collect.cluster._discovery import Discovery
from kubecurrent.collect.cluster._evidence import EvidenceCounter
from kubecurrent.collect.cluster._helm import (
    RELEASE_LABELS,
    ReleaseDecodeError,
    ReleaseSelector,
    decode_release_data,
    release_values,
    summarize,
)
from kubecurrent.collect.cluster._metadata import METADATA_PAGE
from kubecurrent.collect.cluster._metrics import ACCEPT as METRICS_ACCEPT
from kubecurrent.collect.cluster._metrics import MetricsDecodeError, deprecated_requests
from kubecurrent.collect.cluster._workloads import WORKLOAD_PAGE, observe_workload
from kubecurrent.errors import ClusterError
from kubecurrent.model.findings import EvidenceSource
from kubecurrent.model.inventory import (
    CustomResourceDefinition,
    HelmRelease,
    Limitation,
    RbacRole,
    RuntimeClassInfo,
    WasmCapability,
)

if TYPE_CHECKING:
    from kubecurrent.collect.cluster._collect import _Run

NODES = Resource("", "v1", "nodes", "Node", namespaced=False)
SECRETS = Resource("", "v1", "secrets", "Secret")
CRDS = Resource(
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False
)
PDBS = Resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget")
RUNTIME_CLASSES = Resource("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", False)
WORKLOADS = (
    Resource("apps", "v1", "deployments", "Deployment"),
    Resource("apps", "v1", "statefulsets", "StatefulSet"),
    Resource("apps", "v1", "daemonsets", "DaemonSet"),
)
ROLES = (
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
)
WASM_HANDLERS = ("spin", "wasmtime", "wasmedge", "wasmer", "wws", "lunatic", "slight", "wasm")
SPINKUBE_GROUPS = ("core.spinkube.dev", "core.spinoperator.dev")
BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping"
HELM_PAGE = 20
"""Release Secrets are large (a gzipped manifest each): small pages keep memory low."""


@dataclass
class SharedList:
    """A workload list read whole that also feeds API usage evidence: the evidence branch
    waits for its ``outcome`` (the read's error, if any) instead of listing the same objects
    again metadata-only, and merges its ``counter`` in its place."""

    counter: EvidenceCounter
    outcome: asyncio.Future[None]

    async def read(self, work: Awaitable[None]) -> None:
        """Run ``work`` (the list) and pass its ending on to ``outcome``."""
        try:
            await work
        except BaseException as exc:
            self.outcome.set_exception(exc)
            raise
        self.outcome.set_result(None)


@dataclass
class State:
    crds: list[CustomResourceDefinition] = field(default_factory=list)
    crd_extra: list[tuple[str, str, str, str]] = field(default_factory=list)
    releases: list[HelmRelease] = field(default_factory=list)
    runtime_classes: list[RuntimeClassInfo] = field(default_factory=list)
    roles: list[RbacRole] = field(default_factory=list)
    shared: dict[tuple[str, str, str], SharedList] = field(default_factory=dict)


def shared_list(run: _Run, res: Resource) -> SharedList:
    """The one shared read of ``res`` (group, version, plural) in this collection."""
    key = (res.group, res.version, res.plural)
    found = run.state.shared.get(key)
    if found is None:
        outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        outcome.add_done_callback(_seen)  # an error the evidence branch never awaited is no bug
        found = run.state.shared[key] = SharedList(run.evidence.fresh(), outcome)
    return found


def _seen(outcome: asyncio.Future[None]) -> None:
    if not outcome.cancelled():
        outcome.exception()


async def nodes(run: _Run) -> None:
    async for page in run.api.pages(NODES):
        for node in page:
            run.pools.add(node)


async def crds(run: _Run) -> None:
    async for page in run.api.pages(CRDS):
        for obj in page:
            crd = crd_from(obj)
            if crd is None:
                continue
            run.state.crds.append(crd)
            run.finder.crd_group(crd.group)
            run.state.crd_extra += [
                (crd.group, v, crd.plural, crd.kind) for v in crd.deprecated_versions
            ]


def crd_from(obj: dict[str, Any]) -> CustomResourceDefinition | None:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, stored = spec.get("names") or {}, status.get("storedVersions") or []
    versions = [v for v in spec.get("versions") or [] if isinstance(v, dict)]
    if not stored or not names.get("kind"):
        return None
    return CustomResourceDefinition(
        name=str((obj.get("metadata") or {}).get("name", "")),
        group=str(spec.get("group", "")),
        kind=str(names["kind"]),
        stored_versions=tuple(str(v) for v in stored),
        served_versions=tuple(str(v["name"]) for v in versions if v.get("served")),
        deprecated_versions=tuple(
            str(v["name"]) for v in versions if v.get("served") and v.get("deprecated")
        ),
        plural=str(names.get("plural", "")),
    )


async def helm(run: _Run) -> None:
    if not run.opts.read_secrets:
        run.limits.append(
            Limitation(
                check="Helm releases",
                reason="Helm release records not "
                "read (--no-secrets): charts and their manifests unchecked",
            )
        )
        return
    await run.guard(
        "Helm releases", "list on secrets (Helm stores releases in Secrets)", _helm_releases(run)
    )


async def _helm_releases(run: _Run) -> None:
    selector = ReleaseSelector(run.opts.all_helm_revisions)
    undecodable = 0
    async for page in run.api.pages(SECRETS, labels=RELEASE_LABELS, limit=HELM_PAGE):
        for _, value in release_values(page):
            try:
                selector.offer(summarize(decode_release_data(value), set(run.watch.pairs)))
            except (ReleaseDecodeError, ValueError):
                undecodable += 1
    for decoded in selector.releases():
        r = decoded.release
        run.state.releases.append(r)
        run.finder.helm_release(r)
        for ref in decoded.refs:
            obj = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
            run.evidence.record(
                ref.api_version,
                ref.kind,
                EvidenceSource.HELM_RELEASE,
                obj=obj,
                release=f"{r.namespace}/{r.name} revision {r.revision}",
            )
    if undecodable:
        run.limits.append(
            Limitation(
                check="Helm releases", reason=f"{undecodable} release records could not be decoded"
            )
        )


async def pdbs(run: _Run) -> None:
    async for page in run.api.pages(PDBS):
        for obj in page:
            run.drain.add_pdb(obj)


async def workloads(run: _Run, into: list[Limitation]) -> None:
    """Workloads one kind after another (add-on versions and drain blockers depend on the
    order they are seen in), then RuntimeClasses. Each list also fills the kind's API usage
    evidence (``SharedList``)."""
    for res in WORKLOADS:
        shared = shared_list(run, res)
        await run.guard(
            f"{res.plural} (add-ons, drain blockers)",
            f"list on {res.plural}.apps",
            shared.read(_workload_pages(run, res, shared.counter)),
            into,
        )
    await run.guard(
        "RuntimeClasses", "list on runtimeclasses.node.k8s.io", runtime_classes(run), into
    )


async def _workload_pages(run: _Run, res: Resource, counter: EvidenceCounter) -> None:
    async for page in run.api.records(res, WORKLOAD_PAGE):
        for obj in page:
            counter.object_metadata(res.kind, obj.metadata)
            observe_workload(run.finder, obj)
            if res.kind != "DaemonSet":
                run.drain.add_workload(res.kind, obj)


async def runtime_classes(run: _Run) -> None:
    async for page in run.api.pages(RUNTIME_CLASSES):
        for obj in page:
            handler = str(obj.get("handler", ""))
            run.state.runtime_classes.append(
                RuntimeClassInfo(
                    name=str((obj.get("metadata") or {}).get("name", "")),
                    handler=handler,
                    wasm=any(w in handler.lower() for w in WASM_HANDLERS),
                )
            )


def wasm(run: _Run) -> WasmCapability:
    groups = {c.group for c in run.state.crds}
    return WasmCapability(
        runtime_handlers=tuple(sorted({r.handler for r in run.state.runtime_classes if r.wasm})),
        spinkube=bool(groups & set(SPINKUBE_GROUPS)),
        wasmcloud=any("wasmcloud" in g for g in groups),
        krustlet_nodes=run.pools.krustlet_nodes,
    )


async def object_evidence(run: _Run, into: list[Limitation]) -> None:
    """managedFields and last-applied of every watched resource (a few lists at once), then
    RBAC roles. A workload kind listed whole by ``workloads`` is not listed again: its shared
    read's outcome and counter stand in its place."""
    watch = run.watch.with_crd_versions(run.state.crd_extra)
    run.evidence.watched |= watch.pairs
    discovery = Discovery(run.api)
    await run.guard("API discovery", "get on /apis", discovery.versions("apps"), into)
    resources = await discovery.resources(watch.resources)
    reads = [_evidence_read(run, res) for res in resources]  # merged in this order
    await run.guard_each(
        [
            (
                f"API usage of {res.kind}",
                f"list on {res.plural}" + (f".{res.group}" if res.group else ""),
                work,
            )
            for res, (work, _) in zip(resources, reads, strict=True)
        ],
        into=into,
    )
    for _, counter in reads:
        run.evidence.merge(counter)
    await rbac(run, into)


def _evidence_read(run: _Run, res: Resource) -> tuple[Awaitable[None], EvidenceCounter]:
    """The read that fills ``res``'s evidence counter: a metadata-only list, or the outcome of
    the workload list that already reads these objects."""
    if res in WORKLOADS:
        shared = shared_list(run, res)
        return shared.outcome, shared.counter
    counter = run.evidence.fresh()
    return _metadata_pages(run, res, counter), counter


async def _metadata_pages(run: _Run, res: Resource, counter: EvidenceCounter) -> None:
    async for page in run.api.records(res, METADATA_PAGE, metadata_only=True):
        for item in page:
            counter.object_metadata(res.kind, item.metadata)


async def rbac(run: _Run, into: list[Limitation]) -> None:
    for res in ROLES:
        await run.guard(
            f"RBAC {res.plural}",
            f"list on {res.plural}.rbac.authorization.k8s.io",
            _role_pages(run, res),
            into,
        )


async def _role_pages(run: _Run, res: Resource) -> None:
    async for page in run.api.pages(res):
        for obj in page:
            meta = obj.get("metadata") or {}
            if (meta.get("labels") or {}).get(BOOTSTRAP_LABEL) == "rbac-defaults":
                continue  # the API server's own roles: reconciled by it at every start
            if run.watch.rbac_relevant(obj.get("rules")):
                run.state.roles.append(
                    RbacRole(
                        kind=res.kind,
                        name=str(meta.get("name", "")),
                        namespace=str(meta.get("namespace", "")),
                        rules=tuple(r for r in obj.get("rules") or [] if isinstance(r, dict)),
                    )
                )


async def metrics(run: _Run) -> None:
    content_type, body = await run.api.typed_body("/metrics", METRICS_ACCEPT)
    try:
        found = deprecated_requests(content_type, body)
    except MetricsDecodeError as exc:
        raise ClusterError(f"GET /metrics: {exc}") from None
    for req in found:
        kind = run.watch.kind_of(req.group, req.version, req.resource) or req.resource
        run.evidence.record(req.api_version, kind, EvidenceSource.METRICS, resource=req.resource)


def audit(run: _Run, path: Path) -> None:
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            summary = summarize_audit(lines, run.watch.kind_of)
    except OSError as exc:
        run.limits.append(Limitation(check="audit log", reason=f"{path}: {exc.strerror}"))
        return
    for use in summary.uses.values():
        run.evidence.record(
            use.api_version,
            use.kind,
            EvidenceSource.AUDIT_LOG,
            manager=use.user_agent,
            resource=use.resource,
            seen=use.last_seen or None,
            count=use.count,
        )
