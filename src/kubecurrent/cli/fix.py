"""``kubecurrent fix files``: rewrite what can be migrated mechanically, show the rest.

Without ``--write`` a unified diff is printed and nothing changes. Comments, key order and
formatting survive; objects a human must decide about (PodSecurityPolicy, a PDB with an empty
selector, ...) are listed with the reason and left alone. Exit codes: 0 done (or nothing to do),
1 an input could not be read, 2 bad usage, 3 something was refused and needs a human.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from kubecurrent.analyze.fix import FixResult, fix_text
from kubecurrent.cli._app import EXIT_ERROR, EXIT_OK, err_console
from kubecurrent.cli._scan_run import refuse_empty_paths
from kubecurrent.cli.scan import EXCLUDE, context_for, target_options
from kubecurrent.collect.files import UNREAD, Excluded, ExcludeRules, Input, discover
from kubecurrent.display import visible_line
from kubecurrent.errors import KubecurrentError
from kubecurrent.textfile import TextForm, read_text, write_atomic

EXIT_REFUSED = 3


@click.group("fix")
def fix_group() -> None:
    """Rewrite manifests for the target Kubernetes version."""


@fix_group.command("files")
@click.argument("paths", nargs=-1, required=True)
@target_options
@click.option("--write", is_flag=True, help="Rewrite the files in place (default: print a diff).")
@EXCLUDE
@click.pass_context
def files(
    click_ctx: click.Context,
    paths: tuple[str, ...],
    target: str | None,
    from_version: str | None,
    extra: tuple[str, ...],
    write: bool,
    exclude: tuple[str, ...],
) -> None:
    """Migrate removed and deprecated apiVersions in the YAML files under PATHS.

    Charts are skipped (fix their templates by hand: they are not plain YAML). Every flag can be
    set as KUBECURRENT_FIX_FILES_<FLAG>.
    """
    refuse_empty_paths(paths, "fix")
    rules = ExcludeRules.parse(exclude)
    ctx = context_for(target, from_version, extra)
    err = err_console()
    failed = refused = False
    excluded = 0
    for item in discover(list(paths), rules):
        if isinstance(item, Excluded):
            excluded += 1
            continue
        if not isinstance(item, Input):
            err.print(f"warning: {item.file}: {item.message}", markup=False, highlight=False)
            failed = True
            continue
        if item.kind in UNREAD:
            if UNREAD[item.kind].is_note:
                note = visible_line(f"note: {item.path}: {item.note}")
                err.print(note, markup=False, highlight=False)
            continue
        # an overlay's or component's own files are where its fixes go
        for path in (item.path,) if item.kind == "file" else item.covers:
            try:
                text, form = read_text(path)
            except OSError as exc:
                err.print(
                    f"warning: {path}: cannot read: {exc.strerror}", markup=False, highlight=False
                )
                failed = True
                continue
            result = fix_text(text, ctx)
            refused = _report(path, text, form, result, write) or refused
    if excluded:
        note = f"note: excluded {excluded} files and directories matching --exclude (not fixed)"
        err.print(note, markup=False, highlight=False)
    click_ctx.exit(EXIT_REFUSED if refused else EXIT_ERROR if failed else EXIT_OK)


def _report(path: Path, before: str, form: TextForm, result: FixResult, write: bool) -> bool:
    err = err_console()
    for change in result.refused:
        err.print(
            f"refused: {path}:{change.line} {change.old} {change.kind} {change.name}: "
            f"{change.refused}",
            markup=False,
            highlight=False,
        )
    if result.applied:
        old, new = form.restore(before), form.restore(result.text)
        if old.count("\r\n") != new.count("\r\n"):
            err.print(
                f"note: {path}: mixed line endings; the rewritten documents end their lines "
                f"with LF ({old.count(chr(13) + chr(10))} CRLF line endings before, "
                f"{new.count(chr(13) + chr(10))} after)",
                markup=False,
                highlight=False,
            )
        if write:
            try:
                write_atomic(path, new)
            except OSError as exc:
                raise KubecurrentError(
                    f"{path}: cannot write: {exc.strerror or exc}; the file is unchanged",
                    hint="free space or fix permissions, then run again",
                ) from None
            for change in result.applied:
                err.print(
                    f"fixed: {path}:{change.line} {change.kind} {change.name}: {change.old} -> "
                    f"{change.new}",
                    markup=False,
                    highlight=False,
                )
        else:
            diff = difflib.unified_diff(
                before.splitlines(keepends=True),
                result.text.splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
            click.echo("".join(diff), nl=False)
    return bool(result.refused)
