"""The kubeadm facts file (``kubeadm.yaml``): sourced command templates and rules."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Command", "KubeadmFacts", "PackageManager", "load_facts"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Command(_Frozen):
    run: str
    source: str


class Rule(_Frozen):
    text: str
    source: str


class PackageManager(_Frozen):
    os_images: tuple[str, ...]
    repo_file: str
    package_version: str
    package_version_note: str
    source: str
    commands: dict[str, Command]


class KubeadmFacts(_Frozen):
    sources: dict[str, str]
    rules: tuple[Rule, ...]
    package_managers: dict[str, PackageManager]
    commands: dict[str, Command]

    @model_validator(mode="after")
    def _sourced(self) -> KubeadmFacts:
        named: list[str] = [r.source for r in self.rules]
        named += [c.source for c in self.commands.values()]
        for pm in self.package_managers.values():
            named += [pm.source, *(c.source for c in pm.commands.values())]
        unknown = sorted(set(named) - set(self.sources))
        if unknown:
            raise ValueError(f"sources not listed under sources: {', '.join(unknown)}")
        return self

    def url(self, source: str) -> str:
        return self.sources[source]


@cache
def load_facts() -> KubeadmFacts:
    text = resources.files("kubecurrent.execute.kubeadm").joinpath("kubeadm.yaml").read_text()
    data: Any = yaml.safe_load(text)
    return KubeadmFacts.model_validate(data)
