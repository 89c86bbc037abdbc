"""Strategy files, wave assignment, failure budgets, durations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    FailureBudget,
    Member,
    Strategy,
    assign_waves,
    default_strategy,
    load_strategy,
    parse_duration,
)
from kubecurrent.sandbox._pki import CertificateAuthority

FLEET = [
    Member("dev-1", {"env": "dev"}),
    Member("stg-1", {"env": "staging"}),
    *(Member(f"prod-{i}", {"env": "prod", "region": "eu" if i % 2 else "us"}) for i in range(1, 7)),
]


def test_waves_take_each_cluster_once_in_order_with_counts_and_percentages() -> None:
    strategy = Strategy.model_validate(
        {
            "waves": [
                {"name": "canary", "select": {"env": "dev"}, "count": 1},
                {"name": "eu-slice", "select": {"env": "prod", "region": "eu"}, "percent": 50},
                {"name": "rest"},
            ]
        }
    )
    waves = assign_waves(strategy, FLEET)
    assert waves[0] == ["dev-1"]
    assert waves[1] == ["prod-1", "prod-3"]  # ceil(3 * 50%) = 2, by name
    assert sorted(waves[2]) == ["prod-2", "prod-4", "prod-5", "prod-6", "stg-1"]
    assert sum(len(w) for w in waves) == len(FLEET)


def test_a_cluster_no_wave_selects_is_named() -> None:
    strategy = Strategy.model_validate({"waves": [{"name": "prod", "select": {"env": "prod"}}]})
    with pytest.raises(UsageError, match="dev-1, stg-1") as err:
        assign_waves(strategy, FLEET)
    assert "last wave without `select`" in (err.value.hint or "")


def test_default_strategy_takes_the_most_expendable_cluster_as_canary() -> None:
    strategy = default_strategy(list(reversed(FLEET)))
    waves = assign_waves(strategy, FLEET)
    assert [w.name for w in strategy.waves] == ["canary", "rest"]
    assert waves[0] == ["dev-1"] and len(waves[1]) == len(FLEET) - 1


@pytest.mark.parametrize(
    ("budget", "failed", "size", "halt"),
    [
        ({}, 0, 5, False),
        ({}, 1, 5, True),
        ({"clusters": 1}, 1, 5, False),
        ({"clusters": 1}, 2, 5, True),
        ({"percent": 10}, 1, 20, False),
        ({"percent": 10}, 3, 20, True),
        ({"clusters": 1, "percent": 10}, 2, 100, True),
    ],
)
def test_failure_budget(budget: dict[str, float], failed: int, size: int, halt: bool) -> None:
    assert FailureBudget.model_validate(budget).exceeded(failed, size) is halt


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), ("2d", 172800), (45, 45)]
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "10", "ten minutes", "5x", -3])
def test_bad_durations_say_how_to_write_one(bad: str | int) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_strategy_file_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("waves:\n- name: a\n  soak: soon\n- name: a\n")
    with pytest.raises(UsageError, match=r"s\.yaml.*waves\.0\.soak"):
        load_strategy(path)
    path.write_text("windows:\n- start: '22:00'\n  duration: 2h\n  timezone: Mars/Olympus\n")
    with pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"):
        load_strategy(path)
    path.write_text("waves:\n- name: a\n- name: a\n")
    with pytest.raises(UsageError, match="unique: a"):
        load_strategy(path)


def test_strategy_survives_the_round_trip_through_the_store() -> None:
    strategy = Strategy.model_validate(
        {
            "waves": [{"name": "w", "soak": "30m", "failureBudget": {"percent": 10}}],
            "blackouts": [{"from": "2026-12-20", "to": "2027-01-04", "reason": "freeze"}],
        }
    )
    again = Strategy.model_validate_json(strategy.model_dump_json(by_alias=True))
    assert again == strategy


def test_health_applies_to_every_wave_unless_a_wave_sets_its_own(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    CertificateAuthority.create("test-ca").pair.write(tmp_path / "certs", "ca")
    path = tmp_path / "s.yaml"
    path.write_text(
        "health:\n"
        "  prometheus: https://prom.example:9090\n"
        "  queries: ['sum(up{job=\"apiserver\"}) >= 1']\n"
        "  ca: certs/ca.crt\n"
        "waves:\n"
        "- name: canary\n"
        "- name: prod\n"
        "  health: {prometheus: 'http://prom-prod:9090/', queries: ['a > 0', ' b > 0 '],"
        " timeout: 90s}\n"
    )
    strategy = load_strategy(path)
    canary, prod = strategy.health_of(0), strategy.health_of(1)
    assert canary is not None and prod is not None
    check = canary.check()
    assert check.ca == tmp_path / "certs" / "ca.crt"  # relative to the strategy file
    assert (check.timeout, check.queries) == (180.0, ('sum(up{job="apiserver"}) >= 1',))
    assert prod.check().queries == ("a > 0", "b > 0") and prod.check().timeout == 90.0
    again = Strategy.model_validate_json(strategy.model_dump_json(by_alias=True))
    assert again == strategy  # what the store keeps, so a resume runs the same checks


@pytest.mark.parametrize(
    ("health", "said"),
    [
        ("{prometheus: 'prom:9090', queries: [up]}", "health.prometheus"),
        ("{prometheus: 'http://p:9090', queries: []}", "health.queries"),
        ("{prometheus: 'http://p:9090', queries: ['  ']}", "cannot be empty"),
        ("{prometheus: 'http://p:9090', queries: [up], timeout: 0}", "more than 0"),
        ("{prometheus: 'http://p:9090', queries: [up], url: x}", "health.url"),
        ("{prometheus: 'http://p:9090', queries: [up], ca: nope.pem}", "health.ca: no file"),
        ("{prometheus: 'http://p:9090', queries: [up], ca: bad.pem}", "health.ca: cannot use"),
    ],
)
def test_health_errors_name_the_field(tmp_path: Path, health: str, said: str) -> None:
    (tmp_path / "bad.pem").write_text("not a certificate")
    path = tmp_path / "s.yaml"
    path.write_text(f"health: {health}\n")
    with pytest.raises(UsageError, match=r"s\.yaml") as err:
        load_strategy(path)
    assert said in err.value.message


def test_no_health_means_no_promql_checks() -> None:
    strategy = Strategy.model_validate({"waves": [{"name": "w"}]})
    assert strategy.health_of(0) is None and strategy.health_of(5) is None
