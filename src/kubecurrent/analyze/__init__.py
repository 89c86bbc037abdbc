"""Pure rules: documents + catalog + target -> findings. No I/O happens here."""

from kubecurrent.analyze._apis import ApiRule, ApiTable
from kubecurrent.analyze._catalogue import RULE_IDS, RULES, RuleInfo, rule_info
from kubecurrent.analyze._chart import check_chart
from kubecurrent.analyze._context import Context, target_api_versions
from kubecurrent.analyze._rules import body_fields, check_document, remediation
from kubecurrent.model.constraint import ConstraintError, satisfies

__all__ = [
    "RULES",
    "RULE_IDS",
    "ApiRule",
    "ApiTable",
    "ConstraintError",
    "Context",
    "RuleInfo",
    "body_fields",
    "check_chart",
    "check_document",
    "remediation",
    "rule_info",
    "satisfies",
    "target_api_versions",
]
