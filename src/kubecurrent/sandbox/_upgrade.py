"""The real control-plane upgrade: the next minor's binaries over the same etcd data.

Order as upstream documents it: the API server first, then controller-manager and scheduler.
If the new control plane does not come up, the previous version is started again over the same
data (one minor back is within upstream's rollback support) and the error says so.
"""

from __future__ import annotations

import datetime as dt

from kubecurrent.errors import KubecurrentError, SandboxStateError, UsageError
from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.sandbox import _process
from kubecurrent.sandbox._build import kube_binary
from kubecurrent.sandbox._components import kubernetes
from kubecurrent.sandbox._control_plane import CONTROL_PLANE, server_version, start_control_plane
from kubecurrent.sandbox._state import SandboxState, locked, require, save


def _check_step(state: SandboxState, target: MinorVersion) -> None:
    current = KubeVersion.parse(state.version)
    if current.minor_version.distance(target) != 1:
        raise UsageError(
            f"cannot upgrade sandbox {state.name!r} from {current} to {target}: the control "
            "plane moves one minor at a time, forward only",
            hint=f"upgrade to {current.minor_version.offset(1)} first"
            if target > current.minor_version
            else "create a new sandbox at the older version instead",
        )
    if state.phase() != "running":
        raise SandboxStateError(
            f"sandbox {state.name!r} is {state.phase()}; only a running sandbox can be upgraded",
            hint=f"recreate it: `kubecurrent sandbox down --name {state.name}` then `up`",
        )


def _stop_control_plane(state: SandboxState) -> None:
    for component in reversed(CONTROL_PLANE):  # scheduler and manager first, then the server
        record = state.processes.pop(component, None)
        if record is not None:
            _process.stop(record)
    save(state)


def upgrade(name: str, version: str, timeout: float = 180.0) -> SandboxState:
    """Restart the control plane of ``name`` on minor ``version`` (exactly one above)."""
    state = require(name)
    target_minor = MinorVersion.parse(version)
    _check_step(state, target_minor)
    target = kubernetes(str(target_minor)).version
    for binary in CONTROL_PLANE:
        kube_binary(str(target_minor), binary)  # fail before stopping anything
    with locked(name) as directory:
        previous = state.version
        _stop_control_plane(state)
        state.version = target
        try:
            start_control_plane(state, directory, timeout)
            served = server_version(state)
            if served != target:
                raise SandboxStateError(
                    f"after the upgrade the API server reports {served}, expected {target}",
                    hint="the cached binaries may be stale: `kubecurrent sandbox build --force`",
                )
        except (KubecurrentError, OSError) as exc:
            _stop_control_plane(state)
            state.version = previous
            start_control_plane(state, directory, timeout)
            state.events.append(f"{_now()} upgrade to {target} failed; rolled back to {previous}")
            save(state)
            raise SandboxStateError(
                f"upgrading sandbox {name!r} to {target} failed and it was rolled back to "
                f"{previous}: {exc}",
                hint="read the component logs under the sandbox's logs/ directory",
            ) from exc
        state.events.append(f"{_now()} upgraded {previous} -> {target}")
        save(state)
    return state


def recover(name: str, timeout: float = 180.0) -> bool:
    """Restart a control plane that an interrupted command left stopped or half-started.

    A process killed during ``upgrade`` (even with SIGKILL) can leave the control plane down:
    stopped before the new binaries started, or started in part. The recorded version says
    which binaries were last being started (it changes only once the new API server runs), so
    the whole control plane is restarted at that version. Returns whether anything was done.
    """
    state = require(name)
    live = state.liveness()
    if all(live.get(c, False) for c in CONTROL_PLANE):
        return False
    with locked(name) as directory:
        state = require(name)
        live = state.liveness()
        if all(live.get(c, False) for c in CONTROL_PLANE):
            return False
        _stop_control_plane(state)
        start_control_plane(state, directory, timeout)
        state.events.append(f"{_now()} control plane restarted at {state.version} (recovered)")
        save(state)
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
