"""A dashboard over saved inventories (no cluster), with one user and one token per role."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.collect.cluster import ClusterResult, ClusterTarget
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.rollout import ClusterRef, Store
from kubecurrent.web import (
    Authenticators,
    FleetState,
    Role,
    Sessions,
    Throttle,
    Tokens,
    UsersFile,
    WebAudit,
    WebContext,
    create_app,
    hash_password,
)

TODAY = dt.date(2026, 11, 25)
OPERATOR_TOKEN = "operator-token-0123456789abcdef"
VIEWER_TOKEN = "viewer-token-0123456789abcdef"
PASSWORDS = {"olga": "olga-secret-pw", "vince": "vince-secret-pw"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def inventory(name: str, cp: str, labels: dict[str, str], **extra: Any) -> ClusterInventory:
    return ClusterInventory.model_validate(
        {
            "name": name,
            "controlPlane": cp,
            "serverVersion": f"v{cp}",
            "labels": labels,
            "endOfLife": "2026-02-28" if cp.startswith("1.33") else "2027-06-28",
            "nodePools": [{"name": "general", "kubelet": cp, "nodes": 3}],
            "addons": [{"name": "cert-manager", "version": "1.15.3"}],
            **extra,
        }
    )


FLEET = [
    inventory("prod-eu", "1.33.5", {"env": "prod", "region": "eu"}, cves=["CVE-2024-7598"]),
    inventory(
        "dev-us",
        "1.36.3",
        {"env": "dev", "region": "us", "owner": "<i>ops</i>"},
        apiEvidence=[
            {
                "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3",
                "kind": "FlowSchema",
                "source": "managed-fields",
                "manager": "old-flow-client",
                "count": 1,
                "examples": ["my-flow"],
            }
        ],
    ),
]


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(tmp_path: Path, catalog: Catalog, clock: Clock) -> WebContext:
    users = tmp_path / "users.yaml"
    users.write_text(
        "users:\n"
        f"  - {{name: olga, role: operator, passwordHash: '{hash_password(PASSWORDS['olga'])}'}}\n"
        f"  - {{name: vince, role: viewer, passwordHash: '{hash_password(PASSWORDS['vince'])}'}}\n",
        encoding="utf-8",
    )
    results = [ClusterResult(ClusterTarget(i.name, labels=dict(i.labels)), i) for i in FLEET]
    results.append(
        ClusterResult(
            ClusterTarget("gone", labels={"env": "prod", "region": "us"}),
            error="cannot reach https://10.0.0.9:6443 (connection refused)",
        )
    )

    async def collect() -> list[ClusterResult]:
        return results

    fleet = FleetState(catalog, collect, today=lambda: TODAY)
    asyncio.run(fleet.refresh())
    return WebContext(
        catalog=catalog,
        fleet=fleet,
        auth=Authenticators(
            [
                UsersFile.load(users),
                Tokens({Role.OPERATOR: OPERATOR_TOKEN, Role.VIEWER: VIEWER_TOKEN}),
            ]
        ),
        sessions=Sessions(b"k" * 32, ttl=3600, clock=clock),
        audit=WebAudit(tmp_path / "audit.jsonl"),
        store=Store(tmp_path / "rollouts.db"),
        cluster_refs=tuple(ClusterRef(i.name, labels=dict(i.labels)) for i in FLEET),
        fleet_source="fleet.yaml",
        today=lambda: TODAY,
        throttle=Throttle(clock=clock),
    )


@pytest.fixture
def client(ctx: WebContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx, background=False), follow_redirects=False) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def login(client: TestClient, user: str, password: str) -> str:
    """Log in through the form; returns the session's CSRF token (from the fleet page)."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)
