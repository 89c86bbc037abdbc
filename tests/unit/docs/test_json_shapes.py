"""JSON shapes the pages spell out are the ones the code writes: docs/cluster-scan.md's
``support`` object of ``scan cluster -o json``."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kubecurrent.analyze.cluster import FleetSupport, SupportCost
from kubecurrent.catalog import SupportPhase
from kubecurrent.model.managed import SupportType

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def shape(written: str) -> Any:
    """``{"a", "b": [{"c"}], "d": {"e"}}`` -> the same with ``None`` as every leaf: a JSON shape
    written with bare keys for leaves."""
    return json.loads(re.sub(r'("\w+")(?=\s*[,}])', r"\1: null", written))


def keys_of(value: Any) -> Any:
    """A JSON value's shape: objects keep their keys, lists their first item, leaves None."""
    if isinstance(value, dict):
        return {k: keys_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys_of(value[0])]
    return None


def test_the_support_shape_is_what_scan_cluster_writes() -> None:
    text = " ".join((ROOT / "docs" / "cluster-scan.md").read_text(encoding="utf-8").split())
    (written,) = re.findall(r"under `support` in `-o json`/`yaml` \(`(\{.*?\})`", text)
    day = dt.date(2026, 12, 7)
    cost = SupportCost(
        cluster="orders",
        provider="eks",
        minor="1.33",
        phase=SupportPhase.STANDARD,
        upgrade_policy=SupportType.EXTENDED,
        end_of_standard_support=day,
        end_of_extended_support=day,
        usd_per_month=Decimal(73),
        extra_usd_per_month=Decimal(0),
        exposure_usd_per_month=Decimal(365),
    )
    assert shape(written) == keys_of(FleetSupport(day, (cost,)).to_json())
