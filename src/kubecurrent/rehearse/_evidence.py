"""A rehearsal's evidence file read back (``rehearse --report FILE.json``), to attach it to a
rollout: which cluster, from which version to which target, and whether it passed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from kubecurrent.errors import UsageError
from kubecurrent.model import MinorVersion

__all__ = ["RehearsalSummary", "read_summary"]


@dataclass(frozen=True)
class RehearsalSummary:
    file: str
    sha256: str
    cluster: str
    source_version: str
    target: str
    ok: bool
    hops: tuple[str, ...]
    refused: int
    warned: int
    unreadable: int
    interrupted: str

    def reaches(self, target: str) -> bool:
        """Whether it rehearsed up to ``target``'s minor (``1.37`` or ``1.37.2``)."""
        want = ".".join(target.removeprefix("v").split(".")[:2])
        return MinorVersion.parse(self.target) == MinorVersion.parse(want)

    def describe(self) -> str:
        verdict = "passed" if self.ok else "refusals found"
        if self.interrupted:
            verdict = f"stopped: {self.interrupted}"
        return (
            f"{self.source_version} -> {self.target} over {len(self.hops)} hops: {verdict} "
            f"({self.refused} refused, {self.warned} warned, {self.unreadable} unreadable); "
            f"evidence {Path(self.file).name} sha256 {self.sha256[:12]}"
        )


def _bad(path: Path, why: str) -> UsageError:
    return UsageError(
        f"{path}: not a rehearsal evidence file ({why})",
        hint="give the JSON written by `kubecurrent rehearse --report FILE.json`",
    )


def read_summary(path: Path) -> RehearsalSummary:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"cannot read {path}: {exc.strerror}", hint="check the path given to --rehearsal"
        ) from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(path, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _bad(path, "not a JSON object")
    try:
        hops = data["hops"]
        outcomes = [o for h in hops for o in h["outcomes"]]
        summary = RehearsalSummary(
            file=str(path),
            sha256=hashlib.sha256(raw).hexdigest(),
            cluster=str(data["cluster"]),
            source_version=str(data["source_version"]),
            target=str(MinorVersion.parse(str(data["target"]))),
            ok=data["ok"] is True,
            hops=tuple(str(h["version"]) for h in hops),
            refused=sum(o["verdict"] == "refused" for o in outcomes),
            warned=sum(o["verdict"] == "warned" for o in outcomes),
            unreadable=sum(o["verdict"] == "unreadable" for o in outcomes),
            interrupted=str(data.get("interrupted") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _bad(path, f"missing or invalid field: {exc}") from None
    return summary
