"""Who may use the dashboard: users with a role, and the authenticators that recognise them.

Two built-in authenticators, tried in order by ``Authenticators``:

- ``UsersFile``: a YAML file of users with hashed passwords (``scrypt$…`` or ``pbkdf2_sha256$…``)
  for the login form::

      users:
        - {name: alice, role: operator, passwordHash: "scrypt$16384$8$1$<salt>$<hash>"}
        - {name: bob, role: viewer, passwordHash: "pbkdf2_sha256$600000$<salt>$<hash>"}

- ``Tokens``: bearer tokens given at start (``KUBECURRENT_SERVE_OPERATOR_TOKEN``,
  ``KUBECURRENT_SERVE_VIEWER_TOKEN``), for ``Authorization: Bearer`` on ``/api`` and for the login
  form with the user name left empty.

Single sign-on (``_oidc``) implements the same protocol: its ``routes()`` add the redirect
to the provider and the callback, and ``bearer`` takes the provider's ID tokens on ``/api``. Every comparison of a secret is
constant-time; an unknown user costs the same hash as a known one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.routing import BaseRoute

from kubecurrent.errors import UsageError
from kubecurrent.useryaml import load_user_yaml

MIN_TOKEN_LENGTH = 16
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_MAX_N = 2**20
SCRYPT_MAX_MEMORY = 2**27
"""Bytes scrypt may use for one login (128·N·r·p), the ``maxmem`` given to hashlib."""
PBKDF2_MIN_ITERATIONS = 100_000
PBKDF2_MAX_ITERATIONS = 10_000_000
MIN_SALT, MIN_DIGEST = 8, 16
HASH_HINT = "make a hash with `kubecurrent serve --hash-password` and paste it as passwordHash"


class Role(StrEnum):
    """What a user may do: viewers read; operators also refresh, and (with the rollout module)
    start, approve, pause and abort."""

    VIEWER = "viewer"
    OPERATOR = "operator"

    def allows(self, needed: Role) -> bool:
        order = (Role.VIEWER, Role.OPERATOR)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class ClusterScope:
    """Which clusters an operator may act on: every one (``selectors`` None) or those whose
    labels match at least one selector (every label of the selector, exactly)."""

    selectors: tuple[tuple[tuple[str, str], ...], ...] | None = None

    def allows(self, labels: Mapping[str, str]) -> bool:
        if self.selectors is None:
            return True
        return any(all(labels.get(k) == v for k, v in s) for s in self.selectors)

    def describe(self) -> str:
        if self.selectors is None:
            return "every cluster"
        return " or ".join(",".join(f"{k}={v}" for k, v in s) for s in self.selectors)


EVERY_CLUSTER = ClusterScope()


@dataclass(frozen=True)
class User:
    """An authenticated identity: what the web layer reads about who is acting.

    ``name`` is the actor as recorded in the dashboard's audit log, the rollout journals and the
    change records: the user name (users file), ``operator-token``/``viewer-token``, or for single
    sign-on ``oidc:<issuer host and path>/<subject> (<email>)``. The other fields are filled by
    single sign-on only."""

    name: str
    role: Role
    via: str
    """Which authenticator vouched for it: ``password``, ``token`` or ``oidc``."""
    subject: str = ""
    """The provider's ``sub`` claim."""
    email: str = ""
    groups: tuple[str, ...] = ()
    """The groups (role claim values) of the person that the roles mapping names."""
    scope: ClusterScope = EVERY_CLUSTER
    """Where an operator may start, approve, pause, resume and abort rollouts."""

    def may_operate(self, labels: Mapping[str, str]) -> bool:
        """Whether this user may change a cluster with ``labels``."""
        return self.role.allows(Role.OPERATOR) and self.scope.allows(labels)


class Authenticator(Protocol):
    """Turns credentials into a ``User``; None means "not mine or wrong"."""

    def login(self, username: str, secret: str) -> User | None:
        """The login form (user name and password, or an empty name and a token)."""
        ...

    def bearer(self, token: str) -> User | None:
        """An ``Authorization: Bearer`` header on an API request."""
        ...

    def routes(self) -> Sequence[BaseRoute]:
        """Extra public routes the authenticator needs (an OIDC redirect callback)."""
        ...


