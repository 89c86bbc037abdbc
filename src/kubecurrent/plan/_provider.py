"""What a managed provider adds to the plan: which targets it offers and what follows each hop.

The planner asks the rules chosen for the inventory (``rules_for``) at fixed points::

    check_path   before anything moves: is every minor the path passes through offered?
    owns_addon   add-ons the provider moves itself are left out of the catalog's placement
    preflight    before the first hop: bring what the provider manages to the current minor
    after_hop    right after each control-plane hop, before the generic add-on moves
    pool_note    a sentence added to the roll of a pool the provider does not roll itself

A cluster no provider manages gets ``GenericRules``: nothing added, the skew policy decides.
``EksRules`` implements Amazon EKS (see ``_eks``), ``GkeRules`` Google GKE (``_gke``);
``rules_for`` picks them by the inventory's ``managed`` model (docs/clouds.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from kubecurrent.model.aks import AksCluster
from kubecurrent.model.gke import GkeCluster
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster
from kubecurrent.model.plan import Hold

if TYPE_CHECKING:
    from kubecurrent.plan._work import Work


class ProviderRules(Protocol):
    """The provider's part of a plan; every method may emit steps or block the plan."""

    name: str | None
    """The provider (``eks``), or None for a cluster no provider manages."""

    def check_path(self, work: Work, minors: list[int]) -> None: ...

    def owns_addon(self, name: str) -> bool: ...

    def preflight(self, work: Work) -> None: ...

    def after_hop(self, work: Work) -> None: ...

    def pool_note(self, pool: str) -> str | None: ...


class GenericRules:
    """A cluster without a managed provider: the generic skew-minimising rules alone."""

    name: str | None = None

    def check_path(self, work: Work, minors: list[int]) -> None:
        return None

    def owns_addon(self, name: str) -> bool:
        return False

    def preflight(self, work: Work) -> None:
        return None

    def after_hop(self, work: Work) -> None:
        return None

    def pool_note(self, pool: str) -> str | None:
        return None


GENERIC = GenericRules()


def rules_for(inventory: ClusterInventory) -> ProviderRules:
    """The rules of the provider that manages ``inventory`` (generic when none does)."""
    from kubecurrent.plan._aks import AksRules
    from kubecurrent.plan._eks import EksRules  # the providers' rules build on this module
    from kubecurrent.plan._gke import GkeRules

    match inventory.managed:
        case EksCluster() as eks:
            return EksRules(eks)
        case GkeCluster() as gke:
            return GkeRules(gke)
        case AksCluster() as aks:
            return AksRules(aks)
        case _:
            return GENERIC


def holds_for(inventory: ClusterInventory) -> tuple[Hold, ...]:
    """The provider's maintenance windows and exclusions of ``inventory``, as plan holds."""
    from kubecurrent.plan._aks import holds as aks_holds
    from kubecurrent.plan._gke import holds

    match inventory.managed:
        case GkeCluster() as gke:
            return holds(gke)
        case AksCluster() as aks:
            return aks_holds(aks)
        case _:
            return ()
