"""JUnit XML: one test suite per file, one failing test case per finding, errors as errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.display import visible, visible_line
from kubecurrent.model.findings import Finding, ScanError


def to_junit(report: ScanReport) -> str:
    by_file: dict[str, list[Finding | ScanError]] = defaultdict(list)
    for f in report.sorted_findings():
        by_file[f.location.file].append(f)
    for e in report.errors:
        by_file[e.file].append(e)
    root = ET.Element("testsuites", name=f"kubecurrent scan (target {report.target})")
    for file, items in sorted(by_file.items()):
        suite = ET.SubElement(root, "testsuite", name=visible_line(file), tests=str(len(items)))
        failures = errors = 0
        for item in items:
            if isinstance(item, Finding):
                failures += 1
                _finding_case(suite, item)
            else:
                errors += 1
                where = visible_line(file)
                case = ET.SubElement(suite, "testcase", name=f"read {where}", classname=where)
                message = visible_line(item.message)
                ET.SubElement(case, "error", message=message).text = visible(item.message)
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    total = sum(len(v) for v in by_file.values())
    root.set("tests", str(total))
    root.set("failures", str(len(report.findings)))
    root.set("errors", str(len(report.errors)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _finding_case(suite: ET.Element, f: Finding) -> None:
    name = visible_line(f"{f.rule} {f.object.label} (line {f.location.line})")
    case = ET.SubElement(suite, "testcase", name=name, classname=visible_line(f.location.file))
    failure = ET.SubElement(case, "failure", message=visible_line(f.message), type=f.status.value)
    failure.text = visible(f"{f.message}\nfix: {f.remediation}")
