"""Amazon EKS behind the clouds seam (``kubecurrent.collect.clouds.Cloud``)."""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.clouds import (
    CloudFacts,
    CloudRef,
    CloudSelector,
    Discovery,
    EksRef,
    EksSelector,
)

__all__ = ["CLOUD", "EksCloud", "eks_labels"]


def eks_labels(facts: Any) -> dict[str, str]:
    """The labels EKS gives a cluster: provider, region, account, platform version, support."""
    c = facts.cluster
    return {
        "provider": "eks",
        "region": c.region,
        "account": c.account,
        "platform-version": c.platform_version,
        "support-type": str(c.support_type),
    }


def _eks(ref: CloudRef) -> EksRef:
    if not isinstance(ref, EksRef):  # pragma: no cover - the registry dispatches on provider
        raise TypeError(f"{ref} is not an EKS cluster")
    return ref


class EksCloud:
    """``Cloud`` for Amazon EKS (see the package docstring for the calls)."""

    def describe(self, ref: CloudRef) -> CloudFacts:
        from kubecurrent.collect.eks._read import describe_cluster

        facts = describe_cluster(_eks(ref))
        return CloudFacts(
            managed=facts.cluster,
            endpoint=facts.endpoint,
            ca_data=facts.ca_data,
            labels=eks_labels(facts),
            limitations=facts.limitations,
        )

    def endpoint(self, ref: CloudRef) -> tuple[str, str]:
        from kubecurrent.collect.eks._read import endpoint_of

        return endpoint_of(_eks(ref))

    def token(self, ref: CloudRef) -> Any:
        from kubecurrent.collect.eks._token import EksToken

        return EksToken(_eks(ref))

    def exec_user(self, ref: CloudRef) -> dict[str, Any]:
        from kubecurrent.collect.eks._connect import exec_user

        return exec_user(_eks(ref))

    def discover(self, selector: CloudSelector) -> Discovery:
        from kubecurrent.collect.eks._aws import default_region
        from kubecurrent.collect.eks._discover import discover, regions_of

        if not isinstance(selector, EksSelector):  # pragma: no cover - dispatched on provider
            raise TypeError("not an EKS selector")
        use = selector.profile_region and not selector.regions
        default = default_region(selector.profile) if use else None
        regions = regions_of(",".join(selector.regions), selector.all_regions, default)
        return discover(regions, selector.profile)


CLOUD = EksCloud()
