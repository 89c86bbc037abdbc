"""Managed Kubernetes providers: the versions each one offers, when, and what support costs.

One file per provider in ``data/providers/<name>.yaml`` with two lists::

    releases:   a Kubernetes minor on the provider: available from, end of standard support,
                end of extended support (equal to the end of standard support when the
                provider offered no extended support for it)
    prices:     what a cluster costs per hour in each support phase, in US dollars

Every entry names its ``provider``; a user's extra file adds entries under ``provider_releases``
and ``provider_prices``, never replacing a built-in one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, model_validator

from kubecurrent.catalog._common import Name, Sourced
from kubecurrent.model.fields import MinorField


class SupportPhase(StrEnum):
    """Where a provider's version stands on a given day."""

    NOT_YET = "not-yet"
    """Not offered by the provider yet."""
    STANDARD = "standard"
    EXTENDED = "extended"
    """Past the end of standard support: still running, at the extended-support price."""
    ENDED = "ended"
    """Past the end of extended support: the provider upgrades the control plane itself."""


class ProviderRelease(Sourced):
    """One Kubernetes minor on one managed provider, with its support window."""

    provider: Name
    version: MinorField
    upstream_release: dt.date | None = None
    """When the Kubernetes project released the minor (for reference)."""
    available: dt.date
    """When the provider started offering the minor."""
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date
    """Equal to ``end_of_standard_support`` when the minor had no extended support."""

    @model_validator(mode="after")
    def _ordered(self) -> ProviderRelease:
        if not self.available < self.end_of_standard_support <= self.end_of_extended_support:
            raise ValueError(
                f"dates out of order: available {self.available}, end_of_standard_support "
                f"{self.end_of_standard_support}, end_of_extended_support "
                f"{self.end_of_extended_support} (need available < end_of_standard_support <= "
                "end_of_extended_support)"
            )
        return self

    @property
    def has_extended_support(self) -> bool:
        return self.end_of_extended_support > self.end_of_standard_support

    def phase(self, today: dt.date) -> SupportPhase:
        """The support phase on ``today`` (each end date is the first day of the next phase)."""
        if today < self.available:
            return SupportPhase.NOT_YET
        if today < self.end_of_standard_support:
            return SupportPhase.STANDARD
        if today < self.end_of_extended_support:
            return SupportPhase.EXTENDED
        return SupportPhase.ENDED


class ProviderPrice(Sourced):
    """What one cluster costs per hour in one support phase (control plane only)."""

    provider: Name
    support: SupportPhase
    usd_per_cluster_hour: Decimal = Field(gt=0)
    hours_per_month: int = Field(default=730, ge=672, le=744)
    """Hours in the month the monthly figures use (730: a year's hours over 12 months)."""

    @model_validator(mode="after")
    def _billed_phase(self) -> ProviderPrice:
        if self.support not in (SupportPhase.STANDARD, SupportPhase.EXTENDED):
            raise ValueError(f"support must be standard or extended, not {self.support.value}")
        return self

    @property
    def usd_per_cluster_month(self) -> Decimal:
        return self.usd_per_cluster_hour * self.hours_per_month