# -- password hashes ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    """Strict URL-safe base64 (padding optional); anything else is a ValueError."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` of ``password`` (a fresh random salt by default)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_hash_format(encoded: str) -> str | None:
    """What is wrong with a stored hash, or None when it can be verified safely.

    Checked in full before the server starts: the scheme, every number, strict base64, a salt of
    at least ``MIN_SALT`` bytes and a digest of at least ``MIN_DIGEST`` bytes (a 1-byte digest is
    guessed in a few hundred tries), and cost parameters bounded so one login cannot take seconds
    or exhaust memory."""
    parts = encoded.split("$")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            if n < 2**10 or n > SCRYPT_MAX_N or n & (n - 1):
                return f"scrypt N must be a power of two from 1024 to {SCRYPT_MAX_N}"
            if not 1 <= r <= 32 or not 1 <= p <= 16 or 128 * n * r * p > SCRYPT_MAX_MEMORY:
                return (
                    "scrypt r must be 1-32 and p 1-16, with 128*N*r*p at most "
                    f"{SCRYPT_MAX_MEMORY // 2**20} MiB"
                )
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            iterations = int(parts[1])
            if not PBKDF2_MIN_ITERATIONS <= iterations <= PBKDF2_MAX_ITERATIONS:
                return (
                    f"pbkdf2_sha256 needs {PBKDF2_MIN_ITERATIONS} to {PBKDF2_MAX_ITERATIONS} "
                    "iterations"
                )
        else:
            return "not scrypt$N$r$p$salt$hash or pbkdf2_sha256$iterations$salt$hash"
        salt, digest = _unb64(parts[-2]), _unb64(parts[-1])
    except (ValueError, binascii.Error):
        return "numbers or base64 in the hash do not parse"
    if len(salt) < MIN_SALT:
        return f"the salt is {len(salt)} bytes: at least {MIN_SALT} are needed"
    if not MIN_DIGEST <= len(digest) <= 64:
        return f"the digest is {len(digest)} bytes: {MIN_DIGEST} to 64 are needed"
    return None


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time comparison of the digests)."""
    parts = encoded.split("$")
    salt, expected = _unb64(parts[-2]), _unb64(parts[-1])
    if parts[0] == "scrypt":
        n, r, p = (int(x) for x in parts[1:4])
        digest = hashlib.scrypt(
            password.encode(),
            salt=salt,
            n=n,
            r=r,
            p=p,
            dklen=len(expected),
            maxmem=SCRYPT_MAX_MEMORY + 2**20,
        )
    else:
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, int(parts[1]))
    return hmac.compare_digest(digest, expected)


_DUMMY_HASH = hash_password("no such user", salt=b"kubecurrent-web!")


# -- users file --------------------------------------------------------------------------------


class _UserEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._@-]+$")
    role: Role
    password_hash: str = Field(alias="passwordHash", min_length=1)


class _UsersDoc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: list[_UserEntry] = Field(min_length=1)


class UsersFile:
    """Users with hashed passwords from a YAML file, for the login form."""

    def __init__(self, entries: Iterable[tuple[str, Role, str]]) -> None:
        self._users = {name: (role, digest) for name, role, digest in entries}

    @classmethod
    def load(cls, path: Path) -> UsersFile:
        """Read and check ``path``; every error names the file, the user and the next step."""
        raw = load_user_yaml(path, "users file")
        try:
            doc = _UsersDoc.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
            )
            raise UsageError(
                f"{path}: not a users file: {problems}",
                hint="write `users: [{name: alice, role: operator|viewer, passwordHash: ...}]`",
            ) from None
        names = [u.name for u in doc.users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise UsageError(f"{path}: users listed twice: {', '.join(dupes)}", hint="keep one")
        for u in doc.users:
            problem = check_hash_format(u.password_hash)
            if problem:
                raise UsageError(f"{path}: user {u.name}: passwordHash: {problem}", hint=HASH_HINT)
        return cls((u.name, u.role, u.password_hash) for u in doc.users)

    def login(self, username: str, secret: str) -> User | None:
        role, digest = self._users.get(username, (None, _DUMMY_HASH))
        matched = verify_password(secret, digest)
        return User(username, role, "password") if matched and role is not None else None

    def bearer(self, token: str) -> User | None:
        return None

    def routes(self) -> Sequence[BaseRoute]:
        return ()


class Tokens:
    """Bearer tokens set at start, one per role; each is also a login secret."""

    def __init__(self, by_role: dict[Role, str]) -> None:
        for role, token in by_role.items():
            if len(token) < MIN_TOKEN_LENGTH:
                raise UsageError(
                    f"the {role.value} token is shorter than {MIN_TOKEN_LENGTH} characters",
                    hint="make one with `python3 -c 'import secrets; print(secrets.token_urlsafe())'`",
                )
        if len(set(by_role.values())) != len(by_role):
            raise UsageError(
                "the operator and viewer tokens are the same", hint="give each role its own token"
            )
        self._tokens = dict(by_role)

    def bearer(self, token: str) -> User | None:
        found = None
        for role, expected in self._tokens.items():  # compare every one: no early exit
            if hmac.compare_digest(token.encode(), expected.encode()):
                found = User(f"{role.value}-token", role, "token")
        return found

    def login(self, username: str, secret: str) -> User | None:
        return self.bearer(secret) if not username else None

    def routes(self) -> Sequence[BaseRoute]:
        return ()


class Authenticators:
    """Several authenticators, asked in order; the first that recognises the user wins."""

    def __init__(self, members: Sequence[Authenticator]) -> None:
        if not members:
            raise UsageError(
                "nobody could log in: no users file and no token",
                hint="pass --users FILE, or set KUBECURRENT_SERVE_OPERATOR_TOKEN "
                "(and KUBECURRENT_SERVE_VIEWER_TOKEN) in the environment",
            )
        self.members = tuple(members)

    def login(self, username: str, secret: str) -> User | None:
        return next((u for a in self.members if (u := a.login(username, secret))), None)

    def bearer(self, token: str) -> User | None:
        return next((u for a in self.members if (u := a.bearer(token))), None)

    def routes(self) -> Sequence[BaseRoute]:
        return [r for a in self.members for r in a.routes()]
