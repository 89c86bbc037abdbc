"""Kubernetes version arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from kubecurrent.errors import UsageError
from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.model.fields import KubeVersionField, MinorField

numbers = st.integers(min_value=0, max_value=999)


@given(numbers, numbers, numbers)
def test_parse_round_trips(major: int, minor: int, patch: int) -> None:
    v = KubeVersion.parse(f"v{major}.{minor}.{patch}")
    assert (v.major, v.minor, v.patch) == (major, minor, patch)
    assert KubeVersion.parse(str(v)) == v


@given(st.tuples(numbers, numbers, numbers), st.tuples(numbers, numbers, numbers))
def test_order_is_numeric_not_lexical(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    va, vb = (KubeVersion.parse(".".join(map(str, t))) for t in (a, b))
    assert (va < vb) == (a < b)
    assert (MinorVersion(*a[:2]) < MinorVersion(*b[:2])) == (a[:2] < b[:2])


def test_minor_1_9_sorts_before_1_10() -> None:
    assert MinorVersion.parse("1.9") < MinorVersion.parse("1.10")
    assert MinorVersion.parse("1.36").distance(MinorVersion.parse("1.38")) == 2
    assert str(MinorVersion.parse("v1.36.3").offset(-2)) == "1.34"


def test_prerelease_sorts_before_release_but_vendor_builds_do_not() -> None:
    assert KubeVersion.parse("v1.36.0-rc.1") < KubeVersion.parse("v1.36.0")
    assert KubeVersion.parse("v1.36.0-alpha.2") < KubeVersion.parse("v1.36.0-beta.0")
    assert KubeVersion.parse("v1.30.2-eks-1234") > KubeVersion.parse("v1.30.2")
    assert KubeVersion.parse("v1.29.4-gke.1043002").minor_version == MinorVersion(1, 29)
    assert KubeVersion.parse("v1.28.3+k3s1").patch == 3


@pytest.mark.parametrize("bad", ["", "latest", "1", "v1.x", "1.36.3.4"])
def test_bad_versions_are_named_with_a_hint(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        KubeVersion.parse(bad)
    assert repr(bad) in err.value.message
    assert "MAJOR.MINOR" in (err.value.hint or "")


def test_pydantic_fields_parse_and_serialise() -> None:
    class M(BaseModel):
        minor: MinorField
        version: KubeVersionField

    m = M.model_validate({"minor": "1.30", "version": "v1.36.3"})
    assert m.minor == MinorVersion(1, 30)
    assert m.model_dump(mode="json") == {"minor": "1.30", "version": "1.36.3"}
    with pytest.raises(ValidationError, match="in quotes"):
        M.model_validate({"minor": 1.3, "version": "1.2.3"})
