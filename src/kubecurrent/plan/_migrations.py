"""Migrations: objects in Kubernetes APIs removed along the path, and CRD stored versions that
an add-on upgrade would stop serving.

API migrations run pre-flight when the replacement API is already served by the current control
plane; otherwise right before the hop that removes the old API.
"""

from __future__ import annotations

from kubecurrent.catalog import Addon, ApiDeprecation, DottedVersion
from kubecurrent.model.inventory import ApiUse
from kubecurrent.plan._rules import key
from kubecurrent.plan._work import Work


def _due(work: Work) -> list[tuple[ApiUse, ApiDeprecation]]:
    """API usage the path must migrate: removed after the current minor, by the target."""
    found = []
    for use in work.inventory.api_usage:
        dep = work.rules.deprecation(use.api_version, use.kind)
        if dep is None or dep.removed_in is None:
            continue
        if work.minor < key(dep.removed_in) <= work.target_minor:
            found.append((use, dep))
    return found


def _ready_now(work: Work, dep: ApiDeprecation) -> bool:
    available = dep.replacement_available_in
    return available is None or key(available) <= work.minor


def api_migrations_preflight(work: Work) -> None:
    for use, dep in _due(work):
        if _ready_now(work, dep):
            _emit_api(work, use, dep)


def api_migrations_before_hop(work: Work, m: int) -> None:
    """Migrations that had to wait until the replacement API was served."""
    start = key(work.inventory.control_plane.minor_version)
    for use, dep in _due(work):
        assert dep.removed_in is not None
        waited = dep.replacement_available_in is not None and start < key(
            dep.replacement_available_in
        )
        if waited and key(dep.removed_in) == m:
            _emit_api(work, use, dep)


def _emit_api(work: Work, use: ApiUse, dep: ApiDeprecation) -> None:
    objects = f"{use.count} {use.kind} object{'s' if use.count != 1 else ''}"
    if dep.replacement is None:
        to, how = None, f"there is no replacement: {dep.note}"
    else:
        kind = f" {dep.replacement_kind}" if dep.replacement_kind else ""
        to, how = dep.replacement, f"rewrite them as {dep.replacement}{kind}"
    notes = f" ({'; '.join(dep.migration)})" if dep.migration else ""
    work.emit(
        "migration",
        use.kind,
        use.api_version,
        to,
        f"{objects} use {use.api_version}, which Kubernetes {dep.removed_in} no longer serves; "
        f"{how}{notes}",
        f"from {dep.removed_in} on the API server rejects {use.api_version} {use.kind}: manifests, "
        "charts and clients still using it fail to apply or read",
    )


def crd_migrations(work: Work, addon: Addon, old: DottedVersion, new: DottedVersion) -> None:
    """Before moving ``addon`` from ``old`` to ``new``: rewrite objects stored in CRD versions
    that ``new`` no longer serves, and drop those versions from ``status.storedVersions``."""
    if not work.inventory.crds:
        return
    for api in addon.apis:
        if api.removed_in is None or not old < api.removed_in <= new:
            continue
        for crd in work.inventory.crds:
            stored = work.stored.get(crd.name, ())
            if crd.group != api.group or crd.kind not in api.kinds or api.version not in stored:
                continue
            work.stored[crd.name] = tuple(v for v in stored if v != api.version)
            work.emit(
                "migration",
                crd.name,
                f"{api.group}/{api.version}",
                api.replacement,
                f"{crd.name} still stores objects as {api.version} (status.storedVersions); "
                f"{addon.name} {api.removed_in} stops serving it: re-write every object in a "
                f"served version, then remove {api.version} from status.storedVersions",
                f"the {addon.name} {new} CRDs cannot drop {api.version} while objects are stored "
                "in it: the upgrade fails or leaves those objects unreadable",
            )
