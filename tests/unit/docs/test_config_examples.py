"""The files the docs show users how to write are read by the code that reads them: the rollout
strategies of docs/rollout.md, the fleet files of docs/cluster-scan.md, eks.md and gke.md, the
planner's fleet spec, the sandbox fleet of the README and the single sign-on file of
docs/dashboard.md, each with the defaults its comments state."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kubecurrent.catalog import load_catalog
from kubecurrent.collect.cluster import load_fleet_file
from kubecurrent.collect.fleet_spec import load_fleet_spec
from kubecurrent.rollout import Strategy, parse_strategy
from kubecurrent.sandbox import load_spec
from kubecurrent.web._oidc_config import OidcSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def yaml_blocks(page: str) -> list[str]:
    """The ```yaml blocks of ``page`` (README.md or docs/NAME), indentation of a list removed."""
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = []
    for indent, body in re.findall(r"^( *)```yaml\n(.*?)^\1```", text, re.M | re.S):
        blocks.append("\n".join(line.removeprefix(indent) for line in body.splitlines()))
    return blocks


def test_every_strategy_in_the_rollout_page_is_read() -> None:
    strategies = [
        parse_strategy(block, "docs/rollout.md") for block in yaml_blocks("docs/rollout.md")
    ]
    assert len(strategies) >= 2
    full = strategies[0]
    assert [w.name for w in full.waves] == ["canary", "prod-slice", "rest"]
    assert full.waves[1].approval and full.waves[2].failure_budget.clusters == 1
    assert full.windows[0].timezone == "Europe/Berlin" and full.blackouts[0].reason
    assert full.health is not None and full.health.timeout == dt.timedelta(minutes=5)
    assert full.notify is not None and not full.starter_may_approve


def test_the_defaults_the_strategy_comments_state() -> None:
    """``concurrency: 2 # ... (default 1)``, ``days: ... # default: every day``,
    ``timeout: 5m # default 3m``, and "Every key is optional"."""
    text = yaml_blocks("docs/rollout.md")[0]
    assert re.search(r"^  concurrency: 2 .*\(default 1\)$", text, re.M)
    assert re.search(r"^  days: .*# default: every day$", text, re.M)
    assert re.search(r"^  timeout: 5m +# default 3m$", text, re.M)
    wave = parse_strategy("waves: [{name: w}]\nwindows: [{start: '22:00', duration: 1h}]", "-")
    assert wave.waves[0].concurrency == 1
    assert len(set(wave.windows[0].days)) == 7
    health = parse_strategy("health: {prometheus: http://p, queries: [up]}", "-").health
    assert health is not None and health.timeout == dt.timedelta(minutes=3)
    assert parse_strategy("{}", "-") == Strategy()


@pytest.mark.parametrize(
    ("page", "clusters"),
    [
        ("docs/cluster-scan.md", {"prod-eu": None, "orders": "eks"}),
        ("docs/eks.md", {"orders": "eks"}),
        ("docs/gke.md", {"web-prod": "gke"}),
    ],
)
def test_every_fleet_file_in_the_page_is_read(
    page: str, clusters: dict[str, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = tmp_path / "aws-config"  # the examples name the AWS profile `prod`
    aws.write_text("[profile prod]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(aws))
    (block,) = yaml_blocks(page)
    path = tmp_path / "fleet.yaml"
    path.write_text(block)
    targets = load_fleet_file(path)
    assert {t.name: t.cloud.provider if t.cloud else None for t in targets} == clusters


def test_the_planners_fleet_spec_is_read(tmp_path: Path) -> None:
    (block,) = yaml_blocks("docs/planner.md")
    path = tmp_path / "spec.yaml"
    path.write_text(block)
    (cluster,) = load_fleet_spec(path, load_catalog([]))
    assert (cluster.name, str(cluster.control_plane)) == ("prod-eu", "v1.27.9")
    assert [(p.name, str(p.kubelet), p.nodes) for p in cluster.node_pools] == [
        ("general", "v1.26.12", 40)
    ]
    assert [a.name for a in cluster.addons] == ["cert-manager"]
    assert [c.stored_versions for c in cluster.crds] == [("v1alpha2", "v1")]
    assert [u.count for u in cluster.api_usage] == [3]


def test_the_readme_sandbox_fleet_is_read(tmp_path: Path) -> None:
    (block,) = yaml_blocks("README.md")
    path = tmp_path / "fleet.yaml"
    path.write_text(block)
    spec = load_spec(path)
    (prod,) = spec.clusters
    assert (spec.name, prod.version, prod.labels) == ("demo", "1.36", {"env": "prod"})


def test_the_single_sign_on_file_is_read_with_the_defaults_it_states(tmp_path: Path) -> None:
    (block,) = [b for b in yaml_blocks("docs/dashboard.md") if "issuer:" in b]
    path = tmp_path / "sso.yaml"
    path.write_text(block)
    settings = OidcSettings.load(path)
    fields = {info.alias or name: name for name, info in OidcSettings.model_fields.items()}
    defaults = [line.split(":", 1)[0] for line in block.splitlines() if "# the default" in line]
    assert defaults == ["scopes", "rolesClaim", "clockSkewSeconds", "jwksRefreshSeconds"]
    for key in defaults:
        name = fields[key]
        assert getattr(settings, name) == OidcSettings.model_fields[name].default, key
    (bounds,) = re.findall(r"clockSkewSeconds: .*; (\d+) to (\d+)$", block, re.M)
    skew = OidcSettings.model_fields["clock_skew_seconds"].metadata
    assert [int(b) for b in bounds] == [m.ge if hasattr(m, "ge") else m.le for m in skew]
