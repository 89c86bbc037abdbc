"""The kubeadm runbook: exact per-node commands, in the order the kubeadm upgrade page gives."""

from __future__ import annotations

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.execute.kubeadm import (
    KubeadmNode,
    Runbook,
    build_runbook,
    load_facts,
    render_markdown,
)
from kubecurrent.model.plan import ClusterPlan, Step


def step(order: int, type_: str, target: str, from_: str, to: str, hop: int) -> Step:
    return Step.read(
        {
            "order": order,
            "type": type_,
            "target": target,
            "from": from_,
            "to": to,
            "why": "w",
            "without": "x",
            "hop": hop,
        }
    )


PLAN = ClusterPlan(
    name="lab",
    status="ok",
    from_version="1.35.4",
    target="1.37",
    steps=(
        step(1, "addon", "cert-manager", "1.14.5", "1.15.3", 0),
        step(2, "control-plane", "control-plane", "1.35.4", "1.36.3", 1),
        step(3, "control-plane", "control-plane", "1.36.3", "1.37.2", 2),
        step(4, "node-pool", "workers", "1.35.4", "1.37.2", 2),
        step(5, "node-pool", "control-plane", "1.35.4", "1.37.2", 2),
    ),
)
NODES = [
    KubeadmNode("cp-b", "control-plane", True, "v1.35.4", "Ubuntu 24.04.1 LTS"),
    KubeadmNode("cp-a", "control-plane", True, "v1.35.4", "Ubuntu 24.04.1 LTS"),
    KubeadmNode("w-1", "workers", False, "v1.35.4", "Rocky Linux 9.4 (Blue Onyx)"),
    KubeadmNode("w-0", "workers", False, "v1.35.4", "Debian GNU/Linux 12 (bookworm)"),
]


def runs(book: Runbook, node: str, stage: int) -> list[str]:
    block = next(n for n in book.stages[stage].nodes if n.node == node)
    return [c.run for c in block.commands]


def test_order_first_control_plane_then_the_others_then_workers_per_hop() -> None:
    book = build_runbook(PLAN, NODES, load_facts())
    assert book.order() == [
        ("control plane 1.35.4 → 1.36.3", "cp-a"),
        ("control plane 1.35.4 → 1.36.3", "cp-b"),
        ("control plane 1.36.3 → 1.37.2", "cp-a"),
        ("control plane 1.36.3 → 1.37.2", "cp-b"),
        ("node pool workers 1.35.4 → 1.37.2", "w-0"),
        ("node pool workers 1.35.4 → 1.37.2", "w-1"),
    ]
    assert book.stages[0].note.startswith(
        "add-on cert-manager 1.14.5 → 1.15.3: not part of kubeadm"
    )
    assert "control-plane stages upgrade" in book.stages[-1].note


def test_first_control_plane_node_exact_apt_commands() -> None:
    book = build_runbook(PLAN, NODES, load_facts())
    assert runs(book, "cp-a", 2) == [
        "grep -F '/core:/stable:/v1.36/deb/' /etc/apt/sources.list.d/kubernetes.list",
        "sudo sed -i 's#/core:/stable:/v1.36/deb/#/core:/stable:/v1.37/deb/#' "
        "/etc/apt/sources.list.d/kubernetes.list",
        "sudo apt-get update && apt-cache madison kubeadm | grep ' 1.37.2-1.1 '",
        "sudo apt-mark unhold kubeadm && sudo apt-get update && sudo apt-get install -y "
        "kubeadm='1.37.2-1.1' && sudo apt-mark hold kubeadm",
        "kubeadm version -o short",
        "sudo kubeadm upgrade plan",
        "sudo kubeadm upgrade apply v1.37.2",
        "kubectl drain cp-a --ignore-daemonsets --delete-emptydir-data",
        "sudo apt-mark unhold kubelet kubectl && sudo apt-get update && sudo apt-get install -y "
        "kubelet='1.37.2-1.1' kubectl='1.37.2-1.1' && sudo apt-mark hold kubelet kubectl",
        "sudo systemctl daemon-reload && sudo systemctl restart kubelet",
        "kubectl uncordon cp-a",
        "kubectl wait --for=condition=Ready node/cp-a --timeout=300s && kubectl get node cp-a "
        "-o jsonpath='{.status.nodeInfo.kubeletVersion}{\"\\n\"}'  # expect v1.37.2",
        "kubectl version  # the Server Version must read v1.37.2",
    ]
    other = runs(book, "cp-b", 2)
    assert "sudo kubeadm upgrade node" in other and "sudo kubeadm upgrade plan" not in other


def test_workers_drain_once_and_step_through_every_minor_with_their_package_manager() -> None:
    book = build_runbook(PLAN, NODES, load_facts())
    rocky = runs(book, "w-1", 3)
    assert rocky[0] == "kubectl drain w-1 --ignore-daemonsets --delete-emptydir-data"
    installs = [r for r in rocky if r.startswith("sudo yum install -y kubeadm")]
    assert installs == [
        "sudo yum install -y kubeadm-'1.36.3-*' --disableexcludes=kubernetes",
        "sudo yum install -y kubeadm-'1.37.2-*' --disableexcludes=kubernetes",
    ]
    assert rocky.count("sudo kubeadm upgrade node") == 2
    assert rocky[-2:][0] == "kubectl uncordon w-1"
    block = book.stages[3].nodes[1]
    assert (block.package_manager, block.from_, block.to) == ("dnf", "1.35.4", "1.37.2")


def test_every_command_names_its_source_and_markdown_and_json_agree() -> None:
    book = build_runbook(PLAN, NODES, load_facts())
    cmds = [c for s in book.stages for n in s.nodes for c in n.commands]
    assert all(c.source.startswith("https://kubernetes.io/") for c in cmds)
    text = render_markdown(book)
    assert text.startswith("# kubeadm runbook: lab 1.35.4 → 1.37\n")
    assert (
        "### 1. cp-a (first control-plane node, pool control-plane): 1.35.4 → 1.36.3, apt" in text
    )
    assert "# on cp-a\nsudo kubeadm upgrade apply v1.36.3" not in text  # grouped by place
    assert "sudo kubeadm upgrade apply v1.36.3" in text
    data = book.to_json()
    assert [n["node"] for s in data["stages"] for n in s["nodes"]] == [n for _, n in book.order()]


def test_unknown_os_falls_back_to_apt_and_says_so() -> None:
    nodes = [KubeadmNode("cp-0", "control-plane", True, "v1.35.4", "Simulated Linux")]
    book = build_runbook(PLAN, nodes, load_facts())
    assert book.notes == [
        "node cp-0: OS image 'Simulated Linux' names no known distribution; apt (Debian/Ubuntu) "
        "commands are shown"
    ]


def test_no_control_plane_node_is_an_error_with_the_next_step() -> None:
    with pytest.raises(UsageError) as err:
        build_runbook(PLAN, NODES[2:], load_facts())
    assert "no node carries the label node-role.kubernetes.io/control-plane" in err.value.message
