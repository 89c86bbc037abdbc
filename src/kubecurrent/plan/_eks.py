"""Amazon EKS's rules for the planner.

* The control plane moves one minor per update (as everywhere) and only to a minor EKS offers:
  the versions EKS reported for the cluster (DescribeClusterVersions), else the catalog's EKS
  calendar. A path through a minor EKS does not offer is blocked, naming the offered ones.
* EKS refuses a control-plane update while a managed node group or a Fargate node runs an older
  minor than the control plane: "Before updating your control plane to a new Kubernetes version,
  make sure that the Kubernetes minor version of both the managed nodes and Fargate nodes in
  your cluster are the same as your control plane's version" (UPDATE_CLUSTER_URL). So every
  managed node group rolls to the control plane's version after each hop, before the next one,
  and once before the first hop when it is behind. Self-managed and Karpenter pools keep the
  generic skew rule; EKS does not roll them, and their steps say so.
* Fargate pods keep the kubelet they started with: after each hop they must be restarted
  (a check step per hop, UPDATE_CLUSTER_URL and VERSIONS_FAQ_URL).
* EKS add-ons: after each hop, one whose installed version EKS does not offer for the new minor
  moves to EKS's default version for it, else the newest offered (DescribeAddonVersions).
"""

from __future__ import annotations

from kubecurrent.model import MinorVersion
from kubecurrent.model.clouds import Provider
from kubecurrent.model.managed import EksCluster, ManagedAddon
from kubecurrent.plan._nodes import roll_to_control_plane
from kubecurrent.plan._rules import key, label
from kubecurrent.plan._work import Work

PROVIDER: Provider = "eks"
UPDATE_CLUSTER_URL = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"
VERSIONS_FAQ_URL = (
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#version-faqs"
)
_MANAGED_WHY = (
    "EKS requires managed node groups to run the control plane's minor before the next "
    f"control-plane update ({UPDATE_CLUSTER_URL}): {{pool}} is an EKS managed node group, so EKS "
    "replaces its nodes now"
)
_MANAGED_WITHOUT = (
    "the next control-plane update would start with {pool} a minor behind, against EKS's update "
    "procedure, and the nodes of {pool} would miss the kubelet fixes of the new version"
)
_SELF_MANAGED = (
    "EKS does not roll this pool (it is no EKS managed node group: self-managed or Karpenter); "
    "replace its nodes yourself or through Karpenter's drift"
)


class EksRules:
    """The EKS part of one cluster's plan (holds the EKS add-on versions as the plan moves them)."""

    name: str | None = PROVIDER

    def __init__(self, eks: EksCluster) -> None:
        self.eks = eks
        self.addons = {a.name: a.version for a in eks.addons}

    def owns_addon(self, name: str) -> bool:
        return self.eks.addon(name) is not None

    def pool_note(self, pool: str) -> str | None:
        return None if self.eks.nodegroup(pool) is not None else _SELF_MANAGED

    def check_path(self, work: Work, minors: list[int]) -> None:
        offered, where = self._offered(work)
        if not offered:
            return
        for m in minors:
            if m != work.minor and m not in offered:
                listed = ", ".join(label(k) for k in sorted(offered))
                work.block(
                    f"EKS does not offer Kubernetes {label(m)} for cluster {self.eks.name} "
                    f"({where}: {listed}); choose a target among those, or wait until EKS "
                    "offers it and collect the inventory again",
                    at=m - 1,
                )
                return

    def _offered(self, work: Work) -> tuple[set[int], str]:
        if self.eks.offered_minors:
            return {key(MinorVersion.parse(m)) for m in self.eks.offered_minors}, "EKS offers"
        minors = work.rules.catalog.provider_minors(PROVIDER)
        return {key(m) for m in minors}, "the catalog's EKS calendar lists"

    def preflight(self, work: Work) -> None:
        self._roll_nodegroups(work)
        self._addons(work, before=True)

    def after_hop(self, work: Work) -> None:
        self._roll_nodegroups(work)
        self._addons(work, before=False)
        self._fargate(work)

    def _roll_nodegroups(self, work: Work) -> None:
        for name, kubelet in list(work.pools.items()):
            if (
                self.eks.nodegroup(name) is not None
                and kubelet.minor_version < work.cp.minor_version
            ):
                roll_to_control_plane(
                    work,
                    name,
                    _MANAGED_WHY.format(pool=name),
                    _MANAGED_WITHOUT.format(pool=name),
                    managed_by=PROVIDER,
                )

    def _addons(self, work: Work, *, before: bool) -> None:
        minor = label(work.minor)
        for addon in self.eks.addons:
            installed = self.addons[addon.name]
            offered = addon.compatible.get(minor)
            if (offered is None and before) or (offered is not None and installed in offered):
                continue  # before the first hop an unknown pairing is what runs now: left alone
            chosen = addon.defaults.get(minor) or (offered[0] if offered else None)
            if chosen is None:
                known = (
                    "none known: the inventory lists no versions for it"
                    if offered is None
                    else "none"
                )
                work.block(
                    f"EKS add-on {addon.name} {installed}: EKS offers no version of it for "
                    f"Kubernetes {minor} ({known}); collect the inventory again through EKS "
                    "with that minor in reach, or remove the add-on before this hop",
                    at=work.minor - 1,
                )
                continue
            self._move(work, addon, installed, chosen, minor, before)

    def _move(
        self, work: Work, addon: ManagedAddon, installed: str, chosen: str, minor: str, before: bool
    ) -> None:
        which = "EKS's default" if addon.defaults.get(minor) == chosen else "the newest EKS offers"
        when = "the current" if before else "the new"
        work.emit(
            "addon",
            addon.name,
            installed,
            chosen,
            f"EKS add-on {addon.name} {installed} is not among the versions EKS offers for "
            f"{when} control-plane minor {minor}; {chosen} is {which} for {minor} "
            "(DescribeAddonVersions). Updated through the EKS add-on API",
            f"{addon.name} {installed} would run on Kubernetes {minor}, a pairing EKS does not "
            "offer or test, and EKS may refuse later updates of the add-on",
            managed_by=PROVIDER,
        )
        self.addons[addon.name] = chosen

    def _fargate(self, work: Work) -> None:
        profiles = self.eks.fargate_profiles
        if not profiles:
            return
        names = ", ".join(p.name for p in profiles)
        before = "" if work.minor == work.target_minor else " before the next control-plane update"
        work.emit(
            "check",
            "fargate",
            work.cp_text,
            work.cp_text,
            f"Fargate pods keep the kubelet they started with ({UPDATE_CLUSTER_URL}): restart "
            f"the workloads of the Fargate profiles {names} (e.g. kubectl rollout restart) so "
            f"their pods run {work.cp.minor_version}{before}",
            "the Fargate pods would keep running an older kubelet, and the next control-plane "
            "update would start with Fargate nodes a minor behind, against EKS's update procedure",
            managed_by=PROVIDER,
        )
