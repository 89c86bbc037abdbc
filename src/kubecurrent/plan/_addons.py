"""Add-on placement: each add-on moves exactly when its supported window requires it.

An ordinary add-on moves before the hop its current release does not support, to a release that
runs on both sides of that hop; of those it takes the one reaching furthest towards the target
(then the newest), so it moves as few times as the catalog allows. An add-on that must match the
control-plane minor (cluster-autoscaler), or that Kubernetes ships (CoreDNS, whose catalog
windows are the minors bundling each release), moves right after the hop that needs it.
"""

from __future__ import annotations

from kubecurrent.catalog import Addon
from kubecurrent.plan._migrations import crd_migrations
from kubecurrent.plan._rules import Line, Move, label
from kubecurrent.plan._work import Placed, Work


def place_installed(work: Work) -> None:
    """Find each installed add-on's release line; unknown ones block the plan.

    Add-ons the managed provider moves itself (EKS add-ons) are left to its rules."""
    found = work.rules.installed
    for installed in work.inventory.addons:
        if work.provider.owns_addon(installed.name):
            continue
        placed = found.get((installed.name, installed.version))
        if placed is None:
            placed = _place(work, installed.name, installed.version)
            if placed is None:
                continue
            found[(installed.name, installed.version)] = placed
        work.addons[installed.name] = placed


def _place(work: Work, name: str, version: str) -> Placed | None:
    """Where ``version`` of add-on ``name`` is placed, or None after blocking the plan."""
    addon = work.rules.addon(name)
    if addon is None:
        work.block(f"{name}: not in the catalog; add it with --catalog-extra")
        return None
    line = work.rules.line_of(addon, version)
    if line is None:
        oldest = addon.releases[0].version
        work.block(
            f"{addon.name} {version} is older than any release the catalog knows "
            f"(oldest: {oldest}); add its release line with --catalog-extra",
            addon=addon.name,
        )
        return None
    return work.place(addon, line, version)


def fit_current(work: Work) -> None:
    """Pre-flight: move add-ons whose release is too old for the current control plane.

    A release that is too *new* for it (its window starts later) is left alone: it is running
    already, and the hops bring the control plane into its window.
    """
    c = work.minor
    for placed in list(work.addons.values()):
        if work.line(placed).hi < c:
            _cross(work, placed, c, c)


def before_hop(work: Work, m: int) -> None:
    """Move every ordinary add-on whose release does not support minor ``m``."""
    for placed in list(work.addons.values()):
        if not placed.follows and not placed.current.lo <= m <= placed.current.hi:
            _cross(work, placed, work.minor, m)


def after_hop(work: Work) -> None:
    """Move add-ons that follow the control plane to the new minor's release."""
    minor = work.minor
    for placed in list(work.addons.values()):
        if placed.follows and not placed.current.lo <= minor <= placed.current.hi:
            _cross(work, placed, minor, minor)


def _cross(work: Work, placed: Placed, c: int, m: int) -> None:
    name = placed.addon.name
    choice = work.rules.choose(placed.addon, placed.line, c, m, work.target_minor)
    if choice is not None:
        _move(work, placed, choice, c, m)
    elif (new := work.policy.replacement_for(name)) is not None:
        _replace(work, placed, new, c, m)
    elif name in work.policy.remove:
        _remove(work, placed, m, "as requested (--remove)")
    else:
        work.block(_no_path(work, placed, c, m), at=c, addon=name)
        del work.addons[name]


def _move(work: Work, placed: Placed, choice: int, c: int, m: int) -> None:
    addon = placed.addon
    memo = (addon.name, placed.line, placed.version, choice, c, m, work.target_minor)
    move = work.rules.moves.get(memo)
    if move is None:
        move = work.rules.moves[memo] = _work_out_move(work, placed, choice, c, m)
    if work.inventory.crds:
        old = placed.current.release.version
        crd_migrations(work, addon, old, move.placed.current.release.version)
    work.emit("addon", addon.name, placed.version, move.to, move.why, move.without)
    work.addons[addon.name] = move.placed


def _work_out_move(work: Work, placed: Placed, choice: int, c: int, m: int) -> Move:
    """The step texts and the placement of one move (a pure function of its memo key)."""
    old, new = placed.current, work.rules.lines(placed.addon)[choice]
    return Move(
        to=new.install,
        why=_why_move(work, placed.addon, placed.line, choice, c, m),
        without=_without_move(work, placed, m, old),
        placed=work.place(placed.addon, choice, new.install),
    )


