"""The rehearsal: copy the cluster into its twin, then ask the twin's API server at every hop.

At the starting version every object is created in the twin (CRDs first, admission policies
and webhooks last). Then, at each hop, the twin's API server is asked three things:

- **read back**: every copied resource is listed again through the version that API server
  prefers — an object it cannot return is *unreadable*;
- **resubmit**: every object is created again as a server-side dry run. The object exists, so
  an answer ``409 AlreadyExists`` means it passed validation and every admission check of this
  version (they run before storage); any other refusal is the server's own verdict;
- **writers**: an object some client wrote through another API version (its managedFields say
  so) is read and created again (dry run) through *that* version, so a version the hop no
  longer serves is refused with the server's own message, as that client would be.

Manifests given with ``--manifests`` are applied server-side as a dry run at every hop. Memory
holds one page of objects at a time; what is kept per object is only a refusal or a warning
(capped per hop, the rest counted).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kubecurrent.errors import KubecurrentError, UsageError
from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.rehearse._clean import clean, gates_of, load_order, skip_object, skip_resource
from kubecurrent.rehearse._discovery import ApiResource, Served, discover
from kubecurrent.rehearse._kube import Kube, Reply
from kubecurrent.rehearse._records import (
    Check,
    CrdStorage,
    Hop,
    NotCopied,
    ObjectRef,
    Outcome,
    Rehearsal,
    Verdict,
    WebhookMode,
)
from kubecurrent.rehearse._twin import Twin, check_binaries, runtime_config, start_minor

__all__ = ["Manifest", "RehearseOptions", "rehearse"]

MAX_LISTED = 500
"""Refusals and warnings listed per hop; beyond it they are counted (``Hop.omitted``)."""
_DRY_RUN = {"dryRun": "All"}
_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")


@dataclass(frozen=True)
class Manifest:
    """One document of ``--manifests`` (a file, a rendered chart or a built overlay)."""

    body: dict[str, Any]
    where: str
    """``path:line`` (or the chart/overlay it was rendered from)."""


@dataclass(frozen=True)
class RehearseOptions:
    target: MinorVersion
    namespaces: frozenset[str] = frozenset()
    """Only these namespaces (and cluster-wide objects); empty: all."""
    kinds: frozenset[str] = frozenset()
    """Only these kinds or resources (``Deployment``, ``deployments``), lowercase; empty: all.
    Namespaces and CRDs are always copied: what is selected needs them."""
    webhooks: WebhookMode = WebhookMode.IGNORE
    workers: int = 8
    manifests: Callable[[MinorVersion], Iterable[Manifest]] | None = None
    """The documents to apply at each hop (charts rendered for that version)."""
    builtin_groups: frozenset[str] = frozenset()
    """API groups the API server itself serves (from the catalog's lifecycle data)."""


@dataclass
class _Copy:
    """What the load kept: counts, and only what later checks need."""

    kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    writers: set[tuple[ObjectRef, ApiResource]] = field(default_factory=set)
    stored: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """CRD name -> its ``status.storedVersions`` in the cluster."""
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)


def rehearse(
    source: Kube,
    cluster: str,
    opts: RehearseOptions,
    make_twin: Callable[[MinorVersion, tuple[str, ...]], Twin],
    progress: Callable[[str], None] = lambda _: None,
) -> Rehearsal:
    version = KubeVersion.parse(str(source.json("/version").get("gitVersion", "")))
    start, note = start_minor(version.minor_version)
    if opts.target < start:
        raise UsageError(
            f"--target {opts.target} is older than where the rehearsal starts ({start})",
            hint="give a newer target: a rehearsal walks upgrades forward",
        )
    hops = [start.offset(i) for i in range(start.distance(opts.target) + 1)]
    check_binaries(hops)
    served = discover(source)
    extra = runtime_config(served.group_versions, set(opts.builtin_groups))
    result = Rehearsal(
        cluster=cluster,
        source_version=str(version),
        target=str(opts.target),
        start_note=note,
        webhooks=opts.webhooks,
        runtime_config=extra,
    )
    progress(f"twin: starting Kubernetes {start} ({note})")
    with make_twin(start, extra) as twin, ThreadPoolExecutor(opts.workers) as pool:
        copy = _load(source, twin.kube, served, opts, result, pool, progress)
        for index in range(len(hops)):
            if index:
                progress(f"twin: upgrading to {hops[index]}")
                try:
                    twin.upgrade()
                except KubecurrentError as exc:
                    result.interrupted = f"the upgrade to {hops[index]} failed: {exc}"
                    break
            progress(f"twin: checking at {hops[index]}")
            result.hops.append(_check_hop(twin, copy, opts, pool, progress))
    return result


