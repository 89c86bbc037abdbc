"""The managed clouds behind one seam: where a cloud cluster is (``CloudRef``), and one registry
that reaches, describes and discovers clusters of any cloud, dispatching on ``ref.provider``.

The rest of kubecurrent never names a cloud: it holds a ``CloudRef`` (``EksRef``, ``GkeRef`` or
``AksRef``) and asks this module. Each cloud lives in its own package, ``collect/<provider>``,
whose ``__init__`` exports ``CLOUD``, an object implementing ``Cloud``; the package (and its SDK,
imported lazily inside it) is only loaded when a cluster of that cloud is met. See
docs/clouds.md for the whole seam (collect, plan, execute, catalog, CLI, fleet files).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias, cast

from kubecurrent.errors import UsageError
from kubecurrent.model.clouds import PROVIDERS, Provider

if TYPE_CHECKING:
    from kubecurrent.collect.cluster import Connection
    from kubecurrent.model.clouds import ManagedCluster

__all__ = [
    "PROVIDERS",
    "AksRef",
    "AksSelector",
    "Cloud",
    "CloudFacts",
    "CloudRef",
    "CloudSelector",
    "Discovery",
    "EksRef",
    "EksSelector",
    "GkeRef",
    "GkeSelector",
    "Provider",
    "cloud_of",
    "connection",
    "describe",
    "discover",
    "endpoint_of",
    "exec_kubeconfig",
    "ref_from_json",
    "ref_json",
    "server_config",
    "title_of",
]

_TITLES: Mapping[str, str] = {"eks": "EKS", "gke": "GKE", "aks": "AKS"}


def title_of(provider: str) -> str:
    """``EKS``/``GKE``/``AKS`` for messages (the provider itself when unknown)."""
    return _TITLES.get(provider, provider)


@dataclass(frozen=True)
class EksRef:
    """Where an EKS cluster is: its name, region and the AWS profile to reach it with."""

    provider: ClassVar[Provider] = "eks"
    region: str
    name: str
    profile: str | None = None

    def __str__(self) -> str:
        return f"EKS cluster {self.name} ({self.region})"

    @property
    def place(self) -> str:
        """What tells two clusters of the same name apart (the region)."""
        return self.region

    def to_json(self) -> dict[str, Any]:
        return {"eks": {"region": self.region, "name": self.name, "profile": self.profile}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EksRef:
        return cls(str(data["region"]), str(data["name"]), data.get("profile"))


@dataclass(frozen=True)
class GkeRef:
    """Where a GKE cluster is: project, location (region or zone) and name."""

    provider: ClassVar[Provider] = "gke"
    project: str
    location: str
    name: str

    def __str__(self) -> str:
        return f"GKE cluster {self.path}"

    @property
    def path(self) -> str:
        """The cluster's resource name: ``projects/P/locations/L/clusters/N``."""
        return f"projects/{self.project}/locations/{self.location}/clusters/{self.name}"

    @property
    def place(self) -> str:
        return self.location

    def to_json(self) -> dict[str, Any]:
        return {"gke": {"project": self.project, "location": self.location, "name": self.name}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GkeRef:
        return cls(str(data["project"]), str(data["location"]), str(data["name"]))


@dataclass(frozen=True)
class AksRef:
    """Where an AKS cluster is: subscription, resource group and name."""

    provider: ClassVar[Provider] = "aks"
    subscription: str
    resource_group: str
    name: str

    def __str__(self) -> str:
        return (
            f"AKS cluster {self.name} (subscription {self.subscription}, "
            f"resource group {self.resource_group})"
        )

    @property
    def place(self) -> str:
        return self.resource_group

    def to_json(self) -> dict[str, Any]:
        return {
            "aks": {
                "subscription": self.subscription,
                "resourceGroup": self.resource_group,
                "name": self.name,
            }
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AksRef:
        return cls(str(data["subscription"]), str(data["resourceGroup"]), str(data["name"]))


CloudRef: TypeAlias = EksRef | GkeRef | AksRef
_REFS: Mapping[str, type[EksRef] | type[GkeRef] | type[AksRef]] = {
    "eks": EksRef,
    "gke": GkeRef,
    "aks": AksRef,
}


def ref_json(ref: CloudRef | None) -> dict[str, Any]:
    """``{"gke": {...}}`` for a ref (``{}`` for None), as rollout records store it."""
    return {} if ref is None else ref.to_json()


def ref_from_json(data: Mapping[str, Any]) -> CloudRef | None:
    """The ref a record holds under its provider's key (``eks``/``gke``/``aks``), or None."""
    for provider, cls in _REFS.items():
        found = data.get(provider)
        if found:
            return cls.from_json(found)
    return None


@dataclass(frozen=True)
class EksSelector:
    """Which EKS clusters to discover: regions (or every region) and the AWS profile."""

    provider: ClassVar[Provider] = "eks"
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    profile: str | None = None
    profile_region: bool = True
    """Without regions, use the profile's region (the command line); fleet files name them."""


@dataclass(frozen=True)
class GkeSelector:
    """Which GKE clusters to discover: every location of these projects."""

    provider: ClassVar[Provider] = "gke"
    projects: tuple[str, ...] = ()


@dataclass(frozen=True)
class AksSelector:
    """Which AKS clusters to discover: every resource group of these subscriptions."""

    provider: ClassVar[Provider] = "aks"
    subscriptions: tuple[str, ...] = ()


CloudSelector: TypeAlias = EksSelector | GkeSelector | AksSelector


@dataclass(frozen=True)
class Discovery:
    """The clusters found, and ``(scope, reason)`` for each region/project/subscription that
    could not be listed (the others went on)."""

    clusters: tuple[CloudRef, ...] = ()
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CloudFacts:
    """One cluster as its cloud describes it, where its API server is, what could not be read."""

    managed: ManagedCluster
    endpoint: str
    ca_data: str
    """The cluster CA, base64-encoded PEM."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """The labels the cloud gives the cluster (``provider``, region/location, ...)."""
    limitations: tuple[tuple[str, str], ...] = ()
    """``(check, reason)`` for each optional fact the cloud refused."""


class Cloud(Protocol):
    """What each cloud package exports as ``CLOUD``."""

    def describe(self, ref: CloudRef) -> CloudFacts:
        """Everything the cloud knows about ``ref``; raises a ClusterError naming it."""
        ...

    def endpoint(self, ref: CloudRef) -> tuple[str, str]:
        """The API server URL and base64 CA of ``ref`` (the cheapest call that gives them)."""
        ...

    def token(self, ref: CloudRef) -> Any:
        """A callable returning a bearer token for ``ref``'s API server, renewed as needed."""
        ...

    def discover(self, selector: CloudSelector) -> Discovery:
        """The clusters ``selector`` names; a scope that fails is in ``failed``."""
        ...

    def exec_user(self, ref: CloudRef) -> dict[str, Any]:
        """The kubeconfig ``user`` of ``ref`` for people: the cloud's exec credential plugin."""
        ...


def cloud_of(provider: str) -> Cloud:
    """The ``Cloud`` of ``provider`` (its package imported now)."""
    if provider not in _TITLES:
        raise UsageError(f"unknown cloud provider {provider!r}", hint="use eks, gke or aks")
    try:
        module = importlib.import_module(f"kubecurrent.collect.{provider}")
    except ModuleNotFoundError as exc:
        raise UsageError(
            f"{title_of(provider)} clusters are not supported by this build ({exc})",
            hint="install kubecurrent with its cloud SDKs, or remove these clusters",
        ) from None
    return cast(Cloud, module.CLOUD)


def describe(ref: CloudRef) -> CloudFacts:
    return cloud_of(ref.provider).describe(ref)


def endpoint_of(ref: CloudRef) -> tuple[str, str]:
    return cloud_of(ref.provider).endpoint(ref)


def exec_kubeconfig(clusters: Sequence[tuple[str, CloudRef, str, str]]) -> dict[str, Any]:
    """A kubeconfig with one context per cloud cluster, whose user runs the cloud's exec plugin
    (``aws eks get-token``, ``gke-gcloud-auth-plugin``, ``kubelogin get-token``).

    ``clusters`` holds ``(context name, ref, server, CA data)``; the first is the current one.
    """
    entries: dict[str, list[dict[str, Any]]] = {"clusters": [], "users": [], "contexts": []}
    for context, ref, server, ca in clusters:
        cluster = {"server": server, "certificate-authority-data": ca}
        entries["clusters"].append({"name": context, "cluster": cluster})
        entries["users"].append({"name": context, "user": cloud_of(ref.provider).exec_user(ref)})
        entries["contexts"].append(
            {"name": context, "context": {"cluster": context, "user": context}}
        )
    current = clusters[0][0] if clusters else ""
    return {"apiVersion": "v1", "kind": "Config", "current-context": current, **entries}


def connection(ref: CloudRef, facts: CloudFacts | None = None) -> Connection:
    """The connection to ``ref``'s API server: endpoint and CA from the cloud (``facts`` when
    already read), and the cloud's bearer token on every request."""
    from kubecurrent.collect.cluster import Connection

    cloud = cloud_of(ref.provider)
    endpoint, ca = (facts.endpoint, facts.ca_data) if facts else cloud.endpoint(ref)
    return Connection(server_config(ref.name, endpoint, ca), cloud.token(ref))


def server_config(name: str, endpoint: str, ca_data: str) -> Any:
    """A lightkube ``SingleConfig`` of one API server: its endpoint and CA, no user credentials
    (a managed cloud's bearer token is added to every request by the connection)."""
    from lightkube import KubeConfig

    return KubeConfig.from_dict(
        {
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": name, "user": {}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
    ).get()


def discover(selector: CloudSelector) -> Discovery:
    return cloud_of(selector.provider).discover(selector)
