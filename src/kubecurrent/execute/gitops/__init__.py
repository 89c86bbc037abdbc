"""GitOps mode: add-on versions moved by editing the user's repository instead of running Helm.

``find_pins`` finds where each chart's version is written (Argo CD, Flux, Chart.yaml,
kustomize); ``edits_for_step`` turns a plan's add-on step into exact token edits, translating
add-on versions into chart versions through the chart repository's ``index.yaml`` (read by
``HttpChartIndex``) where the chart numbers its releases apart from the add-on; ``propose``
commits them on a branch with git's plumbing, one commit per step, never pushing;
``GitOpsAddons`` is the executor's add-on action in this mode (commit, then wait for the
cluster to show the version a GitOps controller syncs).
"""

from kubecurrent.execute.gitops._addons import GitOpsAddons
from kubecurrent.execute.gitops._edit import Edit, StepEdits, apply_edits, edits_for_step, is_range
from kubecurrent.execute.gitops._git import Git, GitError
from kubecurrent.execute.gitops._index import ChartIndex, HttpChartIndex, IndexEntry
from kubecurrent.execute.gitops._pins import (
    HelmRepository,
    Pin,
    PinScan,
    Reference,
    SourceRef,
    find_pins,
)
from kubecurrent.execute.gitops._propose import (
    Proposal,
    StepCommit,
    branch_name,
    commit_message,
    propose,
    unified_diff,
)

__all__ = [
    "ChartIndex",
    "Edit",
    "Git",
    "GitError",
    "GitOpsAddons",
    "HelmRepository",
    "HttpChartIndex",
    "IndexEntry",
    "Pin",
    "PinScan",
    "Proposal",
    "Reference",
    "SourceRef",
    "StepCommit",
    "StepEdits",
    "apply_edits",
    "branch_name",
    "commit_message",
    "edits_for_step",
    "find_pins",
    "is_range",
    "propose",
    "unified_diff",
]
