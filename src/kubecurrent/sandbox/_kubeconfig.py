"""Kubeconfig files for sandboxes: one per identity, and a merged one for a fleet."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubecurrent.sandbox._pki import KeyPair


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Credentials:
    """Who a kubeconfig context authenticates as (a client certificate)."""

    user: str
    pair: KeyPair


def render(cluster: str, server: str, ca_pem: bytes, creds: Credentials) -> dict[str, Any]:
    """A kubeconfig with one cluster, one user and one context, all named after the cluster."""
    user_entry = f"{cluster}-{creds.user}" if creds.user != "admin" else cluster
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster,
                "cluster": {"server": server, "certificate-authority-data": _b64(ca_pem)},
            }
        ],
        "users": [
            {
                "name": user_entry,
                "user": {
                    "client-certificate-data": _b64(creds.pair.cert_pem),
                    "client-key-data": _b64(creds.pair.key_pem),
                },
            }
        ],
        "contexts": [{"name": user_entry, "context": {"cluster": cluster, "user": user_entry}}],
        "current-context": user_entry,
        "preferences": {},
    }


def merge(configs: list[dict[str, Any]]) -> dict[str, Any]:
    """One kubeconfig holding every context of ``configs``; the first one is current."""
    merged: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
        "preferences": {},
    }
    for config in configs:
        for key in ("clusters", "users", "contexts"):
            merged[key].extend(config[key])
    merged["current-context"] = configs[0]["current-context"] if configs else ""
    return merged


def write(path: Path, config: dict[str, Any]) -> Path:
    """Write a kubeconfig readable only by its owner (it holds private keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
