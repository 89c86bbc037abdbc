"""A sandbox's run directory and its recorded state (``state.json``), written atomically.

Layout of ``<sandbox home>/<name>/``::

    state.json          what runs: version, ports, node pools, supervised processes
    lock                held while a command changes the sandbox
    pki/                CA, serving and component certificates, service-account key
    etcd/               etcd's data directory
    logs/<component>.log
    kubeconfig          admin kubeconfig (system:masters)
    users/<user>.kubeconfig
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kubecurrent.errors import SandboxStateError, UsageError
from kubecurrent.sandbox._paths import sandbox_home
from kubecurrent.sandbox._process import ProcessRecord, alive

_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


class NodePool(BaseModel):
    """A group of simulated nodes sharing a kubelet version."""

    model_config = ConfigDict(frozen=True)

    name: str
    count: int
    kubelet_version: str  # e.g. "v1.34.2"


class SandboxState(BaseModel):
    """Everything needed to find, check, upgrade and stop a sandbox."""

    name: str
    version: str  # Kubernetes version of the control plane, e.g. "v1.36.3"
    fleet: str | None = None
    created: dt.datetime
    ports: dict[str, int]
    pools: list[NodePool]
    processes: dict[str, ProcessRecord] = Field(default_factory=dict)
    events: list[str] = Field(default_factory=list)
    token_webhook_config: Path | None = None
    """Opt-in: a webhook token authenticator's kubeconfig-format config file, passed to every
    kube-apiserver this sandbox starts (``up``, ``upgrade``, recovery); None: not used."""
    runtime_config: list[str] = Field(default_factory=list)
    """API group versions turned on beyond the defaults (``storage.k8s.io/v1beta1``), passed as
    ``--runtime-config`` to every kube-apiserver this sandbox starts. A version that a later
    release no longer serves is simply not served there: the API server decides, as it would
    on a real cluster started with the same flag."""

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    def liveness(self) -> dict[str, bool]:
        return {name: alive(rec) for name, rec in self.processes.items()}

    def phase(self) -> str:
        """``running`` (all alive), ``stale`` (none alive) or ``degraded`` (some alive)."""
        live = self.liveness().values()
        if live and all(live):
            return "running"
        return "degraded" if any(live) else "stale"


def validate_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise UsageError(
            f"{name!r} is not a valid sandbox name",
            hint="use 1-40 lowercase letters, digits and '-', starting and ending with a "
            "letter or digit (it becomes a kubeconfig context name)",
        )
    return name


def run_dir(name: str) -> Path:
    return sandbox_home() / validate_name(name)


def load(name: str) -> SandboxState | None:
    path = run_dir(name) / "state.json"
    if not path.is_file():
        return None
    return SandboxState.model_validate_json(path.read_text())


def require(name: str) -> SandboxState:
    state = load(name)
    if state is None:
        known = ", ".join(names()) or "none"
        raise SandboxStateError(
            f"no sandbox named {name!r} (known: {known})",
            hint="see `kubecurrent sandbox list`, or create it with "
            f"`kubecurrent sandbox up --name {name}`",
        )
    return state


def save(state: SandboxState) -> None:
    path = run_dir(state.name) / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(state.model_dump_json(indent=2))
    tmp.replace(path)


def names() -> list[str]:
    home = sandbox_home()
    if not home.is_dir():
        return []
    return sorted(p.parent.name for p in home.glob("*/state.json"))


@contextlib.contextmanager
def locked(name: str) -> Iterator[Path]:
    """Hold the sandbox's lock while changing it; refuses when another command holds it."""
    directory = run_dir(name)
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SandboxStateError(
                f"another kubecurrent command is changing sandbox {name!r}",
                hint="wait for it to finish and try again",
            ) from None
        yield directory
