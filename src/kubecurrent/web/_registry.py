"""Where pages beyond the read-only ones plug in (phase 2 of issue #9: Upgrade and History).

An ``Extension`` brings its routes and its navigation entries. ``create_app`` asks every hook in
``EXTENSIONS`` for one, with the ``WebContext`` (catalog, fleet, sessions, audit, templates and
``store``, the CLI's rollout store). Routes must wrap their handlers in ``guard(Role…)``;
state-changing ones get the CSRF check and the audit from it. A nav entry shows only to users
whose role allows it.

Phase 2's hook, ``kubecurrent.web._rollout_pages.rollout_extension`` (the Upgrade and History
pages over ``kubecurrent.rollout``), is appended by ``kubecurrent.web`` itself. Without a state
store (``WebContext.store`` None) it brings nothing, and the nav shows no Upgrade or History
link: nothing is faked. Hooks may register shutdown work in ``WebContext.on_close``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

from kubecurrent.web._auth import Role

if TYPE_CHECKING:
    from kubecurrent.web._context import WebContext


@dataclass(frozen=True)
class NavEntry:
    label: str
    path: str
    role: Role = Role.VIEWER
    """The lowest role that sees the entry."""


@dataclass(frozen=True)
class Extension:
    name: str
    routes: Sequence[BaseRoute]
    nav: Sequence[NavEntry] = ()


ExtensionHook = Callable[["WebContext"], Extension]

EXTENSIONS: list[ExtensionHook] = []
"""The hooks ``create_app`` asks by default (``kubecurrent.web`` adds the rollout pages')."""
