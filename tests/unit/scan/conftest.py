"""Shared fixtures for the file-scan tests: the catalog context and the fixture repository."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from kubecurrent.analyze import Context
from kubecurrent.analyze.report import ScanReport
from kubecurrent.catalog import load_catalog
from kubecurrent.cli._scan_run import render_options
from kubecurrent.cli.scan import run_scan
from kubecurrent.collect.files import RenderCache, RenderOptions
from kubecurrent.model import MinorVersion

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scan"
REPO = FIXTURES / "repo"


@pytest.fixture(scope="session")
def ctx() -> Context:
    return Context.build(load_catalog(), MinorVersion.parse("1.37"))


@pytest.fixture(scope="session")
def ctx_124() -> Context:
    return Context.build(load_catalog(), MinorVersion.parse("1.24"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the fixture repository (an overlay over a base, a chart), to change."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy)
    return copy


def cache_options(cache: Path | None) -> RenderOptions:
    """Default render options with the render cache in ``cache`` (None: no cache)."""
    opts = render_options(None, None, (), (), render_cache=False)
    return dataclasses.replace(opts, cache=RenderCache(cache) if cache else None)


def scan_cached(path: Path, ctx: Context, cache: Path | None) -> ScanReport:
    """A scan of ``path`` in this process with the render cache in ``cache``."""
    return run_scan((str(path),), ctx, cache_options(cache))
