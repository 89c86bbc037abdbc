"""Google GKE behind the clouds seam (``kubecurrent.collect.clouds.Cloud``)."""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.clouds import (
    CloudFacts,
    CloudRef,
    CloudSelector,
    Discovery,
    GkeRef,
    GkeSelector,
)

__all__ = ["CLOUD", "GkeCloud"]


def _gke(ref: CloudRef) -> GkeRef:
    if not isinstance(ref, GkeRef):  # pragma: no cover - the registry dispatches on provider
        raise TypeError(f"{ref} is not a GKE cluster")
    return ref


class GkeCloud:
    """``Cloud`` for Google GKE (see the package docstring for the calls)."""

    def describe(self, ref: CloudRef) -> CloudFacts:
        from kubecurrent.collect.gke._read import describe_cluster

        return describe_cluster(_gke(ref))

    def endpoint(self, ref: CloudRef) -> tuple[str, str]:
        from kubecurrent.collect.gke._read import endpoint_of

        return endpoint_of(_gke(ref))

    def token(self, ref: CloudRef) -> Any:
        from kubecurrent.collect.gke._token import GkeToken

        return GkeToken(_gke(ref))

    def exec_user(self, ref: CloudRef) -> dict[str, Any]:
        from kubecurrent.collect.gke._connect import exec_user

        return exec_user(_gke(ref))

    def discover(self, selector: CloudSelector) -> Discovery:
        from kubecurrent.collect.gke._discover import discover

        if not isinstance(selector, GkeSelector):  # pragma: no cover - dispatched on provider
            raise TypeError("not a GKE selector")
        return discover(selector.projects)


CLOUD = GkeCloud()
