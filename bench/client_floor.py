#!/usr/bin/env python3
"""The floor under a cluster scan's memory: the least a Python process using kubecurrent's HTTP
stack can do to read a whole cluster, with none of kubecurrent's code.

It loads the kubeconfig and connects the way kubecurrent does (lightkube's kubeconfig support and
its httpx2 client: DESIGN.md keeps kubeconfig parsing, exec plugins and TLS with a maintained
client), asks discovery for every resource that can be listed (the preferred version of each
group), and reads each one metadata-only in pages of 500, as kubecurrent's scan does, keeping
nothing: each page is read and dropped. No catalog, no models, no findings, no output.

bench/scan_cluster.py runs it (``--floor``) in a fresh process interleaved with our scan and
kubent, so its peak RSS, next to kubent's, says which memory goals the runtime and the client
leave reachable. Not a test. By hand: ``.venv/bin/python bench/client_floor.py KUBECONFIG``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx2
from lightkube import KubeConfig
from lightkube.config.client_adapter import AsyncClient, ConnectionParams

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


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
