"""The upstream binaries a sandbox runs, and how each is built from the Go module proxy.

Each entry names an in-repo Go wrapper module (``gomod/<key>/go.mod`` + ``go.sum``, generated
by ``scripts/gen_gomod.py``), the upstream module and version it pins, and the binaries built
from it with their version stamps. Binaries land in a per-version cache directory outside the
repository (see ``_paths.bin_dir``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubecurrent.errors import UsageError
from kubecurrent.model import KubeVersion, MinorVersion

_ZERO_COMMIT = "0" * 40


@dataclass(frozen=True)
class GoBinary:
    """One binary: its name and the Go package path of its ``main``."""

    name: str
    package: str


@dataclass(frozen=True)
class Component:
    """A wrapper module pinning one upstream module version, and the binaries built from it."""

    key: str  # directory under gomod/, e.g. "kubernetes-1.36"
    family: str  # cache family, e.g. "kubernetes"
    module: str  # upstream module path
    version: str  # upstream version, e.g. "v1.36.3"
    binaries: tuple[GoBinary, ...]
    stamps: tuple[str, ...] = field(default=())  # -X package.var=value link flags
    tags: tuple[str, ...] = field(default=())  # go build -tags
    cgo: bool = False  # built with CGO_ENABLED=1 (needs a C compiler)

    @property
    def ldflags(self) -> str:
        return " ".join(["-s", "-w", *(f"-X {s}" for s in self.stamps)])


def _kubernetes(version: str) -> Component:
    major, minor, _ = version.removeprefix("v").split(".")
    stamps: list[str] = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        stamps += [
            f"{pkg}.gitVersion={version}",
            f"{pkg}.gitMajor={major}",
            f"{pkg}.gitMinor={minor}",
            f"{pkg}.gitCommit={_ZERO_COMMIT}",
            f"{pkg}.gitTreeState=clean",
            f"{pkg}.buildDate=1970-01-01T00:00:00Z",
        ]
    return Component(
        key=f"kubernetes-{major}.{minor}",
        family="kubernetes",
        module="k8s.io/kubernetes",
        version=version,
        binaries=tuple(
            GoBinary(name, f"k8s.io/kubernetes/cmd/{name}")
            for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
        ),
        stamps=tuple(stamps),
    )


# The Kubernetes releases a sandbox can run: one wrapper module per minor, at its newest patch
# that the Go module proxy serves.
KUBERNETES = {
    c.key.removeprefix("kubernetes-"): c
    for c in map(
        _kubernetes,
        ("v1.31.13", "v1.32.9", "v1.33.13", "v1.34.4", "v1.35.4", "v1.36.3", "v1.37.2"),
    )
}
# What `sandbox build` builds unless told otherwise: what the demo and the tests run.
DEFAULT_BUILD = ("1.31", "1.35", "1.36", "1.37")

ETCD = Component(
    key="etcd",
    family="etcd",
    module="go.etcd.io/etcd/server/v3",
    version="v3.6.16",
    # The server module's root package is etcd's main; its version is a compiled-in constant.
    binaries=(GoBinary("etcd", "go.etcd.io/etcd/server/v3"),),
)

KWOK = Component(
    key="kwok",
    family="kwok",
    module="sigs.k8s.io/kwok",
    version="v0.8.0",
    binaries=(GoBinary("kwok", "sigs.k8s.io/kwok/cmd/kwok"),),
    stamps=("sigs.k8s.io/kwok/pkg/consts.Version=0.8.0",),
)

HELM = Component(
    key="helm",
    family="helm",
    module="helm.sh/helm/v3",
    version="v3.22.0",
    binaries=(GoBinary("helm", "helm.sh/helm/v3/cmd/helm"),),
    stamps=(
        "helm.sh/helm/v3/internal/version.version=v3.22.0",
        f"helm.sh/helm/v3/internal/version.gitCommit={_ZERO_COMMIT}",
        "helm.sh/helm/v3/internal/version.gitTreeState=clean",
        # helm's default capabilities follow the client-go it is built with (v0.37.0).
        "helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1",
        "helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37",
        "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1",
        "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37",
    ),
)

KUSTOMIZE = Component(
    key="kustomize",
    family="kustomize",
    module="sigs.k8s.io/kustomize/kustomize/v5",
    version="v5.8.2",
    binaries=(GoBinary("kustomize", "sigs.k8s.io/kustomize/kustomize/v5"),),
    stamps=("sigs.k8s.io/kustomize/api/provenance.version=kustomize/v5.8.2",),
)

TOOLS = (ETCD, KWOK, HELM, KUSTOMIZE)

# Prometheus 3.16.0 (its Go module numbers 3.x releases v0.3xx.y), for the PromQL health gate's
# tests. Built on demand (``sandbox build --prometheus``, or by the tests that need it), not by
# default. ``remove_all_sd`` leaves only the file, HTTP and static service discovery (the cloud
# SDs pull in most of the dependency tree); without ``builtinassets`` the web UI is not embedded,
# and the HTTP API (``/api/v1``) is served all the same.
PROMETHEUS = Component(
    key="prometheus",
    family="prometheus",
    module="github.com/prometheus/prometheus",
    version="v0.316.0",
    binaries=(GoBinary("prometheus", "github.com/prometheus/prometheus/cmd/prometheus"),),
    stamps=(
        "github.com/prometheus/common/version.Version=3.16.0",
        f"github.com/prometheus/common/version.Revision={_ZERO_COMMIT}",
        "github.com/prometheus/common/version.Branch=HEAD",
        "github.com/prometheus/common/version.BuildUser=kubecurrent",
        "github.com/prometheus/common/version.BuildDate=19700101-00:00:00",
    ),
    tags=("netgo", "remove_all_sd"),
)
# Ory Hydra 2.3.0, the OpenID Connect provider the dashboard's single sign-on tests start
# (``serve all --dev`` with an in-memory database). Its in-memory database is SQLite through
# mattn/go-sqlite3, so this is the one component built with cgo (the ``sqlite`` tag as upstream's
# Makefile builds it). Built on demand (``sandbox build --with hydra``, or by those tests).
HYDRA = Component(
    key="hydra",
    family="hydra",
    module="github.com/ory/hydra/v2",
    version="v2.3.0",
    binaries=(GoBinary("hydra", "github.com/ory/hydra/v2"),),
    stamps=(
        "github.com/ory/hydra/v2/driver/config.Version=v2.3.0",
        f"github.com/ory/hydra/v2/driver/config.Commit={_ZERO_COMMIT}",
        "github.com/ory/hydra/v2/driver/config.Date=1970-01-01T00:00:00Z",
    ),
    tags=("sqlite", "sqlite_omit_load_extension"),
    cgo=True,
)
ON_DEMAND = (PROMETHEUS, HYDRA)
"""Components built only when asked for (not by a plain ``sandbox build``)."""


def kubernetes(version: str | MinorVersion) -> Component:
    """The component that builds Kubernetes ``version`` (a minor such as ``1.36``)."""
    key = str(version if isinstance(version, MinorVersion) else MinorVersion.parse(version))
    try:
        return KUBERNETES[key]
    except KeyError:
        known = ", ".join(sorted(KUBERNETES))
        raise UsageError(
            f"Kubernetes {key} is not one of the versions a sandbox can build ({known})",
            hint="choose one of those with --version",
        ) from None


def offered_patches() -> dict[MinorVersion, KubeVersion]:
    """The Kubernetes release a sandbox runs for each minor it can build."""
    return {MinorVersion.parse(k): KubeVersion.parse(c.version) for k, c in KUBERNETES.items()}


def release_of(version: str | MinorVersion) -> str:
    """The exact release a sandbox runs for minor ``version``, e.g. ``v1.36.3`` for ``1.36``."""
    return kubernetes(version).version


def all_components(
    versions: list[str] | None = None, extra: tuple[str, ...] = ()
) -> list[Component]:
    """The components ``sandbox build`` builds: the tools, the requested Kubernetes minors and
    the ``extra`` on-demand components named (e.g. ``prometheus``)."""
    kube = [kubernetes(v) for v in (versions or DEFAULT_BUILD)]
    on_demand = {c.key: c for c in ON_DEMAND}
    unknown = [name for name in extra if name not in on_demand]
    if unknown:
        raise UsageError(
            f"no on-demand component named {', '.join(unknown)}",
            hint=f"choose from {', '.join(sorted(on_demand))}",
        )
    return [*TOOLS, *kube, *(on_demand[name] for name in extra)]


@dataclass(frozen=True)
class CrdBundle:
    """Custom resource definitions taken from an upstream Go module's zip on the module proxy.

    ``h1`` is the module's Go checksum (what ``go.sum`` records), checked over the whole zip
    before any file is used; ``files`` are paths inside the module.
    """

    key: str  # cache directory, e.g. "cluster-api"
    module: str
    version: str
    h1: str
    files: tuple[str, ...]
    source: str  # where the zip comes from (any GOPROXY serves the same bytes)


# Cluster API's CRDs, for the Cluster API provider's tests. The controllers cannot run here, so
# only the CRDs are installed (see ``kubecurrent.sandbox._capi``). ``h1`` is the Sum that
# `go mod download -json sigs.k8s.io/cluster-api@v1.14.2` reports. MachinePool is in the core
# group (cluster.x-k8s.io; v1beta2 is its storage version in v1.14.2, v1beta1 still served).
CLUSTER_API = CrdBundle(
    key="cluster-api",
    module="sigs.k8s.io/cluster-api",
    version="v1.14.2",
    h1="h1:o3GFNaeNFAOEEMpDPfhCK+2CjmV6gtQ8yLEcUwCg7bA=",
    files=(
        "core/config/crd/bases/cluster.x-k8s.io_clusterclasses.yaml",
        "core/config/crd/bases/cluster.x-k8s.io_clusters.yaml",
        "core/config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml",
        "core/config/crd/bases/cluster.x-k8s.io_machinepools.yaml",
        "core/config/crd/bases/cluster.x-k8s.io_machinesets.yaml",
        "core/config/crd/bases/cluster.x-k8s.io_machines.yaml",
        "controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
    ),
    source="https://proxy.golang.org/sigs.k8s.io/cluster-api/@v/v1.14.2.zip",
)
