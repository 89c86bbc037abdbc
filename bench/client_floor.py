#!/usr/bin/env python3
"""The floor under a cluster scan's memory: the least a Python process using kubecurrent's HTTP
stack can do to read a whole cluster, with none of kubecurrent's code.

It loads the kubeconfig and connects the way kubecurrent does (lightkube's kubeconfig support and
its httpx2 client: DESIGN.md keeps kubeconfig parsing, exec plugins and TLS with a maintained
client), asks discovery for every resource that can be listed (the preferred version of each
group), and reads each one metadata-only in pages of 500, as kubecurrent's scan does, keeping
nothing: each page is read and dropped. No catalog, no models, no findings, no output.

``--stdlib`` does the same with no HTTP client at all: the standard library's ``http.client``
and ``ssl`` on one kept-alive connection, PyYAML for the kubeconfig (client certificates or a
token only: no exec plugins, no proxies). It is what a hand-written transport could weigh at
best: the floor under the floor.

bench/scan_cluster.py runs both (``--floor``) in fresh processes interleaved with our scan and
kubent, so their peak RSS, next to kubent's, says which memory goals the runtime and the client
leave reachable. Not a test. By hand: ``.venv/bin/python bench/client_floor.py [--stdlib]
KUBECONFIG``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
LIMIT = 500


async def listable(client: Any) -> list[str]:
    """The list path of every resource discovery offers with the ``list`` verb."""
    bases = ["/api/v1"]
    groups = json.loads((await client.get("/apis")).content)["groups"]
    bases += [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups]
    paths = []
    for base in bases:
        for res in json.loads((await client.get(base)).content)["resources"]:
            if "/" not in res["name"] and "list" in res.get("verbs", ()):
                paths.append(f"{base}/{res['name']}")
    return paths


async def read_all(client: Any, path: str) -> int:
    """Every page of ``path``, metadata-only; the number of objects seen."""
    seen, token = 0, ""
    while True:
        params = {"limit": LIMIT, **({"continue": token} if token else {})}
        resp = await client.get(path, params=params, headers={"Accept": ACCEPT})
        if resp.status_code != 200:
            return seen
        page = json.loads(resp.content)
        seen += len(page.get("items") or ())
        token = page.get("metadata", {}).get("continue") or ""
        if not token:
            return seen


async def main(kubeconfig: Path) -> None:
    import httpx2
    from lightkube import KubeConfig
    from lightkube.config.client_adapter import AsyncClient, ConnectionParams

    config = KubeConfig.from_file(kubeconfig).get()
    if config is None:
        sys.exit(f"{kubeconfig}: no current context; name a kubeconfig with one")
    client = AsyncClient(config, ConnectionParams(timeout=httpx2.Timeout(600), trust_env=False))
    try:
        paths = await listable(client)
        counts = [await read_all(client, p) for p in paths]  # one at a time: the least memory
    finally:
        await client.aclose()
    print(json.dumps({"resources": len(paths), "objects": sum(counts)}))


def stdlib(kubeconfig: Path) -> None:
    """The same reads with ``http.client`` and ``ssl`` on one connection."""
    import http.client
    import ssl
    from urllib.parse import urlencode, urlsplit

    import yaml

    doc = yaml.safe_load(kubeconfig.read_text())
    ctx = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])
    tls = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode()
    )
    headers = {"Authorization": f"Bearer {user['token']}"} if "token" in user else {}
    with tempfile.TemporaryDirectory() as tmp:
        if "client-certificate-data" in user:
            cert, key = Path(tmp, "cert"), Path(tmp, "key")
            cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
            key.write_bytes(base64.b64decode(user["client-key-data"]))
            tls.load_cert_chain(cert, key)
        server = urlsplit(cluster["server"])
        conn = http.client.HTTPSConnection(server.hostname or "", server.port, context=tls)

        def get(path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
            query = f"?{urlencode(params)}" if params else ""
            conn.request("GET", path + query, headers={**headers, "Accept": ACCEPT})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())

        bases = ["/api/v1"]
        groups = get("/apis")[1]["groups"]
        bases += [f"/apis/{g['preferredVersion']['groupVersion']}" for g in groups]
        paths = [
            f"{base}/{res['name']}"
            for base in bases
            for res in get(base)[1]["resources"]
            if "/" not in res["name"] and "list" in res.get("verbs", ())
        ]
        seen = 0
        for path in paths:
            token = ""
            while True:
                status, page = get(path, {"limit": LIMIT, **({"continue": token} if token else {})})
                if status != 200:
                    break
                seen += len(page.get("items") or ())
                token = page.get("metadata", {}).get("continue") or ""
                if not token:
                    break
        conn.close()
    print(json.dumps({"resources": len(paths), "objects": seen}))


if __name__ == "__main__":
    if sys.argv[1] == "--stdlib":
        stdlib(Path(sys.argv[2]))
    else:
        asyncio.run(main(Path(sys.argv[1])))
