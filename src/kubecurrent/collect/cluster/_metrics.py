"""The API server's ``apiserver_requested_deprecated_apis`` gauge, from ``/metrics`` text.

The gauge is set to 1 for every deprecated group/version/resource requested since the API
server started; ``removed_release`` says where it goes away.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass

METRIC = "apiserver_requested_deprecated_apis"
_LINE = re.compile(rf"^{METRIC}\{{(?P<labels>[^}}]*)\}}\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class DeprecatedRequest:
    group: str
    version: str
    resource: str
    subresource: str
    removed_release: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


async def read_deprecated_requests(lines: AsyncIterable[str]) -> list[DeprecatedRequest]:
    """``parse_deprecated_requests`` of lines as they arrive: only the gauge's lines are kept."""
    return parse_deprecated_requests([line async for line in lines if line.startswith(METRIC)])


def parse_deprecated_requests(lines: Iterable[str]) -> list[DeprecatedRequest]:
    """Every series of the gauge with a non-zero value."""
    found: list[DeprecatedRequest] = []
    for line in lines:
        m = _LINE.match(line)
        if not m:
            continue
        try:
            if float(m["value"]) == 0:
                continue
        except ValueError:
            continue
        labels = dict(_LABEL.findall(m["labels"]))
        found.append(
            DeprecatedRequest(
                group=labels.get("group", ""),
                version=labels.get("version", ""),
                resource=labels.get("resource", ""),
                subresource=labels.get("subresource", ""),
                removed_release=labels.get("removed_release", ""),
            )
        )
    return found
