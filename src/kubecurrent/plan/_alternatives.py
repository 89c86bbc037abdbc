"""Ways out of a blocked plan that the catalog knows: replace, remove, or stop earlier."""

from __future__ import annotations

from kubecurrent.model.plan import Alternative
from kubecurrent.plan._rules import label
from kubecurrent.plan._work import Work


def alternatives(work: Work) -> tuple[Alternative, ...]:
    """Empty for a plan that is not blocked."""
    if not work.reasons:
        return ()
    found: list[Alternative] = []
    for name in work.blocked_addons:
        found.extend(_replacements(work, name))
        found.append(
            Alternative(
                kind="remove",
                addon=name,
                description=f"remove {name} when no release supports the next hop",
                flag=f"--remove {name}",
            )
        )
    start = work.inventory.control_plane.minor_version
    if work.reachable is not None and work.reachable > start.major * 1000 + start.minor:
        found.append(
            Alternative(
                kind="stop",
                description=f"stop at {label(work.reachable)}, the highest minor reachable "
                "with the add-ons as they are",
                flag=f"--target {label(work.reachable)}",
            )
        )
    return tuple(found)


def _replacements(work: Work, name: str) -> list[Alternative]:
    addon = work.rules.addon(name)
    found = []
    for other in addon.replacement_addons if addon else ():
        replacement = work.rules.addon(other)
        if replacement is None:
            continue
        lines = [ln for ln in work.rules.lines(replacement) if ln.supports(work.target_minor)]
        if not lines:
            continue
        found.append(
            Alternative(
                kind="replace",
                addon=name,
                description=f"replace {name} with {other} (the catalog has {other} "
                f"{lines[-1].version} for Kubernetes {label(work.target_minor)})",
                flag=f"--replace {name}={other}",
            )
        )
    return found
