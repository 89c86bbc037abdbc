"""Several sandboxes at once, described by a fleet file, with one kubeconfig for all of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from kubecurrent.errors import UsageError
from kubecurrent.sandbox import _cluster, _kubeconfig, _many
from kubecurrent.sandbox._components import release_of
from kubecurrent.sandbox._nodes import parse_pool
from kubecurrent.sandbox._paths import DATA_DIR, sandbox_home
from kubecurrent.sandbox._state import SandboxState, load, names, run_dir, validate_name

DEFAULT_FLEET = DATA_DIR / "demo-fleet.yaml"


class ClusterSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    pools: list[str] = ["default=3"]
    labels: dict[str, str] = {}


class FleetSpec(BaseModel):
    """A fleet file: ``name:`` and ``clusters:`` with name, version, pools and labels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    clusters: list[ClusterSpec]


def load_spec(path: Path | None = None) -> FleetSpec:
    """Read a fleet file (the embedded demo fleet when ``path`` is None)."""
    source = path or DEFAULT_FLEET
    try:
        data = yaml.safe_load(source.read_text())
        spec = FleetSpec.model_validate(data)
    except FileNotFoundError:
        raise UsageError(
            f"fleet file {source} does not exist", hint="pass an existing file with --file"
        ) from None
    except (yaml.YAMLError, ValidationError) as exc:
        raise UsageError(
            f"fleet file {source} is not valid: {exc}",
            hint="see the README's 'Sandbox fleets' section for the format",
        ) from None
    validate_name(spec.name)
    seen = set()
    for cluster in spec.clusters:
        validate_name(cluster.name)
        if cluster.name in seen:
            raise UsageError(f"fleet file {source}: cluster {cluster.name!r} appears twice")
        seen.add(cluster.name)
    return spec


def up(
    spec: FleetSpec, timeout: float, on_started: Callable[[SandboxState], None]
) -> list[SandboxState]:
    """Start every cluster of the fleet side by side; all or nothing."""
    options = []
    for cluster in spec.clusters:
        release = release_of(cluster.version)
        pools = tuple(parse_pool(p, release) for p in cluster.pools)
        options.append(_cluster.UpOptions(cluster.name, cluster.version, pools, spec.name, timeout))
    started = _many.up_many(options, on_started)
    write_kubeconfig(spec.name)
    return started


def members(fleet: str) -> list[SandboxState]:
    found = [s for s in (load(n) for n in names()) if s is not None and s.fleet == fleet]
    if not found:
        raise UsageError(
            f"no sandboxes belong to fleet {fleet!r}",
            hint="start it with `kubecurrent sandbox fleet up`",
        )
    return found


def kubeconfig_path(fleet: str) -> Path:
    return sandbox_home() / f"fleet-{fleet}.kubeconfig"


def write_kubeconfig(fleet: str) -> Path:
    """One kubeconfig with a context per sandbox of the fleet (context = sandbox name)."""
    configs = [yaml.safe_load((run_dir(s.name) / "kubeconfig").read_text()) for s in members(fleet)]
    return _kubeconfig.write(kubeconfig_path(fleet), _kubeconfig.merge(configs))


def down(fleet: str) -> list[str]:
    stopped = _many.down_many(s.name for s in members(fleet))
    kubeconfig_path(fleet).unlink(missing_ok=True)
    return stopped
