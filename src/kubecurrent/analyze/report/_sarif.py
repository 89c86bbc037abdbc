"""SARIF 2.1.0 for GitHub code scanning (https://docs.oasis-open.org/sarif/sarif/v2.1.0/).

One run, one tool driver describing every rule; one result per finding with the file and line
of the document as its physical location. Scan errors become tool execution notifications.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from kubecurrent._version import __version__
from kubecurrent.analyze._catalogue import RULES
from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.model.findings import Finding, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> str:
    """A relative URI reference or a file: URI, percent-encoded (spaces, ``#``, ``%``, ``:``,
    control characters and non-ASCII bytes as their UTF-8 escapes)."""
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return quote(p.as_posix().encode("utf-8", "surrogateescape"), safe="/")


def _result(f: Finding) -> dict[str, Any]:
    return {
        "ruleId": f.rule,
        "ruleIndex": next(i for i, r in enumerate(RULES) if r.id == f.rule),
        "level": _LEVEL[f.severity],
        "message": {"text": f"{f.object.label}: {f.message}. Fix: {f.remediation}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.location.file)},
                    "region": {"startLine": f.location.line},
                }
            }
        ],
        "partialFingerprints": {
            "kubecurrent/v1": f"{f.rule}:{f.object.api_version}:{f.object.kind}:"
            f"{f.object.namespace}/{f.object.name}"
        },
        "properties": {
            "status": f.status.value,
            "source": f.source.value,
            **({"removedIn": f.removed_in} if f.removed_in else {}),
            **({"replacement": f.replacement} if f.replacement else {}),
        },
    }


def to_sarif(report: ScanReport) -> dict[str, Any]:
    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.help},
            "help": {"text": r.help},
        }
        for r in RULES
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(e.file)},
                        **({"region": {"startLine": e.line}} if e.line else {}),
                    }
                }
            ],
        }
        for e in report.errors
    ]
    run = {
        "tool": {
            "driver": {
                "name": "kubecurrent",
                "version": __version__,
                "informationUri": "https://github.com/kubecurrent/kubecurrent",
                "rules": rules,
            }
        },
        "invocations": [
            {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
        ],
        "results": [_result(f) for f in report.sorted_findings()],
        "properties": {"target": report.target},
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
