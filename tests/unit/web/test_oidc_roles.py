"""Single sign-on without a network: the settings file, the roles mapping, sessions that carry
the identity, and the dashboard with ID tokens signed here (keys from ``test_oidc_tokens``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from starlette.testclient import TestClient

from kubecurrent.errors import UsageError
from kubecurrent.web import (
    Authenticators,
    ClusterScope,
    IdTokens,
    OidcLogin,
    OidcSettings,
    Role,
    Sessions,
    User,
    WebContext,
    actor_name,
    create_app,
)
from kubecurrent.web._oidc import Provider
from tests.unit.web.conftest import OPERATOR_TOKEN
from tests.unit.web.test_oidc_tokens import CLIENT, ISSUER, KEY_A, Jwks
from tests.unit.web.test_rollouts import FakeFleet, state_of, wait_until

SETTINGS = {
    "issuer": ISSUER,
    "clientId": CLIENT,
    "redirectUri": "http://127.0.0.1:8080/oidc/callback",
    "roles": {
        "operator": ["platform-admins", {"group": "dev-team", "clusters": {"env": "dev"}}],
        "viewer": ["engineering"],
    },
}


def settings(tmp_path: Path, **changes: Any) -> OidcSettings:
    path = tmp_path / "sso.yaml"
    path.write_text(json.dumps(SETTINGS | changes), encoding="utf-8")
    return OidcSettings.load(path)


class TestSettings:
    def test_defaults(self, tmp_path: Path) -> None:
        found = settings(tmp_path)
        assert found.roles_claim == "groups" and found.clock_skew_seconds == 60
        assert found.scopes == ("openid", "profile", "email")

    @pytest.mark.parametrize(
        ("changes", "named"),
        [
            ({"clockSkewSeconds": 3600}, "clockSkewSeconds"),
            ({"scopes": ["profile"]}, "scopes: Value error, must include openid"),
            ({"roles": {}}, "map at least one group"),
            ({"roles": {"viewer": [{"group": "x", "clusters": {"env": "dev"}}]}}, "viewers read"),
            ({"issuer": "login.example.com"}, "issuer"),
            ({"clientSecret": "inline"}, "clientSecret"),
        ],
        ids=["skew", "openid", "no-roles", "viewer-scope", "issuer-url", "secret-in-file"],
    )
    def test_bad_settings_name_the_file_and_field(
        self, tmp_path: Path, changes: dict[str, Any], named: str
    ) -> None:
        with pytest.raises(UsageError) as caught:
            settings(tmp_path, **changes)
        assert named in caught.value.message and "sso.yaml" in caught.value.message


class TestRolesMapping:
    def test_an_unrestricted_operator_entry_wins(self, tmp_path: Path) -> None:
        roles = settings(tmp_path).roles
        granted = roles.grant(["dev-team", "platform-admins", "other"])
        assert granted == (Role.OPERATOR, ClusterScope(), ("dev-team", "platform-admins"))

    def test_a_restricted_operator_operates_matching_clusters_only(self, tmp_path: Path) -> None:
        granted = settings(tmp_path).roles.grant(["dev-team"])
        assert granted is not None
        role, scope, _ = granted
        user = User("x", role, "oidc", scope=scope)
        assert user.may_operate({"env": "dev", "region": "eu"})
        assert not user.may_operate({"env": "prod"}) and not user.may_operate({})
        assert scope.describe() == "env=dev"

    def test_viewers_and_nobody(self, tmp_path: Path) -> None:
        roles = settings(tmp_path).roles
        viewer = roles.grant(["engineering"])
        assert viewer is not None and viewer[0] is Role.VIEWER
        assert not User("v", viewer[0], "oidc", scope=viewer[1]).may_operate({"env": "dev"})
        assert roles.grant(["marketing"]) is None


def test_a_session_carries_the_whole_identity() -> None:
    sessions = Sessions(b"k" * 32)
    user = User(
        actor_name(ISSUER, "00u1", "olga@example.test"),
        Role.OPERATOR,
        "oidc",
        subject="00u1",
        email="olga@example.test",
        groups=("dev-team",),
        scope=ClusterScope(((("env", "dev"),),)),
    )
    _, cookie = sessions.issue(user)
    read = sessions.read(cookie)
    assert read is not None and read.user == user
    assert user.name == "oidc:idp.example.test/00u1 (olga@example.test)"


def id_token(groups: list[str], sub: str = "dana", **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": sub,
        "aud": CLIENT,
        "iat": now,
        "exp": now + 300,
        "email": f"{sub}@example.test",
        "groups": groups,
    } | changes
    return jwt.encode({"alg": "RS256", "kid": KEY_A.kid}, claims, KEY_A)


@pytest.fixture
def sso_client(tmp_path: Path, ctx: WebContext) -> Iterator[TestClient]:
    tokens = IdTokens(ISSUER, CLIENT, "https://idp.example.test/jwks", Jwks(KEY_A))
    provider = Provider(ISSUER, "https://idp/auth", "https://idp/token", "u", frozenset({"RS256"}))
    login = OidcLogin(settings(tmp_path), provider, tokens, None)
    login.on_refusal = lambda action, exc: ctx.audit.write(None, action, "denied", detail=str(exc))
    ctx.auth = Authenticators([login, *ctx.auth.members])
    ctx.runners = FakeFleet()
    with TestClient(create_app(ctx, background=False), follow_redirects=False) as c:
        yield c


def test_a_dev_operator_starts_on_dev_and_cannot_touch_a_rollout_with_prod(
    sso_client: TestClient, ctx: WebContext
) -> None:
    dana = {"Authorization": f"Bearer {id_token(['dev-team'])}"}
    who = sso_client.get("/api/whoami", headers=dana).json()
    assert who == {"user": "oidc:idp.example.test/dana (dana@example.test)", "role": "operator",
                   "via": "oidc"}  # fmt: skip
    body = {"clusters": ["dev-us"], "target": "1.36", "strategy": "waves: [{name: only}]"}
    mine = sso_client.post("/api/rollouts", json=body, headers=dana)
    assert mine.status_code == 201, mine.text
    rid = mine.json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "done", "the dev rollout")
    assert state_of(ctx, rid)["actor"] == who["user"]

    both = {"clusters": ["dev-us", "prod-eu"], "target": "1.36", "confirm": "prod-eu"}
    refused = sso_client.post("/api/rollouts", json=both, headers=dana)
    assert refused.status_code == 403 and "prod-eu" in refused.json()["error"]

    ops = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    theirs = sso_client.post("/api/rollouts", json=both | {"approveLater": True}, headers=ops)
    assert theirs.status_code == 201, theirs.text
    other = theirs.json()["id"]
    for action in ("approve", "pause", "resume", "abort"):
        answer = sso_client.post(f"/api/rollouts/{other}/{action}", headers=dana)
        assert answer.status_code == 403 and "env=dev only" in answer.json()["error"]
    assert ctx.store is not None
    journal = ctx.store.journal(other)
    assert all(e.actor != who["user"] for e in journal)
    records = [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]
    denied = {(r["action"], r["outcome"]) for r in records if r["user"] == who["user"]}
    assert ("web.rollout.abort", "denied") in denied and ("web.rollout.start", "denied") in denied


def test_refused_id_tokens_on_the_api_are_audited_with_the_reason(
    sso_client: TestClient, ctx: WebContext
) -> None:
    cases = {
        "audience": id_token(["platform-admins"], aud="someone-else"),
        "issuer": id_token(["platform-admins"], iss="https://evil.example.test/"),
        "expired": id_token(["platform-admins"], exp=int(time.time()) - 120),
    }
    for token in cases.values():
        answer = sso_client.get("/api/whoami", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    nobody = id_token(["marketing"])
    assert (
        sso_client.get("/api/whoami", headers={"Authorization": f"Bearer {nobody}"}).status_code
        == 401
    )
    records = [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]
    reasons = [r["detail"].split(":")[0] for r in records if r["action"] == "web.oidc.token"]
    assert reasons == list(cases)


def test_the_login_page_offers_single_sign_on_only_when_configured(
    sso_client: TestClient, ctx: WebContext
) -> None:
    assert "Log in with single sign-on" not in sso_client.get("/login").text
    ctx.sso = True
    page = sso_client.get("/login?next=/upgrade").text
    assert 'href="/oidc/login?next=/upgrade"' in page
    started = sso_client.get("/oidc/login?next=//evil.example")
    assert started.status_code == 303
    location = started.headers["location"]
    assert location.startswith("https://idp/auth?response_type=code&client_id=kubecurrent")
    assert "code_challenge_method=S256" in location and "nonce=" in location
    flow = started.cookies.get("kc_oidc") or ""
    assert flow and "next" not in location
    cookie = started.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/oidc/" in cookie
    forged = sso_client.get("/oidc/callback?code=x&state=not-the-state")
    assert forged.status_code == 400 and "start again" in forged.text


def test_a_session_cookie_is_no_sign_in_cookie(sso_client: TestClient, ctx: WebContext) -> None:
    """Both are signed with one key; a signed value of another kind never reads as a flow."""
    _, session_cookie = ctx.sessions.issue(User("olga", Role.OPERATOR, "password"))
    sso_client.cookies.set("kc_oidc", session_cookie, path="/oidc/")
    answer = sso_client.get("/oidc/callback?code=x&state=anything")
    assert answer.status_code == 400 and "start again" in answer.text
    records = [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]
    assert records[-1]["action"] == "web.oidc.login" and records[-1]["outcome"] == "denied"
