"""The runner settings recorded with a rollout: one typed record, and a codec that reads every
shape earlier releases recorded (in a SQLite file or a FleetUpgrade's status)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecurrent.errors import UsageError
from kubecurrent.rollout import RunnerSettings, decode_settings, encode_settings, settings_json

pytestmark = pytest.mark.unit

# What `kubecurrent rollout start --provider sandbox --helm-timeout 600 --addon-chart
# agent=/charts/agent-{version} --health-query 'up == 1' --prometheus-url http://prom:9090
# --today 2026-11-25` recorded before the typed record (format 0: the previous release's
# `to_record`, written with json.dumps(sort_keys=True)).
FORMAT_0 = (
    '{"addon_chart": {"agent": "/charts/agent-{version}"}, "eks_addon_conflicts": "PRESERVE", '
    '"eks_force": false, "extra": [], "gate_timeout": 180.0, "health_query": ["up == 1"], '
    '"helm_timeout": 600.0, "node_timeout": 300.0, "poll": 1.0, "prometheus_ca": null, '
    '"prometheus_timeout": null, "prometheus_url": "http://prom:9090", "provider": "sandbox", '
    '"today": "2026-11-25"}'
)
STARTED = RunnerSettings(
    provider="sandbox",
    helm_timeout=600.0,
    addon_chart=(("agent", "/charts/agent-{version}"),),
    health_query=("up == 1",),
    prometheus_url="http://prom:9090",
    today=dt.date(2026, 11, 25),
)


def test_a_record_of_the_previous_release_reads_as_the_settings_it_ran_with() -> None:
    assert decode_settings(FORMAT_0) == STARTED


def test_the_json_form_is_the_previous_releases_record_byte_for_byte() -> None:
    """`rollout status -o json` shows ``runner`` as before the typed record."""
    assert json.dumps(settings_json(STARTED)) == FORMAT_0


def test_a_partial_record_of_an_early_release_takes_defaults_for_the_rest() -> None:
    read = decode_settings('{"provider": "auto", "helm_timeout": 300.0}')
    assert read == RunnerSettings(provider="auto", helm_timeout=300.0)
    assert decode_settings('{"provider": "eks", "today": null}') == RunnerSettings(provider="eks")


@pytest.mark.parametrize("nothing", [None, "", "{}", "[]", "not json", '"auto"'])
def test_nothing_recorded_reads_as_none(nothing: str | None) -> None:
    assert decode_settings(nothing) is None
    assert encode_settings(None) == "{}"
    assert settings_json(None) == {}


def test_what_is_written_now_carries_its_format_and_every_option() -> None:
    written = json.loads(encode_settings(STARTED))
    assert written["format"] == 1
    assert set(written) == {"format"} | {f.name for f in fields(RunnerSettings)}
    assert decode_settings(encode_settings(STARTED)) == STARTED


def test_a_record_of_a_newer_format_is_refused_naming_the_upgrade() -> None:
    with pytest.raises(UsageError, match="format 2, newer than this kubecurrent reads") as caught:
        decode_settings('{"format": 2, "provider": "auto"}')
    assert caught.value.hint == "upgrade kubecurrent to the release that recorded the rollout"


def test_an_unreadable_recorded_value_is_refused_naming_the_option() -> None:
    with pytest.raises(UsageError, match="runner option helm_timeout is not readable") as caught:
        decode_settings('{"helm_timeout": "soon"}')
    assert caught.value.hint is not None and "--helm-timeout" in caught.value.hint


def test_unknown_keys_of_a_newer_release_of_the_same_format_are_ignored() -> None:
    assert decode_settings('{"format": 1, "provider": "gke", "colour": "blue"}') == (
        RunnerSettings(provider="gke")
    )


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)
seconds = st.floats(min_value=0.001, max_value=604800.0, allow_nan=False)


@given(
    provider=st.sampled_from(["auto", "sandbox", "eks", "gke", "aks", "none"]),
    timeouts=st.tuples(seconds, seconds, seconds, seconds),
    charts=st.dictionaries(texts, texts, max_size=3),
    extra=st.lists(texts, max_size=3),
    today=st.none() | st.dates(),
    url=st.none() | texts,
    queries=st.lists(texts, max_size=3),
    ca=st.none() | texts,
    prom_timeout=st.none() | seconds,
    force=st.booleans(),
)
def test_any_settings_survive_the_trip_through_the_store_text(
    provider: str,
    timeouts: tuple[float, float, float, float],
    charts: dict[str, str],
    extra: list[str],
    today: dt.date | None,
    url: str | None,
    queries: list[str],
    ca: str | None,
    prom_timeout: float | None,
    force: bool,
) -> None:
    settings = RunnerSettings(
        provider=provider,
        node_timeout=timeouts[0],
        gate_timeout=timeouts[1],
        helm_timeout=timeouts[2],
        poll=timeouts[3],
        addon_chart=tuple(sorted(charts.items())),
        extra=tuple(extra),
        today=today,
        prometheus_url=url,
        health_query=tuple(queries),
        prometheus_ca=ca,
        prometheus_timeout=prom_timeout,
        eks_force=force,
    )
    assert decode_settings(encode_settings(settings)) == settings