def _typed(page: list[dict[str, Any]], res: ApiResource) -> list[dict[str, Any]]:
    """List items carry no ``apiVersion``/``kind``: set them, since cleaning (Secrets' data
    above all) and the skip rules go by kind."""
    for obj in page:
        obj["apiVersion"] = res.api_version
        obj["kind"] = res.kind
    return page


def _selected(res: ApiResource, opts: RehearseOptions) -> bool:
    if (res.group, res.kind) == _CRD or (res.group, res.kind) == ("", "Namespace"):
        return True
    return not opts.kinds or bool({res.kind.lower(), res.plural} & opts.kinds)


def _in_scope(obj: dict[str, Any], res: ApiResource, opts: RehearseOptions) -> bool:
    if not opts.namespaces:
        return True
    meta = obj.get("metadata") or {}
    if res.kind == "Namespace":
        return meta.get("name") in opts.namespaces
    return not res.namespaced or meta.get("namespace") in opts.namespaces


def _ref(obj: dict[str, Any], api_version: str) -> ObjectRef:
    meta = obj.get("metadata") or {}
    return ObjectRef(
        api_version, str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta["name"])
    )


def _load(
    source: Kube,
    twin: Kube,
    served: Served,
    opts: RehearseOptions,
    result: Rehearsal,
    pool: ThreadPoolExecutor,
    progress: Callable[[str], None],
) -> _Copy:
    copy = _Copy()
    resources = sorted(
        (r for r in served.preferred if _selected(r, opts)),
        key=lambda r: load_order(r.group, r.kind),
    )
    crds_ready = False
    for res in resources:
        reason = skip_resource(res.group, res.plural)
        if reason is not None:
            result.not_copied.append(NotCopied(f"{res.plural}.{res.group or 'core'}", reason, 0))
            continue
        if not crds_ready and (res.group, res.kind) != _CRD and res.kind != "Namespace":
            _wait_established(twin, copy.stored)
            crds_ready = True
        created = 0
        for page in source.pages(res.path()):
            if isinstance(page, Reply):
                result.not_copied.append(
                    NotCopied(f"{res.plural}.{res.group or 'core'}", f"cannot list: {page.message}")
                )
                break
            todo = []
            for obj in _typed(page, res):
                if not _in_scope(obj, res, opts) or not (obj.get("metadata") or {}).get("name"):
                    continue
                why = skip_object(obj)
                if why is not None:
                    copy.skipped[(res.kind, why)] += 1
                    continue
                _remember(obj, res, copy, result)
                todo.append(obj)
            for ref, reply in pool.map(lambda o, r=res: _create(twin, r, o, opts), todo):
                if reply.ok or reply.reason == "AlreadyExists":
                    created += 1
                else:
                    result.load_refused.append(
                        Outcome(ref, Check.LOAD, Verdict.REFUSED, reply.message, "cluster")
                    )
        if created:
            copy.kinds[(res.group, res.kind)] += created
            result.copied[f"{res.kind} ({res.api_version})"] = created
            progress(f"copied {created} {res.plural}.{res.group or 'core'}")
    if not crds_ready:
        _wait_established(twin, copy.stored)
    for (kind, why), count in sorted(copy.skipped.items()):
        result.not_copied.append(NotCopied(kind, why, count))
    return copy


