"""How the planner may move a cluster (the policy) and which version it moves it to (the target)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubecurrent.catalog import Catalog
from kubecurrent.errors import UsageError
from kubecurrent.model import KubeVersion

NodeStrategy = Literal["minimal", "lockstep"]
TARGET_KEYWORDS = ("latest", "latest-supported")


class PlanPolicy(BaseModel):
    """The choices a platform team makes once for its fleet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_strategy: NodeStrategy = "minimal"
    """``minimal`` (default): roll a node pool only when the next control-plane hop would put its
    kubelet outside the skew policy, and once at the end. ``lockstep``: roll every pool after
    every hop."""
    blue_green_after: int = Field(default=4, ge=1)
    """Price the blue/green alternative for clusters more than this many minors behind (4)."""
    replace: tuple[tuple[str, str], ...] = ()
    """``(old, new)`` add-on pairs: when ``old`` has no release for the next hop, install ``new``
    in its place (default: none, the plan is blocked instead)."""
    remove: frozenset[str] = frozenset()
    """Add-ons to remove when they have no release for the next hop (default: none)."""

    def replacement_for(self, addon: str) -> str | None:
        return next((new for old, new in self.replace if old == addon), None)


def resolve_target(catalog: Catalog, text: str, today: dt.date) -> KubeVersion:
    """``X.Y`` (its latest patch), ``X.Y.Z``, ``latest`` or ``latest-supported`` on ``today``."""
    if text == "latest":
        return catalog.newest_release().latest_patch
    if text == "latest-supported":
        supported = catalog.supported_releases(today)
        if not supported:
            raise UsageError(
                f"no Kubernetes release in the catalog is supported on {today}",
                hint="refresh the catalog with `kubecurrent catalog update`, or pass --target X.Y",
            )
        return max(supported, key=lambda r: r.version).latest_patch
    version = KubeVersion.parse(text)
    release = catalog.release(version.minor_version)
    if release is None:
        known = ", ".join(str(r.version) for r in catalog.releases)
        raise UsageError(
            f"the catalog does not know Kubernetes {version.minor_version}",
            hint=f"pick one of {known}, latest or latest-supported",
        )
    has_patch = text.strip().removeprefix("v").count(".") >= 2
    return version if has_patch else release.latest_patch
