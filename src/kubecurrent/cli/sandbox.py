"""``kubecurrent sandbox``: a real local Kubernetes control plane (work in progress)."""

from __future__ import annotations

import click


@click.group()
def sandbox() -> None:
    """Build and run local Kubernetes control planes for rehearsals, demos and tests."""
