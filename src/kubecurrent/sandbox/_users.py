"""Kubeconfigs for any user and groups, signed by the sandbox's CA (for RBAC tests)."""

from __future__ import annotations

import re
from pathlib import Path

from kubecurrent.errors import UsageError
from kubecurrent.sandbox import _kubeconfig
from kubecurrent.sandbox._pki import CertificateAuthority
from kubecurrent.sandbox._state import require, run_dir

_USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:@._-]{0,62}$")


def mint_user(name: str, user: str, groups: tuple[str, ...] = ()) -> Path:
    """Write ``users/<user>.kubeconfig`` for ``user`` in ``groups``; returns its path."""
    if not _USER_RE.match(user) or any(not _USER_RE.match(g) for g in groups):
        raise UsageError(
            f"user {user!r} or groups {list(groups)} contain characters a client certificate "
            "name should not",
            hint="use letters, digits and : @ . _ - (e.g. alice, system:serviceaccount:x:y)",
        )
    state = require(name)
    pki = run_dir(name) / "pki"
    ca = CertificateAuthority.load(pki / "ca.crt", pki / "ca.key")
    creds = _kubeconfig.Credentials(user, ca.issue(user, organizations=groups))
    config = _kubeconfig.render(name, state.server, ca.pair.cert_pem, creds)
    safe = user.replace(":", "_")
    return _kubeconfig.write(run_dir(name) / "users" / f"{safe}.kubeconfig", config)
