"""Exec credential plugins (``users[].user.exec`` in a kubeconfig) that can never be left running.

lightkube runs a kubeconfig's exec plugin (``aws eks get-token``, ``gke-gcloud-auth-plugin``,
``kubelogin``) to get a token, but without a time limit and without stopping it when the request
that needed it is cancelled: a plugin that hangs (waiting for a browser login, a dead network)
stayed behind after its cluster had timed out, one more for every dashboard refresh.

``install()`` replaces the two functions lightkube's ``ExecAuth`` calls to run the plugin
(``lightkube.config.client_adapter.sync_check_output`` / ``async_check_output``, looked up at
call time) with versions that start the plugin in its own process group, give it
``EXEC_TIMEOUT`` seconds, and kill the whole group on timeout or cancellation. Errors stay
lightkube's ``ConfigError``, which the callers already turn into a clear cluster error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from lightkube.config import client_adapter
from lightkube.core.exceptions import ConfigError

from kubecurrent.errors import KubecurrentError
from kubecurrent.programs import EndOfOptions, run_program

__all__ = ["EXEC_TIMEOUT", "install"]

EXEC_TIMEOUT = 60.0
"""Seconds an exec credential plugin may take to print a token."""


def _name(command: Sequence[str]) -> str:
    return f"exec credential plugin {Path(command[0]).name}"


def _failed(command: Sequence[str], code: int, stderr: bytes) -> ConfigError:
    said = stderr.decode("utf-8", errors="replace").strip()[-500:]
    return ConfigError(f"{_name(command)} exited with code {code}: {said}")


def sync_check_output(command: Sequence[str], env: Mapping[str, str]) -> bytes:
    try:
        done = run_program(
            command[0],
            list(command[1:]),
            timeout=EXEC_TIMEOUT,
            end=EndOfOptions.NONE,
            env=dict(env),
            name=_name(command),
        )
    except KubecurrentError as exc:
        raise ConfigError(exc.message) from None
    if not done.ok:
        raise _failed(command, done.returncode, done.stderr_bytes)
    return done.stdout_bytes


async def async_check_output(command: Sequence[str], env: Mapping[str, str]) -> bytes:
    pipe = asyncio.subprocess.PIPE
    try:
        proc = await asyncio.create_subprocess_exec(
            *command, env=dict(env), stdin=None, stdout=pipe, stderr=pipe, start_new_session=True
        )
    except OSError as exc:
        raise ConfigError(f"cannot run {_name(command)}: {exc.strerror or exc}") from None
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), EXEC_TIMEOUT)
    except TimeoutError:
        await _kill(proc)
        raise ConfigError(
            f"{_name(command)} did not print a token within {EXEC_TIMEOUT:g}s and was stopped"
        ) from None
    except BaseException:  # cancelled with the request that needed the token
        await _kill(proc)
        raise
    if proc.returncode != 0:
        raise _failed(command, proc.returncode or 0, stderr)
    return stdout


async def _kill(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        await asyncio.shield(proc.wait())


def install() -> None:
    """Make lightkube run exec plugins through the bounded runners above (idempotent)."""
    client_adapter.sync_check_output = sync_check_output
    client_adapter.async_check_output = async_check_output
