"""Add-ons at the target: a release that supports it (and which to move to), retired ones."""

from __future__ import annotations

from kubecurrent.analyze.cluster._base import cluster_finding
from kubecurrent.catalog import Addon, AddonRelease, Catalog, DottedVersion
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Category, Finding, Status
from kubecurrent.model.inventory import ClusterInventory, InstalledAddon


def release_line(addon: Addon, version: DottedVersion) -> AddonRelease | None:
    """The catalog release line ``version`` belongs to (its parts start with the line's)."""
    lines = [r for r in addon.releases if version.parts[: len(r.version.parts)] == r.version.parts]
    return lines[-1] if lines else None


def supports(release: AddonRelease, target: MinorVersion) -> bool:
    return release.kubernetes_min <= target <= release.kubernetes_max


def check_addons(inv: ClusterInventory, catalog: Catalog, target: MinorVersion) -> list[Finding]:
    out: list[Finding] = []
    for installed in inv.addons:
        addon = catalog.addon(installed.name)
        if addon is None:
            continue
        if addon.status != "active":
            out.append(_retired(inv, addon, installed))
        hit = _support(inv, addon, installed, target)
        if hit is not None:
            out.append(hit)
    return out


def _support(
    inv: ClusterInventory, addon: Addon, installed: InstalledAddon, target: MinorVersion
) -> Finding | None:
    try:
        version = DottedVersion.parse(installed.version)
    except ValueError:
        return None
    line = release_line(addon, version)
    if line is None or supports(line, target):
        return None
    newer = [r for r in addon.releases if not r.version < line.version and supports(r, target)]
    move_to = str(newer[0].latest_patch or newer[0].version) if newer else None
    remedy = (
        f"upgrade {addon.name} to {move_to} (supports Kubernetes "
        f"{newer[0].kubernetes_min}–{newer[0].kubernetes_max}) before the control plane"
        if newer
        else f"no {addon.name} release in the catalog supports {target}: "
        f"{addon.replacement or 'wait for one or replace the add-on'}"
    )
    return cluster_finding(
        inv,
        "KC-ADDON-UNSUPPORTED",
        Status.REMOVED,
        f"{addon.display_name} {installed.version} supports Kubernetes {line.kubernetes_min}–"
        f"{line.kubernetes_max}, not {target}",
        category=Category.ADDON,
        kind="Addon",
        name=addon.name,
        replacement=move_to,
        fix_by=str(target),
        remediation=remedy,
    )


def _retired(inv: ClusterInventory, addon: Addon, installed: InstalledAddon) -> Finding:
    return cluster_finding(
        inv,
        "KC-ADDON-RETIRED",
        Status.DEPRECATED,
        f"{addon.display_name} {installed.version} is {addon.status} since {addon.status_since}",
        category=Category.ADDON,
        kind="Addon",
        name=addon.name,
        replacement=", ".join(addon.replacement_addons) or None,
        remediation=addon.replacement or "move to a maintained replacement",
    )