def _remember(obj: dict[str, Any], res: ApiResource, copy: _Copy, result: Rehearsal) -> None:
    """Keep what the checks need later: writers through other versions, CRD stored versions
    and the webhooks that gate resources."""
    meta = obj.get("metadata") or {}
    for entry in meta.get("managedFields") or []:
        written = str(entry.get("apiVersion", ""))
        if written and written != res.api_version and written.rpartition("/")[0] == res.group:
            copy.writers.add((_ref(obj, written), res.at(written)))
    if (res.group, res.kind) == _CRD:
        stored = (obj.get("status") or {}).get("storedVersions") or []
        copy.stored[str(meta["name"])] = tuple(str(v) for v in stored)
    result.gates.extend(gates_of(obj))


def _create(
    twin: Kube, res: ApiResource, obj: dict[str, Any], opts: RehearseOptions
) -> tuple[ObjectRef, Reply]:
    meta = obj.get("metadata") or {}
    body = clean(obj, opts.webhooks)
    return _ref(obj, res.api_version), twin.request(
        "POST", res.path(str(meta.get("namespace", ""))), body=body
    )


def _wait_established(twin: Kube, crds: dict[str, tuple[str, ...]], timeout: float = 60.0) -> None:
    """Custom resources can be created only once their CRD is Established."""
    deadline = time.monotonic() + timeout
    waiting = set(crds)
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            reply = twin.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            conditions = (reply.body.get("status") or {}).get("conditions") or []
            if not reply.ok or any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                waiting.discard(name)  # a CRD the twin refused is listed among load refusals
        if waiting:
            time.sleep(0.2)


class _Hop:
    """Collects one hop's outcomes (thread-safe enough: appends and counters under the GIL)."""

    def __init__(self, version: str) -> None:
        self.hop = Hop(version=version)
        self.omitted = 0

    def judge(self, ref: ObjectRef, check: Check, reply: Reply, source: str) -> None:
        if reply.ok or (check is not Check.MANIFEST and reply.reason == "AlreadyExists"):
            if reply.warnings:
                self.add(Outcome(ref, check, Verdict.WARNED, "; ".join(reply.warnings), source))
            else:
                self.hop.accepted += 1
        else:
            self.add(Outcome(ref, check, Verdict.REFUSED, reply.message, source))

    def add(self, outcome: Outcome) -> None:
        if len(self.hop.outcomes) < MAX_LISTED:
            self.hop.outcomes.append(outcome)
        else:
            self.omitted += 1


def _check_hop(
    twin: Twin,
    copy: _Copy,
    opts: RehearseOptions,
    pool: ThreadPoolExecutor,
    progress: Callable[[str], None],
) -> Hop:
    began = time.monotonic()
    kube = twin.kube
    at = _Hop(twin.version)
    served = discover(kube)
    for (group, kind), copied in sorted(copy.kinds.items()):
        res = served.of_kind(group, kind)
        ref = ObjectRef(group or "v1", kind, "", "*")
        if res is None:
            message = f"no version of {kind} ({group or 'core'}) is served at {at.hop.version}"
            at.add(Outcome(ref, Check.READ_BACK, Verdict.UNREADABLE, message, "cluster"))
            continue
        read = 0
        for page in kube.pages(res.path()):
            if isinstance(page, Reply):
                at.add(Outcome(ref, Check.READ_BACK, Verdict.UNREADABLE, page.message, "cluster"))
                break
            read += len(page)
            mine = [o for o in _typed(page, res) if skip_object(o) is None]  # not the twin's own
            for ref_, reply in pool.map(lambda o, r=res: _create_dry(kube, r, o, opts), mine):
                at.judge(ref_, Check.RESUBMIT, reply, "cluster")
        at.hop.read_back += read
        if read < copied:
            message = f"{copied} copied, {read} listed back through {res.api_version}"
            at.add(Outcome(ref, Check.READ_BACK, Verdict.UNREADABLE, message, "cluster"))
        progress(f"  {at.hop.version}: {read} {res.plural}.{group or 'core'} checked")
    for ref, res in sorted(copy.writers):
        at.judge(ref, Check.WRITER, _through_writer(kube, res, ref, opts), "cluster")
    if opts.manifests is not None:
        _apply_manifests(kube, served, opts.manifests(twin.minor), at, pool)
    at.hop.crd_storage = _crd_storage(kube, copy.stored)
    at.hop.seconds = round(time.monotonic() - began, 1)
    if at.omitted:
        at.hop.outcomes.append(
            Outcome(
                ObjectRef("", "", "", "*"),
                Check.RESUBMIT,
                Verdict.WARNED,
                f"{at.omitted} more refusals or warnings not listed",
                "",
            )
        )
    return at.hop


