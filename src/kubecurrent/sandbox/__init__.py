"""The sandbox: a real local Kubernetes control plane built from upstream sources.

Used by the CLI, the demo and the tests; imported by nothing below the interfaces layer.
"""

from kubecurrent.sandbox._build import build_component as build
from kubecurrent.sandbox._build import kube_binary
from kubecurrent.sandbox._cluster import UpOptions, admin_client, down, up
from kubecurrent.sandbox._components import all_components, offered_patches, release_of
from kubecurrent.sandbox._control_plane import server_version
from kubecurrent.sandbox._fleet import FleetSpec, load_spec
from kubecurrent.sandbox._nodes import POOL_LABEL, node_manifest, parse_pool
from kubecurrent.sandbox._provider import SandboxProvider, recover_sandbox, sandbox_for_server
from kubecurrent.sandbox._report import status, summary
from kubecurrent.sandbox._state import NodePool, SandboxState, load, names, require, run_dir
from kubecurrent.sandbox._upgrade import upgrade
from kubecurrent.sandbox._users import mint_user

__all__ = [
    "POOL_LABEL",
    "FleetSpec",
    "NodePool",
    "SandboxProvider",
    "SandboxState",
    "UpOptions",
    "admin_client",
    "all_components",
    "build",
    "down",
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
    "upgrade",
]
