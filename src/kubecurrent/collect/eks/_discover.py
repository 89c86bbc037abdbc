"""Finding an account's EKS clusters: regions asked in turn, each cluster described once for
its labels. A region that fails (no permission, throttled) is reported and the others go on."""

from __future__ import annotations

from kubecurrent.collect.clouds import CloudRef, Discovery
from kubecurrent.collect.eks._aws import EksError, EksRef, check_region, eks_regions
from kubecurrent.collect.eks._read import list_clusters
from kubecurrent.errors import UsageError

__all__ = ["Discovery", "discover", "regions_of"]


def regions_of(regions: str | None, all_regions: bool, default: str | None) -> tuple[str, ...]:
    """The regions to list: ``--regions R,…``, ``--all-regions``, or the profile's region."""
    if regions and all_regions:
        raise UsageError("--regions and --all-regions exclude each other", hint="give one")
    if all_regions:
        return eks_regions()
    chosen = [r.strip() for r in (regions or "").split(",") if r.strip()]
    if not chosen and default:
        chosen = [default]
    if not chosen:
        raise UsageError(
            "no AWS region to look for EKS clusters in",
            hint="pass --regions R,… or --all-regions, or set AWS_REGION / the profile's region",
        )
    return tuple(check_region(r) for r in chosen)


def discover(regions: tuple[str, ...], profile: str | None) -> Discovery:
    """The EKS clusters of the account in ``regions``."""
    found: list[CloudRef] = []
    failed: list[tuple[str, str]] = []
    for region in regions:
        try:
            names = list_clusters(region, profile)
        except EksError as exc:
            failed.append((region, exc.message + (f" ({exc.hint})" if exc.hint else "")))
            continue
        found += [EksRef(region, n, profile) for n in names]
    return Discovery(tuple(found), tuple(failed))
