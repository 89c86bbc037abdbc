"""docs/catalog.md cannot rot: its schema tables match the models, its example file loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import kubecurrent.catalog as catalog
from kubecurrent.catalog import build, data_dir, load_catalog
from kubecurrent.errors import CatalogError

pytestmark = pytest.mark.unit

DOC = Path(__file__).parents[3] / "docs" / "catalog.md"
MODELS = [
    "KubernetesRelease",
    "ApiDeprecation",
    "SkewRule",
    "UpgradeRule",
    "Cve",
    "AffectedRange",
    "Addon",
    "Detect",
    "AddonRelease",
    "AddonApi",
    "ProviderRelease",
    "ProviderPrice",
    "Meta",
    "UpstreamSource",
]


def documented_fields(model: str) -> dict[str, bool]:
    """``field -> required`` from the table under ``### <model>``."""
    text = DOC.read_text()
    section = re.search(rf"^### {model}\n(.*?)(?=^#|\Z)", text, re.M | re.S)
    assert section, f"docs/catalog.md has no section for {model}"
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| (yes|no)\b", section[1], re.M)
    return {name: required == "yes" for name, required in rows}


@pytest.mark.parametrize("name", MODELS)
def test_schema_table_matches_the_model(name: str) -> None:
    model: type[BaseModel] = getattr(catalog, name)
    expected = {field: info.is_required() for field, info in model.model_fields.items()}
    assert documented_fields(name) == expected


def example(marker: str) -> str:
    found = re.search(rf"<!-- example: {marker} -->\n```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert found, f"docs/catalog.md lost the {marker} example"
    return found[1]


def test_the_extra_file_example_loads_on_the_builtin_catalog(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(example("catalog-extra"))
    cat = load_catalog([path])
    assert cat.apis[-1].label == "widgets.acme.example.com/v1beta1 Widget"
    addon = cat.addon("acme-widget-operator")
    assert addon is not None and str(addon.latest_release().kubernetes_max) == "1.36"


def test_the_example_is_rejected_twice(tmp_path: Path) -> None:
    """The doc says extra files only add: loading the same example twice is a duplicate."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(example("catalog-extra"))
    b.write_text(example("catalog-extra"))
    with pytest.raises(CatalogError, match="2 problems in 1 file"):
        build(data_dir(), [a, b])


def test_every_data_file_is_described() -> None:
    text = DOC.read_text()
    names = {p.name for p in data_dir().glob("*.yaml")} | {"addons/<name>.yaml"}
    names |= {p.name for p in (data_dir() / "providers").glob("*.yaml")}  # one per provider
    for name in names:
        assert f"`{name}`" in text, name
