"""The sandbox: a real local Kubernetes control plane built from upstream sources.

Used by the CLI, the demo and the tests; imported by nothing below the interfaces layer.
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports

if TYPE_CHECKING:
    from kubecurrent.sandbox._build import binary_path, kube_binary
    from kubecurrent.sandbox._build import build_component as build
    from kubecurrent.sandbox._cluster import UpOptions, admin_client, down, up
    from kubecurrent.sandbox._components import (
        DEFAULT_BUILD,
        HELM,
        KUSTOMIZE,
        Component,
        all_components,
        offered_patches,
        release_of,
    )
    from kubecurrent.sandbox._control_plane import server_version
    from kubecurrent.sandbox._fleet import FleetSpec, load_spec
    from kubecurrent.sandbox._many import down_many, up_many
    from kubecurrent.sandbox._nodes import POOL_LABEL, node_manifest, parse_pool
    from kubecurrent.sandbox._provider import SandboxProvider, recover_sandbox, sandbox_for_server
    from kubecurrent.sandbox._report import status, summary
    from kubecurrent.sandbox._state import NodePool, SandboxState, load, names, require, run_dir
    from kubecurrent.sandbox._upgrade import upgrade
    from kubecurrent.sandbox._users import mint_user

__all__ = [
    "DEFAULT_BUILD",
    "HELM",
    "KUSTOMIZE",
    "POOL_LABEL",
    "Component",
    "FleetSpec",
    "NodePool",
    "SandboxProvider",
    "SandboxState",
    "UpOptions",
    "admin_client",
    "all_components",
    "binary_path",
    "build",
    "down",
    "down_many",
    "kube_binary",
    "load",
    "load_spec",
    "mint_user",
    "names",
    "node_manifest",
    "offered_patches",
    "parse_pool",
    "recover_sandbox",
    "release_of",
    "require",
    "run_dir",
    "sandbox_for_server",
    "server_version",
    "status",
    "summary",
    "up",
    "up_many",
    "upgrade",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "Component": "_components",
            "DEFAULT_BUILD": "_components",
            "FleetSpec": "_fleet",
            "HELM": "_components",
            "KUSTOMIZE": "_components",
            "NodePool": "_state",
            "POOL_LABEL": "_nodes",
            "SandboxProvider": "_provider",
            "SandboxState": "_state",
            "UpOptions": "_cluster",
            "admin_client": "_cluster",
            "all_components": "_components",
            "binary_path": "_build",
            "build": "_build:build_component",
            "down": "_cluster",
            "down_many": "_many",
            "kube_binary": "_build",
            "load": "_state",
            "load_spec": "_fleet",
            "mint_user": "_users",
            "names": "_state",
            "offered_patches": "_components",
            "node_manifest": "_nodes",
            "parse_pool": "_nodes",
            "recover_sandbox": "_provider",
            "release_of": "_components",
            "require": "_state",
            "run_dir": "_state",
            "sandbox_for_server": "_provider",
            "server_version": "_control_plane",
            "status": "_report",
            "summary": "_report",
            "up": "_cluster",
            "up_many": "_many",
            "upgrade": "_upgrade",
        },
    )
