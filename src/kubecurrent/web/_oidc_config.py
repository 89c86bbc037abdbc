"""The single sign-on settings (``kubecurrent serve --oidc FILE``) and the roles mapping.

The file::

    issuer: https://login.example.com/          # the provider (its discovery document is read)
    clientId: kubecurrent
    redirectUri: https://kubecurrent.example.com/oidc/callback
    scopes: [openid, profile, email]            # default; add what puts the role claim in
    rolesClaim: groups                          # default
    roles:
      operator:
        - platform-admins                       # operators of every cluster
        - {group: dev-team, clusters: {env: dev}}   # operators of env=dev clusters only
      viewer: [engineering]
    clockSkewSeconds: 60                        # default, at most 300
    jwksRefreshSeconds: 30                      # fewest seconds between two JWKS fetches

The client secret never sits in the file: ``KUBECURRENT_SERVE_OIDC_CLIENT_SECRET`` (a public
client with PKCE only when unset). A person whose claim values match no entry gets no role and
is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kubecurrent.errors import UsageError
from kubecurrent.useryaml import load_user_yaml
from kubecurrent.web._auth import EVERY_CLUSTER, ClusterScope, Role

MAX_CLOCK_SKEW = 300
CONFIG_HINT = "see docs/dashboard.md, section Single sign-on, for the file's fields"


class RoleRule(BaseModel):
    """One entry of the roles mapping: a claim value, and optionally the clusters it covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    group: str = Field(min_length=1)
    clusters: dict[str, str] = Field(default_factory=dict)
    """Cluster labels (``env: dev``): the role holds on clusters with all of them only."""


def _rules(value: Any) -> Any:
    if isinstance(value, list):
        return [{"group": v} if isinstance(v, str) else v for v in value]
    return value


class RolesMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    operator: tuple[RoleRule, ...] = ()
    viewer: tuple[RoleRule, ...] = ()

    _plain = field_validator("operator", "viewer", mode="before")(_rules)

    @field_validator("viewer")
    @classmethod
    def _viewers_everywhere(cls, rules: tuple[RoleRule, ...]) -> tuple[RoleRule, ...]:
        if any(r.clusters for r in rules):
            raise ValueError("viewers read every cluster: `clusters` is for operator entries")
        return rules

    def grant(self, values: Sequence[str]) -> tuple[Role, ClusterScope, tuple[str, ...]] | None:
        """The role, operator scope and matched values for a person's claim values; None when
        nothing matches. An unrestricted operator entry beats restricted ones; a restricted
        operator is a viewer elsewhere."""
        have = set(values)
        ops = [r for r in self.operator if r.group in have]
        views = [r for r in self.viewer if r.group in have]
        matched = tuple(sorted({r.group for r in (*ops, *views)}))
        if any(not r.clusters for r in ops):
            return Role.OPERATOR, EVERY_CLUSTER, matched
        if ops:
            selectors = tuple(dict.fromkeys(tuple(sorted(r.clusters.items())) for r in ops))
            return Role.OPERATOR, ClusterScope(selectors), matched
        if views:
            return Role.VIEWER, ClusterScope(()), matched
        return None


class OidcSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    issuer: str = Field(pattern=r"^https?://[^\s]+$")
    client_id: str = Field(alias="clientId", min_length=1)
    redirect_uri: str = Field(alias="redirectUri", pattern=r"^https?://[^\s]+$")
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    roles_claim: str = Field(alias="rolesClaim", default="groups", min_length=1)
    roles: RolesMapping
    clock_skew_seconds: int = Field(alias="clockSkewSeconds", default=60, ge=0, le=MAX_CLOCK_SKEW)
    jwks_refresh_seconds: float = Field(alias="jwksRefreshSeconds", default=30.0, ge=0, le=3600)

    @field_validator("scopes")
    @classmethod
    def _openid(cls, scopes: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in scopes:
            raise ValueError("must include openid")
        return scopes

    @field_validator("roles")
    @classmethod
    def _someone(cls, roles: RolesMapping) -> RolesMapping:
        if not roles.operator and not roles.viewer:
            raise ValueError("map at least one group to operator or viewer")
        return roles

    @classmethod
    def load(cls, path: Path) -> OidcSettings:
        """Read and check ``path``; every problem names the file and the field."""
        raw = load_user_yaml(path, "single sign-on settings")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
            )
            raise UsageError(f"{path}: {problems}", hint=CONFIG_HINT) from None
