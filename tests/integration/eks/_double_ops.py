"""The EKS double's read operations (List*/Describe*) and where every operation is routed.

Each handler takes the parsed request and answers the operation's output shape; the URIs are
the ``requestUri`` of botocore's service model, the references are the AWS API pages
``https://docs.aws.amazon.com/eks/latest/APIReference/API_<Operation>.html``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _double_shapes as shape
from ._double_data import DoubleData
from ._double_http import ApiError, Request, Route, route
from ._double_state import Cluster, Nodegroup


@dataclass
class Store:
    """The double's state, shared by the HTTP threads and the update workers."""

    account_id: str
    data: DoubleData
    lock: threading.RLock = field(default_factory=threading.RLock)
    clusters: dict[tuple[str, str], Cluster] = field(default_factory=dict)  # (region, name)

    def cluster(self, region: str, name: str) -> Cluster:
        found = self.clusters.get((region, name))
        if found is None:
            raise ApiError(
                "ResourceNotFoundException", f"No cluster found for name: {name}.", clusterName=name
            )
        return found

    def nodegroup(self, c: Cluster, name: str) -> Nodegroup:
        found = c.nodegroups.get(name)
        if found is None:
            raise ApiError(
                "ResourceNotFoundException",
                f"No node group found for name: {name}.",
                clusterName=c.name,
                nodegroupName=name,
            )
        return found


def _page(names: Sequence[str], req: Request, key: str) -> dict[str, Any]:
    """``maxResults``/``nextToken`` paging over sorted names (the token is an offset)."""
    start = int(req.arg("nextToken") or 0)
    size = int(req.arg("maxResults") or 100)
    if not 1 <= size <= 100:
        raise ApiError("InvalidParameterException", "maxResults must be between 1 and 100")
    page = list(names)[start : start + size]
    out: dict[str, Any] = {key: page}
    if start + size < len(names):
        out["nextToken"] = str(start + size)
    return out


