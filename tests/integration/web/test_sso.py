"""Single sign-on in headless Chromium against a real OpenID Connect provider (Ory Hydra).

The dashboard (``kubecurrent serve --oidc FILE``) serves a fresh sandbox (1.36 with a 1.35 kwok
pool), labelled ``env=dev``, and a cluster labelled ``env=prod`` that is never reached. People sign in at Hydra
through the tests' login/consent app (``tests/integration/oidc_provider.py``), which puts their
groups into the ID token: an operator-group member starts a rollout with the Upgrade button and is
the recorded actor; a viewer is refused; an ``env=dev`` operator is refused the prod cluster; a
person whose groups map to no role is refused. ID tokens on the API: valid, tampered, ``alg:
none`` and expired ones; a rotated signing key is accepted after the JWKS is fetched again.
A provider that refuses the client secret at the first code exchange shows a clear page, and
misconfigured settings stop the server at start naming the setting.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kubecurrent import sandbox as sb
from kubecurrent.collect.cluster import kubeconfig_contexts
from kubecurrent.web import OIDC_SECRET_ENV
from tests.integration.conftest import guard, start_sandbox
from tests.integration.oidc_provider import CLIENT_SECRET, Hydra, run_hydra
from tests.integration.web.conftest import csrf, free_port, run_serve, shot

SKEW = 1
DEV = "sso-dev"


@dataclass(frozen=True)
class Sso:
    url: str
    hydra: Hydra
    audit_log: Path
    state: Path
    settings: Path
    fleet: Path
    work: Path

    def actor(self, person: str) -> str:
        host = self.hydra.issuer.removeprefix("http://").rstrip("/")
        return f"oidc:{host}/{person} ({person}@example.test)"

    def audit(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.audit_log.read_text().splitlines()]


def write_settings(path: Path, hydra: Hydra, redirect: str, **changes: Any) -> Path:
    settings = {
        "issuer": hydra.issuer,
        "clientId": hydra.client_id,
        "redirectUri": redirect,
        "roles": {
            "operator": ["platform-admins", {"group": "dev-operators", "clusters": {"env": "dev"}}],
            "viewer": ["engineering"],
        },
        "clockSkewSeconds": SKEW,
        "jwksRefreshSeconds": 1,
    } | changes
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sso(sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sso]:
    work = tmp_path_factory.mktemp("sso")
    box = start_sandbox(sandbox_home, DEV, "1.36", ("default=2@1.35.4",))
    try:
        guard(box, box.kubeconfig)
        _, context = kubeconfig_contexts(box.kubeconfig)
        fleet = {
            "defaults": {"kubeconfig": str(box.kubeconfig), "timeout": 60},
            "clusters": [
                {"name": DEV, "context": context, "labels": {"env": "dev"}},
                {"name": "prod-eu", "context": "no-such-context", "labels": {"env": "prod"}},
            ],
        }
        (work / "fleet.yaml").write_text(yaml.safe_dump(fleet), encoding="utf-8")
        yield from _serve(work)
    finally:
        sb.down(DEV)


def _serve(work: Path) -> Iterator[Sso]:
    with run_hydra(work) as hydra:
        port = free_port()
        redirect = f"http://127.0.0.1:{port}/oidc/callback"
        hydra.add_redirect(redirect)
        settings = write_settings(work / "sso.yaml", hydra, redirect)
        args = ["--fleet", str(work / "fleet.yaml"), "--oidc", str(settings)]
        args += ["--state", str(work / "rollouts.db")]
        with run_serve(work, args, port=port, env={OIDC_SECRET_ENV: CLIENT_SECRET}) as (url, _log):
            yield Sso(
                url,
                hydra,
                work / "audit.jsonl",
                work / "rollouts.db",
                settings,
                work / "fleet.yaml",
                work,
            )


@pytest.fixture
def people(browser: Browser, sso: Sso) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for ctx in made:
        ctx.close()


def signed_in(browser: Browser, sso: Sso, made: list[BrowserContext], person: str) -> Page:
    """A fresh browser context signed in as ``person`` through the provider."""
    ctx = browser.new_context(base_url=sso.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(20_000)
    made.append(ctx)
    page = ctx.new_page()
    page.goto("/")
    page.wait_for_url("**/login?next=/")
    page.get_by_role("link", name="Log in with single sign-on").click()
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    page.get_by_label("Account").fill(person)
    page.get_by_role("button", name="Sign in").click()
    return page


def test_an_operator_group_member_starts_a_rollout_and_others_are_refused(
    browser: Browser, sso: Sso, people: list[BrowserContext], screenshots: Path
) -> None:
    page = signed_in(browser, sso, people, "olga")
    page.wait_for_url(f"{sso.url}/")
    expect(page.get_by_text(sso.actor("olga"))).to_be_visible()
    shot(page, screenshots, "sso-fleet")
    cookie = next(c for c in page.context.cookies() if c["name"] == "kc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upgrade").click()
    page.get_by_role("checkbox", name="prod-eu").uncheck()
    page.get_by_label("Target").select_option("1.36")
    page.get_by_role("button", name="Review the rollout").click()
    page.get_by_role("button", name="Start the rollout").click()
    page.wait_for_url(re.compile(r"/rollouts/r-[\w-]+\?done=started$"))
    rid = re.search(r"/rollouts/(r-[\w-]+)", page.url).group(1)  # type: ignore[union-attr]
    expect(page.locator("#rollout-status")).to_contain_text(
        "done (1 of 1 clusters done)", timeout=420_000
    )
    shot(page, screenshots, "sso-rollout")
    status = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "rollout", "status", "--state", str(sso.state),
         "-o", "json"],
        capture_output=True, text=True, timeout=60, env=os.environ,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    snap = json.loads(status.stdout)
    assert snap["id"] == rid and snap["actor"] == sso.actor("olga") and snap["state"] == "done"
    steps = [s["type"] for w in snap["waves"] for c in w["clusters"] for s in c["steps"]]
    assert "node-pool" in steps  # the 1.35 kwok pool was really rolled

    # A viewer-group member: no Upgrade form, and the POST is refused.
    viewer = signed_in(browser, sso, people, "vince")
    viewer.wait_for_url(f"{sso.url}/")
    viewer.goto("/upgrade")
    expect(viewer.get_by_text("Only operators start")).to_be_visible()
    form: dict[str, str | float | bool] = {"csrf_token": csrf(viewer), "clusters": DEV}
    refused = viewer.request.post("/upgrade", form=form, max_redirects=0)
    assert refused.status == 403 and "operator" in refused.text()

    # An operator of env=dev clusters only: the prod cluster is refused, before any work.
    dana = signed_in(browser, sso, people, "dana")
    dana.wait_for_url(f"{sso.url}/")
    form = {"csrf_token": csrf(dana), "clusters": "prod-eu", "target": "1.36"}
    refused = dana.request.post("/upgrade", form=form, max_redirects=0)
    assert refused.status == 403 and "env=dev only" in refused.text()

    # Signed in at the provider, but no group of this person has a role here.
    eve = signed_in(browser, sso, people, "eve")
    expect(eve.get_by_text("none of your groups is given a role here")).to_be_visible()
    shot(eve, screenshots, "sso-no-role")

    records = {(r["user"], r["action"], r["outcome"]) for r in sso.audit()}
    assert (sso.actor("olga"), "web.oidc.login", "ok") in records
    assert (sso.actor("olga"), "web.rollout.start", "ok") in records
    assert (sso.actor("vince"), "web.post /upgrade", "denied") in records
    assert (sso.actor("dana"), "web.rollout.start", "denied") in records
    assert ("anonymous", "web.oidc.login", "denied") in records


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    parsed: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return parsed


def _whoami(sso: Sso, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{sso.url}/api/whoami", headers=headers, timeout=10)


def test_id_tokens_on_the_api_tampered_none_and_expired_ones_refused(sso: Sso) -> None:
    token = sso.hydra.id_token("vince")
    accepted = _whoami(sso, token)
    assert accepted.status_code == 200
    assert accepted.json() == {"user": sso.actor("vince"), "role": "viewer", "via": "oidc"}

    head, _, sig = token.split(".")
    promoted = _claims(token) | {"groups": ["platform-admins"]}
    assert _whoami(sso, f"{head}.{_b64(promoted)}.{sig}").status_code == 401
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(promoted)}."
    assert _whoami(sso, unsigned).status_code == 401

    wait = _claims(token)["exp"] + SKEW + 1 - time.time()
    time.sleep(max(wait, 0))
    assert _whoami(sso, token).status_code == 401

    denied = [r["detail"] for r in sso.audit() if r["action"] == "web.oidc.token"]
    assert any(d.startswith("signature:") for d in denied)
    assert any(d.startswith("algorithm:") for d in denied)
    assert any(d.startswith("expired:") for d in denied)


def test_a_rotated_signing_key_is_accepted_after_the_jwks_is_fetched_again(
    browser: Browser, sso: Sso, people: list[BrowserContext]
) -> None:
    kid = sso.hydra.rotate_key()
    token = sso.hydra.id_token("olga")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["kid"] == kid  # the provider signs with the new key
    time.sleep(1.1)  # the JWKS refetch is rate-limited to once a second here
    assert _whoami(sso, token).status_code == 200
    page = signed_in(browser, sso, people, "olga")
    page.wait_for_url(f"{sso.url}/")
    expect(page.get_by_text(sso.actor("olga"))).to_be_visible()


def test_a_client_secret_refused_at_the_first_code_exchange_shows_a_clear_page(
    browser: Browser, sso: Sso, people: list[BrowserContext], screenshots: Path
) -> None:
    url = f"{sso.hydra.admin}/admin/clients/{sso.hydra.client_id}"
    client = httpx.get(url, timeout=10).raise_for_status().json()
    httpx.put(url, json=client | {"client_secret": "rotated-elsewhere-" + "x" * 16}, timeout=10)
    try:
        page = signed_in(browser, sso, people, "olga")
        expect(page.get_by_text("refused this dashboard's client credentials")).to_be_visible()
        expect(page.get_by_text(OIDC_SECRET_ENV)).to_be_visible()
        shot(page, screenshots, "sso-bad-secret")
    finally:
        httpx.put(url, json=client | {"client_secret": CLIENT_SECRET}, timeout=10)
    details = [r["detail"] for r in sso.audit() if r["action"] == "web.oidc.login"]
    assert any("invalid_client" in d for d in details)


def _serve_exits(sso: Sso, settings: Path, secret: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kubecurrent", "serve", "--fleet", str(sso.fleet)]
    cmd += ["--oidc", str(settings), "--listen", f"127.0.0.1:{free_port()}"]
    cmd += ["--audit-log", str(sso.work / "start-audit.jsonl")]
    env = os.environ | {OIDC_SECRET_ENV: secret}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env)


@pytest.mark.parametrize(
    ("change", "secret", "named"),
    [
        ({"issuer": "WRONG"}, CLIENT_SECRET, "the provider announces issuer"),
        ({"issuer": "http://127.0.0.1:9/"}, CLIENT_SECRET, "cannot read the discovery document"),
        ({}, "not-the-secret-0123456789", OIDC_SECRET_ENV),
        ({"clockSkewSeconds": 3600}, CLIENT_SECRET, "clockSkewSeconds"),
    ],
    ids=["wrong-issuer", "unreachable", "bad-secret", "skew-too-large"],
)
def test_a_misconfigured_provider_stops_the_server_at_start(
    sso: Sso, tmp_path: Path, change: dict[str, Any], secret: str, named: str
) -> None:
    if change.get("issuer") == "WRONG":
        change = {"issuer": sso.hydra.issuer.rstrip("/")}  # no trailing slash: another issuer
    settings = write_settings(
        tmp_path / "sso.yaml", sso.hydra, f"{sso.url}/oidc/callback", **change
    )
    done = _serve_exits(sso, settings, secret)
    assert done.returncode != 0
    assert named in done.stderr, done.stderr
    assert "dashboard on" not in done.stderr
