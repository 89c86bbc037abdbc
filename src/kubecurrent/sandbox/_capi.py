"""Cluster API's real CRDs in a sandbox: fetched once from the Go module proxy, then installed.

The Cluster API controllers (and their webhooks) cannot run here, so a sandbox only gets the
CRDs; tests drive the objects' status with a test double. Fetching: the module zip named by
``CLUSTER_API`` is downloaded from the first proxy in ``$GOPROXY`` (default
``https://proxy.golang.org``), its Go checksum (``h1:``) is checked over the whole zip, and the
listed CRD files are kept in ``<cache>/crds/cluster-api/<version>/`` (see ``kubecurrent.cachedir``);
later calls read the cache. Nothing is committed to the repository.

Installing changes two things, because of what does not run here:

- ``spec.conversion`` is forced to ``None``. Upstream's kustomize overlay adds a conversion
  webhook (``webhook-service`` in the provider's namespace); with no such service the API server
  would fail every read that needs conversion.
- only the storage version (``v1beta2`` in v1.14) stays served. Without the webhook the API server
  would hand out v1beta2-shaped objects under the name ``v1beta1``, which no v1beta1 client
  expects; not serving ``v1beta1`` makes that mistake impossible.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, cast

import httpx
import yaml
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_global_resource, create_namespaced_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from kubecurrent.cachedir import cache_dir
from kubecurrent.errors import SandboxError
from kubecurrent.sandbox._components import CLUSTER_API, CrdBundle

__all__ = ["crd_dir", "fetch_crds", "install_capi_crds", "prepare_crd", "zip_h1"]


def crd_dir(bundle: CrdBundle = CLUSTER_API) -> Path:
    return cache_dir() / "crds" / bundle.key / bundle.version


def zip_h1(data: bytes) -> str:
    """Go's ``h1:`` checksum of a module zip (the dirhash ``go.sum`` records)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = sorted(n for n in zf.namelist() if not n.endswith("/"))
        lines = "".join(f"{hashlib.sha256(zf.read(n)).hexdigest()}  {n}\n" for n in names)
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def _proxy() -> str:
    for entry in os.environ.get("GOPROXY", "").replace("|", ",").split(","):
        if entry.startswith(("https://", "http://")):
            return entry.rstrip("/")
    return "https://proxy.golang.org"


def _download(bundle: CrdBundle) -> bytes:
    url = f"{_proxy()}/{bundle.module}/@v/{bundle.version}.zip"
    try:
        resp = httpx.get(url, timeout=120.0, follow_redirects=True)
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        raise SandboxError(
            f"cannot download {bundle.module} {bundle.version} from {url}: {exc}",
            hint="check network access to the Go module proxy (or set GOPROXY to a mirror)",
        ) from None
    got = zip_h1(resp.content)
    if got != bundle.h1:
        raise SandboxError(
            f"{url} has checksum {got}, expected {bundle.h1}: refusing to use it",
            hint="the proxy served different bytes than the pinned module; report it",
        )
    return resp.content


def fetch_crds(bundle: CrdBundle = CLUSTER_API) -> list[Path]:
    """The bundle's CRD files in the cache, downloading and checking the module on a miss."""
    directory = crd_dir(bundle)
    paths = [directory / Path(f).name for f in bundle.files]
    if all(p.is_file() for p in paths):
        return paths
    data = _download(bundle)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = f"{bundle.module}@{bundle.version}/"
    with zipfile.ZipFile(io.BytesIO(data)) as zf, tempfile.TemporaryDirectory(dir=directory) as tmp:
        for name, path in zip(bundle.files, paths, strict=True):
            staged = Path(tmp) / path.name
            staged.write_bytes(zf.read(prefix + name))
            staged.replace(path)  # atomic: a crash never leaves half a file in the cache
    return paths


def prepare_crd(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` made installable without the controllers: no conversion webhook, one version."""
    spec = dict(doc["spec"])
    spec["conversion"] = {"strategy": "None"}
    spec["versions"] = [{**v, "served": bool(v.get("storage"))} for v in spec["versions"]]
    return {**doc, "spec": spec}


def install_capi_crds(client: Client, timeout: float = 120.0) -> list[str]:
    """Install (or update) Cluster API's CRDs and wait until each is Established and its objects
    can be listed (a new CRD's storage answers 429 "storage is (re)initializing" for a moment
    after it is Established); their names."""
    docs = []
    for path in fetch_crds(CLUSTER_API):
        doc = prepare_crd(yaml.safe_load(path.read_text(encoding="utf-8")))
        crd = cast(CustomResourceDefinition, CustomResourceDefinition.from_dict(doc))
        client.apply(crd, field_manager="kubecurrent-sandbox", force=True)
        docs.append(doc)
    deadline = time.monotonic() + timeout
    for doc in docs:
        name = doc["metadata"]["name"]
        while not (_established(client, name) and _listable(client, doc)):
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"CRD {name} was not Established and listable within {timeout:.0f}s",
                    hint="see the API server log (logs/kube-apiserver.log) for the reason",
                )
            time.sleep(0.2)
    return [doc["metadata"]["name"] for doc in docs]


def _listable(client: Client, doc: dict[str, Any]) -> bool:
    spec, names = doc["spec"], doc["spec"]["names"]
    version = next(v["name"] for v in spec["versions"] if v.get("served"))
    try:
        if spec.get("scope") == "Namespaced":
            res = create_namespaced_resource(spec["group"], version, names["kind"], names["plural"])
            next(iter(client.list(res, namespace="*")), None)
        else:
            glob = create_global_resource(spec["group"], version, names["kind"], names["plural"])
            next(iter(client.list(glob)), None)
    except ApiError:
        return False
    return True


def _established(client: Client, name: str) -> bool:
    with contextlib.suppress(ApiError):
        crd = client.get(CustomResourceDefinition, name)
        conditions = (crd.status.conditions if crd.status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)
    return False
