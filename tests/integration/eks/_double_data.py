"""The EKS double's test data (``double_data.yaml``): versions it offers and add-on versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_FILE = Path(__file__).with_name("double_data.yaml")


@dataclass(frozen=True)
class ClusterVersion:
    version: str  # "1.36"
    release: dt.date
    end_standard: dt.date
    end_extended: dt.date
    default: bool

    def status(self, today: dt.date) -> str:
        """``standard-support``, ``extended-support`` or ``unsupported`` on ``today``."""
        if today < self.end_standard:
            return "standard-support"
        return "extended-support" if today < self.end_extended else "unsupported"


@dataclass(frozen=True)
class AddonVersion:
    version: str  # "v1.11.4-eksbuild.2"
    minors: tuple[str, ...]
    default_for: tuple[str, ...]


@dataclass(frozen=True)
class AddonWorkload:
    kind: str  # "Deployment" | "DaemonSet"
    name: str
    container: str


@dataclass(frozen=True)
class AddonType:
    name: str
    source: str
    workload: AddonWorkload
    image: str  # repository with a {region} placeholder; the tag is the add-on version
    versions: tuple[AddonVersion, ...]

    def find(self, version: str) -> AddonVersion | None:
        return next((v for v in self.versions if v.version == version), None)


@dataclass(frozen=True)
class DoubleData:
    versions_source: str
    versions: tuple[ClusterVersion, ...]
    addons: tuple[AddonType, ...]

    def version(self, minor: str) -> ClusterVersion | None:
        return next((v for v in self.versions if v.version == minor), None)

    def addon(self, name: str) -> AddonType | None:
        return next((a for a in self.addons if a.name == name), None)


def _addon(raw: dict[str, Any]) -> AddonType:
    return AddonType(
        name=raw["name"],
        source=raw["source"],
        workload=AddonWorkload(**raw["workload"]),
        image=raw["image"],
        versions=tuple(
            AddonVersion(v["version"], tuple(v["minors"]), tuple(v["default_for"]))
            for v in raw["versions"]
        ),
    )


@cache
def load() -> DoubleData:
    raw = yaml.safe_load(_FILE.read_text())
    table = raw["cluster_versions"]
    return DoubleData(
        versions_source=table["source"],
        versions=tuple(
            ClusterVersion(
                v["version"],
                v["release"],
                v["end_standard"],
                v["end_extended"],
                v["version"] == table["default"],
            )
            for v in table["versions"]
        ),
        addons=tuple(_addon(a) for a in raw["addons"]),
    )
