"""A test double of the Amazon EKS API, backed by real sandboxes. Test infrastructure only.

Why not moto
------------
moto 5.2.6 (the newest on PyPI when this was written; ``moto/eks/responses.py``) implements
EKS's CreateCluster, DescribeCluster, ListClusters, DeleteCluster, UpdateClusterConfig,
Create/Describe/List/DeleteNodegroup, UpdateNodegroupConfig, Create/Describe/List/
DeleteFargateProfile and Tag/Untag/ListTagsForResource. It has no UpdateClusterVersion,
UpdateNodegroupVersion, DescribeUpdate or ListUpdates, no add-on operation (ListAddons,
DescribeAddon, DescribeAddonVersions, UpdateAddon), no insights and no DescribeClusterVersions;
its clusters are always ACTIVE with a made-up endpoint and a random string as CA data, and its
server does not check SigV4 signatures. Everything this double answers is derived from a
sandbox (endpoint, CA, version, nodes, add-on workloads) or from an update running against it,
so the few operations moto covers would have to be overridden field by field: the double is
written from scratch, on the standard library's HTTP server.

Protocol
--------
REST-JSON exactly as botocore sends it, at ``endpoint_url`` (also through
``AWS_ENDPOINT_URL_EKS``, see ``env()``). Routes, members and enums are those of botocore's
service model ``botocore/data/eks/2017-11-01/service-2.json.gz``. Every request must be SigV4
signed for service ``eks`` with the double's fake key pair; the region is the one of the
credential scope (see ``_double_auth``). Errors: ``x-amzn-ErrorType`` header, JSON
``{"message", clusterName, ...}``, the model's HTTP status.

Operations and fields (API reference: https://docs.aws.amazon.com/eks/latest/APIReference/API_<Op>.html)
----------------------------------------------------------------------------------------------------
- ListClusters (GET /clusters; maxResults, nextToken) -> clusters, nextToken
- DescribeCluster (GET /clusters/{name}) -> cluster: name, arn (region + account), createdAt,
  version, endpoint (the sandbox's API server URL), roleArn, status (ACTIVE | UPDATING),
  certificateAuthority.data (the sandbox CA, base64 PEM), platformVersion, tags, health.issues,
  accessConfig.authenticationMode, upgradePolicy.supportType (STANDARD | EXTENDED)
- DescribeClusterVersions (GET /cluster-versions; clusterVersions, defaultOnly, includeAll,
  status) -> clusterVersions: clusterVersion, clusterType, defaultPlatformVersion,
  defaultVersion, releaseDate, endOfStandardSupportDate, endOfExtendedSupportDate, status,
  versionStatus, kubernetesPatchVersion (table: ``double_data.yaml``, after
  https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html)
- ListNodegroups / DescribeNodegroup -> nodegroup: nodegroupName, nodegroupArn, clusterName,
  version, releaseVersion (``1.36.3-20261101``), createdAt, modifiedAt, status (ACTIVE |
  UPDATING), capacityType, scalingConfig, instanceTypes, amiType, nodeRole, labels,
  health.issues, updateConfig (maxUnavailable or maxUnavailablePercentage), launchTemplate
  (when set), tags
- ListFargateProfiles / DescribeFargateProfile -> fargateProfileName, fargateProfileArn,
  clusterName, createdAt, podExecutionRoleArn, selectors (namespace = profile name), status
- ListAddons / DescribeAddon -> addon: addonName, clusterName, status (ACTIVE | UPDATING |
  UPDATE_FAILED), addonVersion, health.issues, addonArn, createdAt, modifiedAt, publisher, owner
- DescribeAddonVersions (GET /addons/supported-versions; kubernetesVersion, addonName) ->
  addons: addonName, type, owner, publisher, addonVersions[addonVersion, architecture,
  compatibilities[clusterVersion, platformVersions, defaultVersion]]
- UpdateClusterVersion (POST /clusters/{name}/updates; version) -> update
- UpdateNodegroupVersion (POST .../node-groups/{nodegroupName}/update-version; version,
  releaseVersion, force) -> update
- UpdateAddon (POST .../addons/{addonName}/update; addonVersion, resolveConflicts NONE |
  OVERWRITE | PRESERVE, default NONE) -> update
- ListUpdates (GET /clusters/{name}/updates; nodegroupName, addonName) -> updateIds of that
  scope only (the cluster's own updates without either), oldest first
- DescribeUpdate (GET /clusters/{name}/updates/{updateId}; nodegroupName or addonName required
  for a node-group or add-on update, as with EKS; else ResourceNotFoundException) ->
  update: id, status (InProgress | Failed | Cancelled | Successful), type (VersionUpdate |
  AddonUpdate), params[type, value], createdAt, errors[errorCode, errorMessage, resourceIds]
- ListInsights (POST /clusters/{name}/insights; filter categories, kubernetesVersions,
  statuses) / DescribeInsight (GET /clusters/{name}/insights/{id}): UPGRADE_READINESS insights
  "Deprecated APIs removed in Kubernetes vX.Y" for the next minor and for every minor named by
  ``set_deprecated_apis``; ERROR with categorySpecificSummary.deprecationDetails when usage was
  set, PASSING otherwise.

Errors: ResourceNotFoundException, InvalidParameterException, InvalidRequestException,
ResourceInUseException, ThrottlingException (``throttle_next``), and for authentication
MissingAuthenticationTokenException, UnrecognizedClientException, InvalidSignatureException,
ExpiredTokenException (``expire_credentials``).
EKS's update rules: ``_double_updates``; what happens in the sandbox: ``_double_work``.

Update requests repeated with the same ``clientRequestToken`` answer the update they started
(botocore fills the token in by itself; an explicit one makes a retried request idempotent).

Test controls (besides the contract): ``fail_next_update``, ``hold_updates`` /
``release_updates``, ``throttle_next``, ``remove_cluster``, ``expire_credentials``,
``degrade_nodegroup``, ``set_deprecated_apis``, ``eviction_timeout`` (EKS waits 15 minutes before
``PodEvictionFailure``; the double 60 s by default), ``requests()`` (operation and boto3
parameter names of every authenticated request, throttled ones included).

Kubernetes access
-----------------
``start_sandbox`` brings a sandbox up with the double's TokenReview webhook, so its API server
accepts the standard EKS token (``aws eks get-token``; see ``_double_auth``) for the cluster the
sandbox backs, as user ``arn:aws:iam::<account>:user/kubecurrent-test`` in ``system:masters``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from kubecurrent import sandbox as sb

from . import _double_work as work
from ._double_auth import AuthError, KeyPair, verify_request, verify_token
from ._double_data import load
from ._double_http import TOKEN_REVIEW_PATH, ApiError, Hooks, Request, serve
from ._double_ops import Reads, Store, routes
from ._double_state import (
    Addon,
    Cluster,
    DeprecatedApiUsage,
    Fault,
    Nodegroup,
    NodegroupStatus,
    UpdateError,
    UpdateKind,
)
from ._double_updates import Writes

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key pair: fake by design
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DEFAULT_REGION = "eu-west-1"


@dataclass(frozen=True)
class NodegroupSpec:
    name: str
    count: int = 2
    minor: str | None = None  # "1.35"; default: the cluster's minor
    max_unavailable: int = 1


@dataclass(frozen=True)
class AddonSpec:
    name: str  # "coredns", "kube-proxy", "vpc-cni", ...
    version: str  # "v1.11.4-eksbuild.2"


class EksDouble:
    """A local EKS API (a test double) whose clusters are sandboxes of this test session."""

    def __init__(self, account_id: str = "111122223333", eviction_timeout: float = 60.0) -> None:
        self.account_id = account_id
        self.keys = KeyPair(
            ACCESS_KEY, SECRET_KEY, f"arn:aws:iam::{account_id}:user/kubecurrent-test"
        )
        self._store = Store(account_id, load())
        self._writes = Writes(self._store, eviction_timeout)
        self._requests: list[tuple[str, dict[str, object]]] = []
        self._throttle = 0
        self._expired = False
        self._sandboxes: list[str] = []
        self._dir = Path(tempfile.mkdtemp(prefix="eks-double-"))
        hooks = Hooks(self._authenticate, self._record, self._throttled, self._token_review)
        self._server = serve(routes(Reads(self._store), self._writes.handlers()), hooks)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- the contract ---------------------------------------------------------------------

    def start_sandbox(self, name: str, version: str) -> None:
        """``sandbox up`` (no pools) with this double's token webhook on its API server."""
        config = self._dir / f"{name}-token-webhook.kubeconfig"
        url = f"{self.endpoint_url}{TOKEN_REVIEW_PATH}{name}"
        config.write_text(yaml.safe_dump(_webhook_kubeconfig(url)))
        sb.up(sb.UpOptions(name, version, (), timeout=300, token_webhook_config=config))
        self._sandboxes.append(name)

    def add_cluster(
        self,
        name: str,
        region: str,
        sandbox: str,
        *,
        nodegroups: Sequence[NodegroupSpec] = (),
        addons: Sequence[AddonSpec] = (),
        fargate_profiles: Sequence[str] = (),
        support_type: str = "STANDARD",
        platform_version: str = "eks.10",
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Register ``sandbox`` as EKS cluster ``name`` and create its nodes and add-ons in it."""
        state = sb.require(sandbox)
        minor = ".".join(state.version.removeprefix("v").split(".")[:2])
        c = Cluster(name, region, self.account_id, sandbox, minor, platform_version, support_type)
        c.tags = dict(tags or {})
        client = sb.admin_client(sandbox)
        for spec in nodegroups:
            ng_minor = spec.minor or minor
            release = work.release_version(ng_minor)
            ng = Nodegroup(spec.name, ng_minor, release, spec.count, spec.max_unavailable)
            nodes = [
                work.node_manifest(Writes.node_name(c), ng.name, release, ng.capacity_type, region)
                for _ in range(spec.count)
            ]
            work.create_nodes(client, nodes, timeout=120)
            c.nodegroups[ng.name] = ng
        for a in addons:
            kind = self._store.data.addon(a.name)
            if kind is None or kind.find(a.version) is None:
                raise ValueError(f"the EKS double has no add-on {a.name} {a.version}")
            work.apply_addon(client, kind, a.version, region)
            c.addons[a.name] = Addon(a.name, a.version)
        for profile in fargate_profiles:
            c.fargate_profiles[profile] = c.created
        with self._store.lock:
            self._store.clusters[(region, name)] = c

    def fail_next_update(self, cluster: str, *, kind: str, error_code: str, message: str) -> None:
        """The next update of ``kind`` (cluster | nodegroup | addon) on ``cluster`` fails."""
        with self._store.lock:
            self._by_name(cluster).faults[UpdateKind(kind)] = Fault(error_code, message)

    def hold_updates(self, cluster: str) -> None:
        """Updates of ``cluster`` stay InProgress (doing nothing) until ``release_updates``."""
        self._by_name(cluster).released.clear()

    def release_updates(self, cluster: str) -> None:
        self._by_name(cluster).released.set()

    def throttle_next(self, count: int) -> None:
        """The next ``count`` EKS requests answer ThrottlingException (429)."""
        with self._store.lock:
            self._throttle = count

    def remove_cluster(self, name: str, region: str) -> None:
        """The cluster vanishes from EKS (its sandbox keeps running)."""
        with self._store.lock:
            self._store.clusters.pop((region, name))

    def requests(self) -> list[tuple[str, dict[str, object]]]:
        """(operation, params) of every authenticated request received, in order."""
        with self._store.lock:
            return list(self._requests)

    def env(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Environment for a subprocess using boto3 against this double (no real AWS config)."""
        return {
            "AWS_ENDPOINT_URL_EKS": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": str(self._dir / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(self._dir / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def close(self) -> None:
        """Stop the server, cancel held updates, wait for workers, stop the sandboxes started."""
        self._server.shutdown()
        self._server.server_close()
        self._writes.closing.set()
        for t in self._writes.threads:
            t.join(timeout=360)
        with contextlib.suppress(Exception):  # each one is attempted; they stop side by side
            sb.down_many(self._sandboxes)
        shutil.rmtree(self._dir, ignore_errors=True)

    # -- additions to the contract -----------------------------------------------------------

    @property
    def eviction_timeout(self) -> float:
        """Seconds a node-group update keeps retrying a refused eviction (EKS: 15 minutes)."""
        return self._writes.eviction_timeout

    @eviction_timeout.setter
    def eviction_timeout(self, seconds: float) -> None:
        self._writes.eviction_timeout = seconds

    def set_deprecated_apis(self, cluster: str, usages: Sequence[DeprecatedApiUsage]) -> None:
        """What EKS upgrade insights report as deprecated API usage for ``cluster``."""
        with self._store.lock:
            self._by_name(cluster).deprecated_apis = list(usages)

    def degrade_nodegroup(self, cluster: str, nodegroup: str, *, code: str, message: str) -> None:
        """Put a node group in DEGRADED with one health issue (a NodegroupIssueCode)."""
        with self._store.lock:
            ng = self._by_name(cluster).nodegroups[nodegroup]
            ng.status = NodegroupStatus.DEGRADED
            ng.health_issues = [UpdateError(code, message, (nodegroup,))]

    def expire_credentials(self, expired: bool = True) -> None:
        """Every EKS request answers ExpiredTokenException (403) until called with False."""
        with self._store.lock:
            self._expired = expired

    def session_kwargs(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Keyword arguments for ``boto3.Session`` with the double's fake credentials."""
        return {
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "region_name": region,
        }

    # -- hooks of the HTTP server ----------------------------------------------------------

    def _by_name(self, name: str) -> Cluster:
        with self._store.lock:
            found = [c for (_, n), c in self._store.clusters.items() if n == name]
        if len(found) != 1:
            raise KeyError(f"the EKS double has {len(found)} clusters named {name!r}")
        return found[0]

    def _authenticate(self, method: str, url: str, headers: dict[str, str], body: bytes) -> str:
        try:
            region = verify_request(self.keys, method, url, headers, body)
        except AuthError as exc:
            raise ApiError(exc.code, exc.message) from None
        if self._expired:
            raise ApiError(
                "ExpiredTokenException", "The security token included in the request is expired"
            )
        return region

    def _record(self, request: Request) -> None:
        with self._store.lock:
            self._requests.append((request.operation, request.params()))

    def _throttled(self) -> bool:
        with self._store.lock:
            if self._throttle <= 0:
                return False
            self._throttle -= 1
            return True

    def _token_review(self, sandbox: str, review: dict[str, Any]) -> dict[str, Any]:
        token = str((review.get("spec") or {}).get("token", ""))
        with self._store.lock:
            names = [c.name for c in self._store.clusters.values() if c.sandbox == sandbox]
        status: dict[str, Any]
        try:
            if not names:
                raise AuthError("token", f"sandbox {sandbox} backs no EKS cluster of the double")
            arn = verify_token(self.keys, token, names[0])
            status = {
                "authenticated": True,
                "user": {
                    "username": arn,
                    "uid": f"aws-iam-authenticator:{self.account_id}:test",
                    "groups": ["system:masters", "system:authenticated"],
                },
            }
        except AuthError as exc:
            status = {"authenticated": False, "error": exc.message}
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


def _webhook_kubeconfig(url: str) -> dict[str, Any]:
    """The kubeconfig-format file ``--authentication-token-webhook-config-file`` reads."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks-double", "cluster": {"server": url}}],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [
            {"name": "webhook", "context": {"cluster": "eks-double", "user": "kube-apiserver"}}
        ],
        "current-context": "webhook",
    }


def mint_token(
    session: Any, cluster: str, expires: int = 60, signed_at: dt.datetime | None = None
) -> str:
    """An EKS bearer token for ``cluster`` made offline with botocore, as ``aws eks get-token``
    does: a presigned STS GetCallerIdentity URL signing the header ``x-k8s-aws-id``.
    ``signed_at`` (tests of expiry) is the time botocore's signer is told it is."""
    if signed_at is not None:
        with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
            return mint_token(session, cluster, expires)
    sts = session.client("sts")

    def _add_cluster_header(request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", _add_cluster_header)
    url = sts.generate_presigned_url(
        "get_caller_identity", Params={}, ExpiresIn=expires, HttpMethod="GET"
    )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


__all__ = ["AddonSpec", "DeprecatedApiUsage", "EksDouble", "NodegroupSpec", "mint_token"]
