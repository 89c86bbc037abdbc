"""The three HTML reports (scan, plan, change record): one template environment, one stylesheet,
hostile names shown as text.

Each report is rendered with a name ``<script>alert(1)</script>"'&`` and a name holding an ESC
sequence where names from clusters and manifests go; the page must parse, hold no script element
and no ESC byte, and show both names as text. The modules that build the reports must not write
tags themselves: every tag comes from a template.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import kubecurrent
from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.analyze.report import ScanReport, fleet_page, to_html
from kubecurrent.catalog import load_catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.inventory import ApiEvidence, ClusterInventory, InstalledAddon
from kubecurrent.model.plan import Alternative, ClusterPlan, FleetPlan, Step
from kubecurrent.pages import STATIC, render, stylesheet
from kubecurrent.plan import group_paths
from kubecurrent.plan import render_html as plan_html
from kubecurrent.rollout import ClusterRef, Store, Strategy, create, snapshot
from kubecurrent.rollout import render_html as change_record_html

pytestmark = pytest.mark.unit

HOSTILE = "<script>alert(1)</script>\"'&"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;"
ESC_NAME = "red\x1b[31mpwn\x1b]0;title\x07"
ESC_SHOWN = "red\\x1b[31mpwn\\x1b]0;title\\x07"
SRC = Path(kubecurrent.__file__).parent
BUILDERS = (
    "analyze/report/_html.py",
    "analyze/report/_svg.py",
    "plan/render_html.py",
    "rollout/_report.py",
    "pages/__init__.py",
)


class _Page(HTMLParser):
    """What a browser would see: the tags opened and the text shown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1] == "style":
            self.style += data
        self.text.append(data)


def shown(page: str) -> _Page:
    """The parsed page, after the checks every report must pass."""
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "\x1b" not in page and "\x07" not in page
    assert "<script" not in page.lower()
    assert not re.search(r"<link\b|\bsrc=|@import", page)  # self-contained
    parser = _Page()
    parser.feed(page)
    parser.close()
    assert "script" not in parser.tags
    assert parser.style.strip() == stylesheet().strip()  # the one stylesheet, inlined
    text = "".join(parser.text)
    assert HOSTILE in text, "the hostile name is not shown as text"
    assert ESC_SHOWN in text, "the ESC sequence is not shown as a visible escape"
    assert ESCAPED in page
    return parser


def test_the_scan_report_shows_hostile_names_as_text() -> None:
    inv = ClusterInventory.model_validate(
        {
            "name": "legacy",
            "controlPlane": "1.31.4",
            "serverVersion": "v1.31.4",
            "endOfLife": "2025-11-11",
            "addons": [InstalledAddon(name="cert-manager", version=f"1.10.1{ESC_NAME}")],
            "apiEvidence": [
                ApiEvidence(
                    api_version="flowcontrol.apiserver.k8s.io/v1beta3",
                    kind="FlowSchema",
                    source="managed-fields",
                    manager=HOSTILE,
                    count=1,
                    examples=(HOSTILE, ESC_NAME),
                )
            ],
        }
    )
    today = dt.date(2026, 11, 25)
    report = ScanReport(target="1.32")
    report.findings += check_inventory(inv, load_catalog(), MinorVersion.parse("1.32"), today)
    page = to_html(
        fleet_page([inv], report, [(HOSTILE, ESC_NAME)], MinorVersion.parse("1.37"), today)
    )
    parsed = shown(page)
    assert parsed.tags.count("svg") == 2 and "table" in parsed.tags


def _step(order: int, kind: str, target: str, hop: int) -> Step:
    return Step.read(
        {
            "order": order,
            "type": kind,
            "target": target,
            "from": "1.33.1",
            "to": "1.34.1",
            "why": HOSTILE,
            "without": ESC_NAME,
            "hop": hop,
        }
    )


def test_the_plan_report_shows_hostile_names_as_text() -> None:
    ok = ClusterPlan(
        name=HOSTILE,
        status="ok",
        from_version="1.33.1",
        target="1.34",
        steps=(_step(1, "control-plane", "control-plane", 1), _step(2, "node-pool", ESC_NAME, 1)),
    )
    blocked = ClusterPlan(
        name=ESC_NAME,
        status="blocked",
        from_version="1.33.1",
        target="1.34",
        reasons=(HOSTILE,),
        alternatives=(Alternative(kind="stop", description=ESC_NAME, flag=HOSTILE),),
    )
    plans = (ok, blocked)
    page = plan_html(FleetPlan(target="1.34", clusters=plans, groups=group_paths(plans)))
    parsed = shown(page)
    assert parsed.tags.count("section") == 2
    assert f'title="Why: {ESCAPED}. Without it: {ESC_SHOWN}."' in page  # attribute escaped


def test_the_change_record_shows_hostile_names_as_text(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    strategy = Strategy.model_validate({"waves": [{"name": "all", "select": {}}]})
    rid = create(
        store,
        clusters=[ClusterRef(HOSTILE), ClusterRef(ESC_NAME)],
        target="1.37",
        strategy=strategy,
        fleet=HOSTILE,
        actor=ESC_NAME,
        now=dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC),
    )
    snap = snapshot(store, rid)
    page = change_record_html(snap, store.journal(rid), store.audit_records(rid))
    parsed = shown(page)
    assert parsed.tags.count("h3") == 2  # one plan section per cluster
    assert f"<h3>{ESCAPED}: plan and steps</h3>" in page


def _tags_in_literals(path: Path) -> list[str]:
    """String literals (f-string parts included) of a module that hold an HTML or SVG tag."""
    tag = re.compile(r"<\s*/?\s*[a-zA-Z!][a-zA-Z0-9]*[\s>/]")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and tag.search(text) and not _is_docstring_like(text):
            found.append(text)
    return found


def _is_docstring_like(text: str) -> bool:
    """Prose naming a tag in backquotes (``<style>``), not markup being built."""
    return not re.sub(r"``[^`]*``", "", text).count("<")


@pytest.mark.parametrize("module", BUILDERS)
def test_the_report_modules_build_no_tags_themselves(module: str) -> None:
    assert _tags_in_literals(SRC / module) == []


def test_the_tag_detector_finds_a_tag_built_in_python(tmp_path: Path) -> None:
    """The check above can fail: a module concatenating a cell is caught."""
    sample = tmp_path / "m.py"
    sample.write_text("def cell(x):\n    return f\"<td class='a'>{x}</td>\"\n")
    assert _tags_in_literals(sample) == ["<td class='a'>", "</td>"]


def test_there_is_one_stylesheet_and_the_dashboard_serves_it() -> None:
    assert sorted(p.name for p in SRC.rglob("*.css")) == ["style.css"]
    assert (STATIC / "style.css").is_file()
    assert "</style" not in stylesheet()  # it can be inlined in a <style> element
    css = re.compile(r"\b(font|background|border|margin|padding|color)\s*:\s*[^;]+;")
    for module in BUILDERS:
        assert not css.search((SRC / module).read_text()), f"CSS left in {module}"


def test_a_name_the_template_does_not_receive_is_an_error() -> None:
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("plan.html")
