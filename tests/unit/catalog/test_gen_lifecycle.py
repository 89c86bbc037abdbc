"""scripts/gen_lifecycle.py over module zips laid out as the Go module proxy serves them."""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit
SCRIPT = Path(__file__).parents[3] / "scripts" / "gen_lifecycle.py"


@pytest.fixture
def gen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("KUBECURRENT_CACHE_DIR", str(tmp_path / "cache"))
    spec = importlib.util.spec_from_file_location("gen_lifecycle", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_lifecycle"] = module
    spec.loader.exec_module(module)
    return module


REGISTER = """package {version}
const GroupName = "widgets.k8s.io"
var SchemeGroupVersion = schema.GroupVersion{{Group: GroupName, Version: "{version}"}}
func addKnownTypes(scheme *runtime.Scheme) error {{
\tscheme.AddKnownTypes(SchemeGroupVersion, &Widget{{}}, &WidgetList{{}}, &WidgetScale{{}})
\treturn nil
}}
"""
TYPES = """package {version}
// +genclient
type Widget struct {{}}
type WidgetScale struct {{}}
"""
LIFECYCLE = """package v1beta1
func (in *Widget) APILifecycleIntroduced() (major, minor int) {{
\treturn 1, 20
}}
func (in *Widget) APILifecycleRemoved() (major, minor int) {{
\treturn 1, {removed}
}}
"""


def write_zip(gen: ModuleType, tag: str, versions: dict[str, int | None]) -> None:
    path = gen.zip_path("k8s.io/api", tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = f"k8s.io/api@{tag}/widgets"
    with zipfile.ZipFile(path, "w") as zf:
        for version, removed in versions.items():
            zf.writestr(f"{root}/{version}/register.go", REGISTER.format(version=version))
            zf.writestr(f"{root}/{version}/types.go", TYPES.format(version=version))
            if removed is not None:
                lifecycle = LIFECYCLE.format(removed=removed)
                zf.writestr(f"{root}/{version}/zz_generated.prerelease-lifecycle.go", lifecycle)


def test_releases_are_read_into_shipped_ranges_lifecycle_and_sources(gen: ModuleType) -> None:
    write_zip(gen, "v0.20.1", {"v1beta1": 23})
    write_zip(gen, "v0.21.1", {"v1beta1": 23, "v1": None})
    write_zip(gen, "v0.22.1", {"v1": None})  # v1beta1 dropped from the module
    module = gen.MODULES[0]
    kinds: dict[tuple[str, str, str], object] = {}
    for minor, tag in ((20, "v0.20.1"), (21, "v0.21.1"), (22, "v0.22.1")):
        gen.read_release(module, tag, minor, False, kinds)
    releases = [{"version": f"1.{m}", "modules": {"k8s.io/api": f"v0.{m}.1"}} for m in (20, 21, 22)]
    data = json.loads(gen.render(releases, kinds))
    by_key = {(a["version"], a["kind"]): a for a in data["apis"]}
    assert set(by_key) == {
        ("v1beta1", "Widget"),
        ("v1beta1", "WidgetScale"),
        ("v1", "Widget"),
        ("v1", "WidgetScale"),
    }
    beta = by_key[("v1beta1", "Widget")]
    assert beta["shipped"] == [{"first": "1.20", "last": "1.21"}]
    assert (beta["introduced"], beta["removed"]) == ("1.20", "1.23")
    assert beta["source"] == {
        "module": "k8s.io/api",
        "version": "v0.21.1",
        "file": "widgets/v1beta1/zz_generated.prerelease-lifecycle.go",
    }
    assert by_key[("v1", "Widget")]["source"]["file"] == "widgets/v1/register.go"
    assert by_key[("v1", "WidgetScale")]["resource"] is False
    assert "resource" not in by_key[("v1", "Widget")]


def test_ranges_and_tag_order(gen: ModuleType) -> None:
    assert gen.ranges([19, 20, 21, 25, 26]) == [
        {"first": "1.19", "last": "1.21"},
        {"first": "1.25", "last": "1.26"},
    ]
    tags = ["v0.38.0-alpha.2", "v0.38.0-rc.0", "v0.38.0-beta.0", "v0.38.0-alpha.10"]
    assert max(tags, key=gen.tag_key) == "v0.38.0-rc.0"
    assert sorted(tags, key=gen.tag_key)[:2] == ["v0.38.0-alpha.2", "v0.38.0-alpha.10"]
