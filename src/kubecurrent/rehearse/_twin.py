"""The twin: a sandbox control plane that holds a copy of the cluster, hop by hop.

It starts at the cluster's minor (or the oldest the sandbox builds, see ``start_minor``), with
the cluster's extra API versions turned on, and moves one minor at a time through the real
upgrade path (``sandbox.upgrade``). ``Twin`` is a context manager: however the rehearsal ends
(an error, Ctrl-C, SIGTERM), the sandbox is stopped and its directory removed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import TracebackType

from kubecurrent import sandbox
from kubecurrent.collect.cluster import ClusterTarget, connection
from kubecurrent.errors import UsageError
from kubecurrent.model import MinorVersion
from kubecurrent.rehearse._kube import Kube

__all__ = ["Twin", "buildable", "check_binaries", "start_minor"]

_GROUP_VERSION = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?/v\d+(alpha|beta)\d+$")


def buildable() -> list[MinorVersion]:
    """The minors a sandbox can build, oldest first."""
    return sorted(sandbox.offered_patches())


def start_minor(cluster: MinorVersion) -> tuple[MinorVersion, str]:
    """Where the rehearsal starts, and a sentence saying why."""
    known = buildable()
    if cluster in known:
        return cluster, f"starts at the cluster's own minor, {cluster}"
    if cluster < known[0]:
        return known[0], (
            f"the sandbox cannot build {cluster} (it builds {known[0]} to {known[-1]}): the "
            f"rehearsal starts at {known[0]}, so refusals of the hops before it show up as "
            "objects refused at load"
        )
    raise UsageError(
        f"the cluster runs {cluster}, which the sandbox cannot build ({known[0]} to {known[-1]})",
        hint="rehearse with a kubecurrent release that knows this Kubernetes version",
    )


def check_binaries(minors: list[MinorVersion]) -> None:
    """Fail before anything starts when a hop's binaries are not built yet."""
    for minor in minors:
        for binary in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            sandbox.kube_binary(str(minor), binary)


def runtime_config(group_versions: set[str], builtin_groups: set[str]) -> tuple[str, ...]:
    """The cluster's prerelease API versions of built-in groups (turned on there by
    ``--runtime-config``), to turn on in the twin too; anything not shaped like a group
    version is ignored (the list comes from the cluster)."""
    return tuple(
        sorted(
            gv
            for gv in group_versions
            if _GROUP_VERSION.match(gv) and gv.rpartition("/")[0] in builtin_groups
        )
    )


class Twin:
    def __init__(self, name: str, minor: MinorVersion, extra_apis: tuple[str, ...]) -> None:
        self.name = name
        self.minor = minor
        self._extra = extra_apis
        self._kube: Kube | None = None
        self._up = False

    def __enter__(self) -> Twin:
        options = sandbox.UpOptions(
            name=self.name, version=str(self.minor), pools=(), runtime_config=self._extra
        )
        self._up = True  # `up` removes what it started if it fails; `down` below is for later
        try:
            sandbox.up(options)
        except BaseException:
            self._up = False
            raise
        kubeconfig = sandbox.run_dir(self.name) / "kubeconfig"
        self._kube = Kube(
            connection(ClusterTarget(name=self.name, kubeconfig=Path(kubeconfig))),
            f"twin {self.name}",
        )
        return self

    @property
    def kube(self) -> Kube:
        assert self._kube is not None, "the twin is not running"
        return self._kube

    @property
    def version(self) -> str:
        return str(self.kube.json("/version").get("gitVersion", ""))

    def upgrade(self) -> None:
        """The next minor, through the sandbox's real upgrade path."""
        self.minor = self.minor.offset(1)
        sandbox.upgrade(self.name, str(self.minor))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._kube is not None:
            self._kube.close()
        if self._up:
            sandbox.down(self.name)


def twin_name() -> str:
    return f"rehearse-{os.getpid()}"