@dataclass
class Reads:
    store: Store

    def list_clusters(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            names = sorted(n for r, n in self.store.clusters if r == req.region)
        return _page(names, req, "clusters")

    def describe_cluster(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            return {"cluster": shape.cluster(self.store.cluster(req.region, req.path["name"]))}

    def describe_cluster_versions(self, req: Request) -> dict[str, Any]:
        today = dt.datetime.now(dt.UTC).date()
        wanted = req.query.get("clusterVersions")
        include_all = req.arg("includeAll") == "true"
        out = []
        for v in self.store.data.versions:
            status = v.status(today)
            if wanted and v.version not in wanted:
                continue
            if req.arg("defaultOnly") == "true" and not v.default:
                continue
            if not include_all and not wanted and status == "unsupported":
                continue
            if req.arg("status") and req.arg("status") != status:
                continue
            out.append(shape.cluster_version(v, status))
        return {"clusterVersions": out}

    def list_nodegroups(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            return _page(sorted(c.nodegroups), req, "nodegroups")

    def describe_nodegroup(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            ng = self.store.nodegroup(c, req.path["nodegroupName"])
            return {"nodegroup": shape.nodegroup(c, ng)}

    def list_fargate_profiles(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            return _page(sorted(c.fargate_profiles), req, "fargateProfileNames")

    def describe_fargate_profile(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            name = req.path["fargateProfileName"]
            if name not in c.fargate_profiles:
                raise ApiError(
                    "ResourceNotFoundException",
                    f"No Fargate Profile found with name: {name}.",
                    clusterName=c.name,
                    fargateProfileName=name,
                )
            return {"fargateProfile": shape.fargate_profile(c, name)}

    def list_addons(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            return _page(sorted(c.addons), req, "addons")

    def describe_addon(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            name = req.path["addonName"]
            if name not in c.addons:
                raise ApiError(
                    "ResourceNotFoundException",
                    f"No addon: {name} found in cluster: {c.name}",
                    clusterName=c.name,
                    addonName=name,
                )
            return {"addon": shape.addon(c, c.addons[name])}

    def describe_addon_versions(self, req: Request) -> dict[str, Any]:
        minor = req.arg("kubernetesVersion")
        name = req.arg("addonName")
        out = []
        for t in self.store.data.addons:
            if name and t.name != name:
                continue
            rendered = shape.addon_versions(t, minor)
            if rendered["addonVersions"]:
                out.append(rendered)
        if name and not out and self.store.data.addon(name) is None:
            raise ApiError("ResourceNotFoundException", f"Addon {name} specified is not supported")
        return {"addons": out}

    def list_updates(self, req: Request) -> dict[str, Any]:
        ng, addon = req.arg("nodegroupName"), req.arg("addonName")
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            target = ng or addon
            ids = [u.id for u in c.updates if u.target == target]
        return _page(ids, req, "updateIds")

    def describe_update(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            u = c.find_update(req.path["updateId"])
            target = req.arg("nodegroupName") or req.arg("addonName")
            if u is None or u.target != target:
                raise ApiError(
                    "ResourceNotFoundException",
                    f"No update found for ID: {req.path['updateId']}",
                    clusterName=c.name,
                )
            return {"update": shape.update(u)}

    def _insight_minors(self, c: Cluster) -> list[str]:
        major, minor = c.version.split(".")
        nxt = f"{major}.{int(minor) + 1}"
        minors = {nxt, *(u.stop_serving_version for u in c.deprecated_apis)}
        return sorted(minors, key=lambda m: int(m.split(".")[1]))

    def list_insights(self, req: Request) -> dict[str, Any]:
        wanted = req.body.get("filter") or {}
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            out = []
            for minor in self._insight_minors(c):
                usages = [u for u in c.deprecated_apis if u.stop_serving_version == minor]
                item = shape.insight(c, minor, usages, full=False)
                if wanted.get("categories") and "UPGRADE_READINESS" not in wanted["categories"]:
                    continue
                if wanted.get("kubernetesVersions") and minor not in wanted["kubernetesVersions"]:
                    continue
                if (
                    wanted.get("statuses")
                    and item["insightStatus"]["status"] not in wanted["statuses"]
                ):
                    continue
                out.append(item)
        return {"insights": out}

    def describe_insight(self, req: Request) -> dict[str, Any]:
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            for minor in self._insight_minors(c):
                if shape.insight_id(c, minor) == req.path["id"]:
                    usages = [u for u in c.deprecated_apis if u.stop_serving_version == minor]
                    return {"insight": shape.insight(c, minor, usages, full=True)}
        raise ApiError("ResourceNotFoundException", f"No insight found for id: {req.path['id']}")


Handler = Callable[[Request], dict[str, Any]]


def routes(reads: Reads, writes: dict[str, Handler]) -> list[Route]:
    """Every operation the double serves, at its service-model ``requestUri``."""
    return [
        route("ListClusters", "GET", "/clusters", reads.list_clusters),
        route("DescribeCluster", "GET", "/clusters/{name}", reads.describe_cluster),
        route(
            "DescribeClusterVersions", "GET", "/cluster-versions", reads.describe_cluster_versions
        ),
        route("ListNodegroups", "GET", "/clusters/{name}/node-groups", reads.list_nodegroups),
        route(
            "DescribeNodegroup",
            "GET",
            "/clusters/{name}/node-groups/{nodegroupName}",
            reads.describe_nodegroup,
        ),
        route(
            "ListFargateProfiles",
            "GET",
            "/clusters/{name}/fargate-profiles",
            reads.list_fargate_profiles,
        ),
        route(
            "DescribeFargateProfile",
            "GET",
            "/clusters/{name}/fargate-profiles/{fargateProfileName}",
            reads.describe_fargate_profile,
        ),
        route("ListAddons", "GET", "/clusters/{name}/addons", reads.list_addons),
        route("DescribeAddon", "GET", "/clusters/{name}/addons/{addonName}", reads.describe_addon),
        route(
            "DescribeAddonVersions",
            "GET",
            "/addons/supported-versions",
            reads.describe_addon_versions,
        ),
        route("ListUpdates", "GET", "/clusters/{name}/updates", reads.list_updates),
        route(
            "DescribeUpdate", "GET", "/clusters/{name}/updates/{updateId}", reads.describe_update
        ),
        route("ListInsights", "POST", "/clusters/{name}/insights", reads.list_insights),
        route("DescribeInsight", "GET", "/clusters/{name}/insights/{id}", reads.describe_insight),
        route(
            "UpdateClusterVersion",
            "POST",
            "/clusters/{name}/updates",
            writes["UpdateClusterVersion"],
        ),
        route(
            "UpdateNodegroupVersion",
            "POST",
            "/clusters/{name}/node-groups/{nodegroupName}/update-version",
            writes["UpdateNodegroupVersion"],
        ),
        route(
            "UpdateAddon",
            "POST",
            "/clusters/{name}/addons/{addonName}/update",
            writes["UpdateAddon"],
        ),
    ]
