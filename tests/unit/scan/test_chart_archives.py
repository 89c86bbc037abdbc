"""Subcharts vendored as archives are recognised by the name in their Chart.yaml; an archive
that is not a gzipped tar is passed over, not an error."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from kubecurrent.collect.files._chart import present_subcharts


def _archive(path: Path, top: str, chart_yaml: bytes) -> None:
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"{top}/Chart.yaml")
        info.size = len(chart_yaml)
        tar.addfile(info, io.BytesIO(chart_yaml))


def test_archived_subcharts_are_named_by_their_chart_yaml_and_broken_ones_skipped(
    tmp_path: Path,
) -> None:
    charts = tmp_path / "app" / "charts"
    charts.mkdir(parents=True)
    _archive(charts / "redis-17.0.0.tgz", "redis", b"name: redis\nversion: 17.0.0\n")
    (charts / "broken-1.0.0.tgz").write_bytes(b"not a tar archive")
    found = present_subcharts(tmp_path / "app")
    assert found == {"redis": charts / "redis-17.0.0.tgz"}
