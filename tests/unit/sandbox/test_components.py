"""The wrapper modules and link flags that give binaries their true version."""

from __future__ import annotations

import re

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.sandbox._components import (
    HYDRA,
    KUBERNETES,
    ON_DEMAND,
    PROMETHEUS,
    all_components,
    kubernetes,
)
from kubecurrent.sandbox._paths import GOMOD_DIR


@pytest.mark.parametrize("component", [*all_components(), *ON_DEMAND], ids=lambda c: c.key)
def test_every_component_has_a_committed_wrapper_module_pinning_its_version(
    component: object,
) -> None:
    from kubecurrent.sandbox._components import Component

    assert isinstance(component, Component)
    gomod = (GOMOD_DIR / component.key / "go.mod").read_text()
    assert (GOMOD_DIR / component.key / "go.sum").is_file()
    assert f"{component.module} {component.version}" in gomod
    for binary in component.binaries:
        assert re.search(rf"^\s*(tool )?{re.escape(binary.package)}$", gomod, re.M), binary.package


@pytest.mark.parametrize("minor", sorted(KUBERNETES))
def test_kubernetes_wrappers_replace_staging_modules_with_the_matching_tag(minor: str) -> None:
    component = KUBERNETES[minor]
    gomod = (GOMOD_DIR / component.key / "go.mod").read_text()
    tag = "v0." + component.version.removeprefix("v1.")
    replaces = re.findall(r"^\s+(k8s\.io/[a-z0-9-]+) => (k8s\.io/[a-z0-9-]+) (\S+)$", gomod, re.M)
    replaced = {src for src, _, _ in replaces}
    core = {"k8s.io/api", "k8s.io/apimachinery", "k8s.io/apiserver", "k8s.io/client-go"}
    assert core | {"k8s.io/component-base", "k8s.io/kube-aggregator"} <= replaced
    assert all(src == dst and version == tag for src, dst, version in replaces)
    if minor in ("1.36", "1.37"):  # upstream's go.mod pins GODEBUG defaults; ours must copy them
        assert "godebug default=go1.26" in gomod


def test_kubernetes_binaries_are_stamped_with_their_true_version() -> None:
    flags = kubernetes("1.36").ldflags
    assert "-X k8s.io/component-base/version.gitVersion=v1.36.3" in flags
    assert "-X k8s.io/client-go/pkg/version.gitMinor=36" in flags
    assert flags.startswith("-s -w")


def test_unknown_kubernetes_version_lists_the_buildable_ones() -> None:
    with pytest.raises(UsageError) as err:
        kubernetes("1.20")
    assert "1.36" in err.value.message and "1.37" in err.value.message


def test_prometheus_is_built_on_demand_without_cloud_discovery_or_embedded_ui() -> None:
    assert PROMETHEUS not in all_components()
    assert "remove_all_sd" in PROMETHEUS.tags and "builtinassets" not in PROMETHEUS.tags
    assert "-X github.com/prometheus/common/version.Version=3.16.0" in PROMETHEUS.ldflags
    gomod = (GOMOD_DIR / PROMETHEUS.key / "go.mod").read_text()
    assert re.search(r"^go 1\.26\.\d+$", gomod, re.M)  # upstream's go line, copied


def test_hydra_is_built_on_demand_with_cgo_for_its_in_memory_sqlite() -> None:
    assert HYDRA in ON_DEMAND and HYDRA not in all_components()
    assert all_components(extra=("hydra",))[-1] is HYDRA
    assert HYDRA.cgo and not any(c.cgo for c in all_components())
    assert "sqlite" in HYDRA.tags
    assert "-X github.com/ory/hydra/v2/driver/config.Version=v2.3.0" in HYDRA.ldflags
    gomod = (GOMOD_DIR / HYDRA.key / "go.mod").read_text()
    # upstream's replace of pop by Ory's fork, which Go ignores in a dependency, is repeated
    assert re.search(
        r"^replace github.com/gobuffalo/pop/v6 => github.com/ory/pop/v6 v\S+$", gomod, re.M
    )