def _why_move(work: Work, addon: Addon, old: int, new: int, c: int, m: int) -> str:
    memo = (addon.name, old, new, c, m, work.target_minor)
    if memo not in work.rules.texts:
        lines = work.rules.lines(addon)
        work.rules.texts[memo] = _explain_move(work, addon, lines[old], lines[new], new, c, m)
    return work.rules.texts[memo]


def _without_move(work: Work, placed: Placed, m: int, old: Line) -> str:
    memo = ("without", placed.addon.name, placed.version, m, old.window)
    if memo not in work.rules.texts:
        work.rules.texts[memo] = (
            f"{placed.addon.name} {placed.version} would run on Kubernetes {label(m)}, outside "
            f"its supported window {old.window}"
        )
    return work.rules.texts[memo]


def _explain_move(
    work: Work, addon: Addon, old: Line, new: Line, index: int, c: int, m: int
) -> str:
    if addon.must_match_kubernetes_minor:
        return (
            f"{addon.name} must match the control-plane minor; {new.version} is its release "
            f"for {label(m)}"
        )
    if addon.bundled_with_kubernetes:
        return (
            f"{addon.name} is shipped with Kubernetes and moves with the control plane; "
            f"{new.version} is the release Kubernetes {label(m)} bundles"
        )
    need = f"runs on {label(c)}" if c == m else f"runs on both {label(c)} and {label(m)}"
    why = (
        f"{addon.name} {old.version} supports Kubernetes {old.window}; {new.version} "
        f"({new.window}) {need}"
    )
    lines = work.rules.lines(addon)
    newer = [ln for ln in lines[index + 1 :] if ln.lo <= c and m <= ln.hi]
    if new.hi >= work.target_minor:
        return why + f" and already covers the target {label(work.target_minor)}"
    reach = f" and lasts until {label(new.hi)}, so no further move is needed before then"
    if newer:
        reach += f" (newer {', '.join(str(n.version) for n in newer)} would need moving sooner)"
    return why + reach


def _replace(work: Work, placed: Placed, new_name: str, c: int, m: int) -> None:
    old = placed.addon.name
    if new_name in work.addons:
        _remove(work, placed, m, f"in favour of the installed {new_name} (--replace)")
        return
    new = work.rules.addon(new_name)
    choice = None if new is None else work.rules.choose(new, None, c, m, work.target_minor)
    if new is None or choice is None:
        work.block(
            f"{old}: replacement {new_name} has no release that runs on both {label(c)} and "
            f"{label(m)}",
            at=c,
            addon=old,
        )
        del work.addons[old]
        return
    line = work.rules.lines(new)[choice]
    work.emit(
        "replace",
        old,
        f"{old} {placed.version}",
        f"{new_name} {line.install}",
        f"no {old} release supports Kubernetes {label(m)}; {new_name} {line.version} "
        f"({line.window}) takes over its job as requested (--replace {old}={new_name})",
        f"{old} would run on {label(m)} outside every window the catalog knows for it",
    )
    del work.addons[old]
    work.addons[new_name] = work.place(new, choice, line.install)


def _remove(work: Work, placed: Placed, m: int, how: str) -> None:
    name = placed.addon.name
    work.emit(
        "remove",
        name,
        placed.version,
        None,
        f"no {name} release supports Kubernetes {label(m)}; removed {how}",
        f"{name} would run on {label(m)} outside every window the catalog knows for it",
    )
    del work.addons[name]


def _no_path(work: Work, placed: Placed, c: int, m: int) -> str:
    addon, lines = placed.addon, work.rules.lines(placed.addon)
    for_m = [ln for ln in lines if ln.supports(m)]
    status = "" if addon.status == "active" else f" ({addon.status} since {addon.status_since})"
    if not for_m:
        top = lines[-1]
        return (
            f"{addon.name}{status}: no release in the catalog supports Kubernetes {label(m)}; "
            f"the newest, {top.version}, supports {top.window}"
        )
    newer_for_m = [ln for ln in lines[placed.line + 1 :] if ln.supports(m)]
    if not newer_for_m:
        return (
            f"{addon.name} {placed.version}: the releases for Kubernetes {label(m)} "
            f"({', '.join(str(ln.version) for ln in for_m)}) are older than the installed one"
        )
    for_c = [ln for ln in lines[placed.line :] if ln.supports(c)] or [lines[placed.line]]
    return (
        f"{addon.name}{status}: no release runs on both {label(c)} and {label(m)}; "
        f"{for_c[-1].version} is the newest for {label(c)} and {for_m[0].version} the oldest for "
        f"{label(m)}: a two-step move through this hop would leave {addon.name} outside its "
        "supported window while the control plane is upgraded"
    )