def _create_dry(
    kube: Kube, res: ApiResource, obj: dict[str, Any], opts: RehearseOptions
) -> tuple[ObjectRef, Reply]:
    meta = obj.get("metadata") or {}
    body = clean(obj, opts.webhooks)
    path = res.path(str(meta.get("namespace", "")))
    return _ref(obj, res.api_version), kube.request("POST", path, params=_DRY_RUN, body=body)


def _through_writer(kube: Kube, res: ApiResource, ref: ObjectRef, opts: RehearseOptions) -> Reply:
    got = kube.get(res.path(ref.namespace, ref.name))
    if not got.ok:
        return got
    body = clean(got.body, opts.webhooks)
    sent = kube.request("POST", res.path(ref.namespace), params=_DRY_RUN, body=body)
    warnings = tuple(dict.fromkeys(got.warnings + sent.warnings))  # the server's, once each
    return Reply(sent.status, sent.body, warnings)


def _apply_manifests(
    kube: Kube,
    served: Served,
    manifests: Iterable[Manifest],
    at: _Hop,
    pool: ThreadPoolExecutor,
) -> None:
    namespaces: set[str] = set()

    def apply(doc: Manifest) -> tuple[ObjectRef, Reply] | tuple[ObjectRef, str]:
        body = doc.body
        api_version, kind = str(body.get("apiVersion", "")), str(body.get("kind", ""))
        meta = body.get("metadata") or {}
        group = api_version.rpartition("/")[0]
        ref = ObjectRef(api_version, kind, str(meta.get("namespace", "")), str(meta.get("name")))
        res = served.of_kind(group, kind)
        if res is None:
            return ref, (
                f"no API serves {kind} in group {group or 'core'} here (is its CRD in the "
                "cluster or among the manifests?)"
            )
        ns = str(meta.get("namespace") or "default") if res.namespaced else ""
        if ns and ns not in namespaces:
            namespaces.add(ns)
            kube.request("POST", "/api/v1/namespaces", body=_namespace(ns))
        path = res.at(api_version).path(ns, str(meta.get("name")))
        params = {"dryRun": "All", "fieldManager": "kubecurrent-rehearse", "force": "true"}
        return ref, kube.request(
            "PATCH", path, params=params, body=body, content_type="application/apply-patch+yaml"
        )

    docs = [d for d in manifests if (d.body.get("metadata") or {}).get("name")]
    for doc, (ref, answer) in zip(docs, pool.map(apply, docs), strict=True):
        if isinstance(answer, str):
            at.add(Outcome(ref, Check.MANIFEST, Verdict.REFUSED, answer, doc.where))
        else:
            at.judge(ref, Check.MANIFEST, answer, doc.where)


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _crd_storage(kube: Kube, stored: dict[str, tuple[str, ...]]) -> list[CrdStorage]:
    out = []
    for name, versions in sorted(stored.items()):
        reply = kube.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
        if not reply.ok:
            continue
        specs = (reply.body.get("spec") or {}).get("versions") or []
        current = {str(v.get("name")) for v in specs if v.get("served") and not v.get("deprecated")}
        storage = next((str(v.get("name")) for v in specs if v.get("storage")), "")
        stale = tuple(v for v in versions if v not in current)
        if stale:
            out.append(CrdStorage(name, versions, storage, stale))
    return out
