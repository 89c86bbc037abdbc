"""Errors kubecurrent raises, each naming what failed and what to do next.

Hierarchy::

    KubecurrentError            base: ``message`` + ``hint`` (the next action), CLI exit code 1
    ├── UsageError              bad flags or input the user gave (exit code 2)
    ├── CatalogError            a catalog file or entry is invalid (names file and entry)
    ├── SandboxError            the local control plane could not be built, started or stopped
    │   ├── BinaryMissingError  a required binary is not in the cache (names the build command)
    │   ├── ComponentStartError a component exited or never became ready (carries its log tail)
    │   └── SandboxStateError   ``up`` of an existing name, ``down`` of an unknown one, ...
    └── ClusterError            a cluster could not be reached or refused a request

The CLI prints ``error: <message>`` and, when present, ``hint: <hint>``.
"""

from __future__ import annotations

__all__ = [
    "BinaryMissingError",
    "CatalogError",
    "ClusterError",
    "ComponentStartError",
    "KubecurrentError",
    "SandboxError",
    "SandboxStateError",
    "UsageError",
]


class KubecurrentError(Exception):
    """Base error: a message saying what failed and an optional hint saying what to do."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"


class UsageError(KubecurrentError):
    """The user's flags or input are wrong; exit code 2 like kubectl."""

    exit_code = 2


class CatalogError(KubecurrentError):
    """A catalog file or entry failed validation."""


class SandboxError(KubecurrentError):
    """The local control plane could not be built, started or stopped."""


class BinaryMissingError(SandboxError):
    """A binary the sandbox needs is not built yet."""


class ComponentStartError(SandboxError):
    """A control-plane component exited or did not become ready in time."""

    def __init__(self, message: str, *, log_tail: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.log_tail = log_tail

    def __str__(self) -> str:
        text = super().__str__()
        if self.log_tail:
            text += "\n--- last lines of its log ---\n" + self.log_tail
        return text


class SandboxStateError(SandboxError):
    """The sandbox's recorded state does not allow the request."""


class ClusterError(KubecurrentError):
    """A cluster could not be reached or refused a request."""
