"""A test double of Azure Resource Manager for AKS, backed by real sandboxes. Test
infrastructure only: Azure cannot be reached from the tests.

Why written here
----------------
No maintained local emulator of Microsoft.ContainerService exists (Azurite covers Storage only);
and what AKS answers here must come from a sandbox (the API server's address and CA, the
versions it runs, its nodes) or from an operation running against it, so the double is written
from scratch on the standard library's HTTP server.

Protocol
--------
HTTPS on 127.0.0.1 (a throw-away CA, ``_double_tls``; azure-core sends bearer tokens over TLS
only), ARM REST exactly as ``azure-mgmt-containerservice`` sends it, pointed at the double with
kubecurrent's ``KUBECURRENT_AKS_ENDPOINT`` (the SDK's ``base_url``); routes and shapes in
``_double_ops`` and ``_double_shapes`` with their REST-reference URLs. Credentials go through
azure-identity's real chain: ``EnvironmentCredential`` (client secret) with
``AZURE_AUTHORITY_HOST`` at the double, whose Entra endpoints answer MSAL's OpenID discovery and
client-credentials grant (``_double_http``); instance discovery is disabled
(``KUBECURRENT_AZURE_DISABLE_INSTANCE_DISCOVERY``). ARM requests need a token for
``https://management.azure.com/.default``; the sandboxes' API servers (TokenReview webhook)
accept only a token for the AKS Entra server application ``6dae42f8-...``/.default.

Test controls: ``fail_next_operation``, ``hold_operations`` / ``release_operations``,
``deny_subscription``, ``withhold_version``, ``requests()``.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubecurrent import sandbox as sb

from . import _double_work as work
from ._double_http import TOKEN_REVIEW_PATH, ArmError, Hooks, Request, serve
from ._double_ops import Arm
from ._double_state import Cluster, Fault, Pool, Store
from ._double_tls import make_tls

TENANT = "00000000-0000-4000-8000-00000000aaaa"
CLIENT_ID = "11111111-0000-4000-8000-00000000cccc"
CLIENT_SECRET = "aks-double-secret"  # fake by design
ARM_SCOPE = "https://management.azure.com/.default"
AKS_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"


@dataclass(frozen=True)
class PoolSpec:
    name: str
    count: int = 2
    mode: str = "User"
    max_surge: str = "1"
    version: str | None = None  # "1.35"; default: the control plane's


class AksDouble:
    """A local Azure Resource Manager for AKS (a test double) whose clusters are sandboxes."""

    def __init__(self, eviction_timeout: float = 60.0) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="aks-double-"))
        self.ca_file, context = make_tls(self._dir)
        self._store = Store()
        self._arm = Arm(self._store, eviction_timeout)
        self._tokens: dict[str, str] = {}  # access token -> scope
        self._requests: list[tuple[str, dict[str, str]]] = []
        self._sandboxes: list[str] = []
        hooks = Hooks(self._authenticate, self._record, self._token, self._token_review)
        self._server = serve(self._arm.routes(), hooks, context)
        self.endpoint_url = f"https://127.0.0.1:{self._server.server_address[1]}"

    # -- the contract ---------------------------------------------------------------------

    def start_sandbox(self, name: str, version: str) -> None:
        """``sandbox up`` (no pools) with this double's token webhook on its API server."""
        config = self._dir / f"{name}-token-webhook.kubeconfig"
        url = f"{self.endpoint_url}{TOKEN_REVIEW_PATH}{name}"
        config.write_text(yaml.safe_dump(_webhook_kubeconfig(url, self.ca_file)))
        sb.up(sb.UpOptions(name, version, (), timeout=300, token_webhook_config=config))
        self._sandboxes.append(name)

    def add_cluster(
        self,
        name: str,
        subscription: str,
        resource_group: str,
        sandbox: str,
        *,
        pools: Sequence[PoolSpec] = (),
        location: str = "westeurope",
        support_plan: str = "KubernetesOfficial",
        tier: str = "Standard",
        upgrade_channel: str = "none",
        maintenance: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Register ``sandbox`` as AKS cluster ``name`` and create its agent pools' nodes."""
        version = sb.require(sandbox).version.removeprefix("v")
        c = Cluster(subscription, resource_group, name, location, sandbox, version)
        c.support_plan, c.tier, c.upgrade_channel = support_plan, tier, upgrade_channel
        c.maintenance = [dict(m) for m in maintenance]
        client = sb.admin_client(sandbox)
        for spec in pools:
            pool_version = (
                sb.release_of(spec.version).removeprefix("v") if spec.version else version
            )
            pool = Pool(spec.name, spec.mode, pool_version, spec.count, spec.max_surge)
            work.create_pool(client, c, pool)
            c.pools[pool.name] = pool
        with self._store.lock:
            self._store.clusters[(subscription, resource_group, name)] = c

    def fail_next_operation(self, cluster: str, *, kind: str, code: str, message: str) -> None:
        """The next operation of ``kind`` (cluster | pool | image) on ``cluster`` fails so."""
        with self._store.lock:
            self._by_name(cluster).faults[kind] = Fault(code, message)

    def hold_operations(self, cluster: str) -> None:
        """Operations on ``cluster`` stay InProgress until ``release_operations``."""
        self._by_name(cluster).released.clear()

    def release_operations(self, cluster: str) -> None:
        self._by_name(cluster).released.set()

    def deny_subscription(self, subscription: str) -> None:
        """Every request in ``subscription`` answers 403 AuthorizationFailed."""
        with self._store.lock:
            self._arm.denied.add(subscription)

    def withhold_version(self, cluster: str, minor: str) -> None:
        """The upgrade profile of ``cluster`` stops offering ``minor``."""
        with self._store.lock:
            self._by_name(cluster).withheld.add(minor)

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(operation, path parameters) of every authenticated ARM request, in order."""
        with self._store.lock:
            return list(self._requests)

    def cluster_state(self, cluster: str) -> tuple[str, dict[str, str]]:
        """The control plane's version and each pool's version, as the double holds them."""
        with self._store.lock:
            c = self._by_name(cluster)
            return c.version, {p.name: p.version for p in c.pools.values()}

    def env(self) -> dict[str, str]:
        """Environment for a process using the Azure SDK against this double."""
        return {
            "KUBECURRENT_AKS_ENDPOINT": self.endpoint_url,
            "KUBECURRENT_AZURE_DISABLE_INSTANCE_DISCOVERY": "1",
            "AZURE_AUTHORITY_HOST": self.endpoint_url,
            "AZURE_TENANT_ID": TENANT,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": CLIENT_SECRET,
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "AZURE_CONFIG_DIR": str(self._dir / "no-azure-cli"),
            "IDENTITY_ENDPOINT": "",
            "MSI_ENDPOINT": "",
        }

    def close(self) -> None:
        """Stop the server, let operations end, stop the sandboxes started."""
        self._server.shutdown()
        self._server.server_close()
        self._arm.closing.set()
        with self._store.lock:
            for c in self._store.clusters.values():
                c.released.set()
        for t in self._arm.threads:
            t.join(timeout=360)
        with contextlib.suppress(Exception):  # each one is attempted; they stop side by side
            sb.down_many(self._sandboxes)
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- hooks of the HTTP server ----------------------------------------------------------

    def _by_name(self, name: str) -> Cluster:
        with self._store.lock:
            found = [c for (_, _, n), c in self._store.clusters.items() if n == name]
        if len(found) != 1:
            raise KeyError(f"the AKS double has {len(found)} clusters named {name!r}")
        return found[0]

    def _token(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}
        if tenant != TENANT:
            return 400, {
                "error": "invalid_request",
                "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
            }
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
            }
        scope = form.get("scope", "")
        token = "aks-double." + secrets.token_urlsafe(24)
        with self._store.lock:
            self._tokens[token] = scope
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token,
        }

    def _authenticate(self, token: str) -> str:
        with self._store.lock:
            scope = self._tokens.get(token)
        if scope is None:
            raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if ARM_SCOPE not in scope.split():
            raise ArmError(
                401,
                "InvalidAuthenticationTokenAudience",
                "The access token has been obtained for wrong audience or resource.",
            )
        return scope

    def _record(self, name: str, request: Request) -> None:
        with self._store.lock:
            self._requests.append((name, dict(request.params)))

    def _token_review(self, sandbox: str, review: dict[str, Any]) -> dict[str, Any]:
        token = str((review.get("spec") or {}).get("token", ""))
        with self._store.lock:
            scope = self._tokens.get(token)
            backed = any(c.sandbox == sandbox for c in self._store.clusters.values())
        status: dict[str, Any]
        if backed and scope is not None and AKS_SCOPE in scope.split():
            status = {
                "authenticated": True,
                "user": {
                    "username": f"{CLIENT_ID}@{TENANT}",
                    "uid": CLIENT_ID,
                    "groups": ["system:masters", "system:authenticated"],
                },
            }
        else:
            status = {"authenticated": False, "error": "not a token of the AKS Entra server app"}
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


def _webhook_kubeconfig(url: str, ca_file: Path) -> dict[str, Any]:
    """The kubeconfig-format file ``--authentication-token-webhook-config-file`` reads."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "aks-double",
                "cluster": {"server": url, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [
            {"name": "webhook", "context": {"cluster": "aks-double", "user": "kube-apiserver"}}
        ],
        "current-context": "webhook",
    }


__all__ = ["AksDouble", "PoolSpec"]
