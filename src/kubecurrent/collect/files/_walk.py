"""Find what to scan under the paths a user gave: manifest files, Helm charts, kustomizations.

Directories are walked in sorted order; hidden directories (``.git``) are skipped. The walk
never leaves the directory it was given (the scan root): a symbolic link is followed only when
it leads to a place inside the root (a directory already visited, by device and inode, is not
entered again, so link loops end). What would take a scan outside is reported as skipped
(``Input`` of kind ``outside``, with a note naming the link and where it leads) and never read:

* a link to a directory or to a manifest file outside the root;
* a chart holding such a link anywhere in its directory (``templates -> /etc``): not rendered,
  since helm would read what it points to;
* a kustomization naming a file or directory outside the root (``../../../../etc/x``), itself
  or through a local base or component it names: not built; its own files are read as plain
  files.

* A directory with a ``Chart.yaml`` file is a chart: it is rendered, not read file by file; the
  chart's own machinery (``templates/``, ``charts/``, ``crds/``, values and lock files) is left
  to helm, and any other YAML in it (``ci/``, ``examples/``, stray manifests) is walked as
  plain files.
* A directory with a kustomization *file* (``kustomization.yaml``, ``kustomization.yml`` or
  ``Kustomization``) is an overlay when that file's kind is ``Kustomization`` (or unset), a
  component when it is ``Component``. An overlay is rendered; a component is not (it is built
  through the overlays that use it). The files either one names (``resources``, patches,
  ``crds``) are covered by its build and not read again on their own (``Input.covers``; ``fix
  files`` edits them there); files it does not name are read as usual.
* Files named explicitly are ``explicit``: one that holds no Kubernetes object is an error. In
  a walk, what is not a manifest is skipped and counted.
* Nothing is opened that a read could wait on forever: a manifest's name on a FIFO, a socket or
  a device (or on a link to nothing) is skipped with a note (kind ``special``; an overlay whose
  build would read one is not built: ``waits_on``, checked when it is rendered); a file with a
  manifest's name holding binary data is skipped and counted (``binary``); one that cannot be
  opened is an error.
* ``--exclude`` patterns (``ExcludeRules``, see ``_exclude``) are matched against paths relative
  to the scan root a walk started from: a matching directory is not entered, a matching
  manifest file not read; each is yielded as ``Excluded`` so that it is counted. They apply to
  what the walk finds, never to a path named on the command line, nor to the files a chart or
  a kustomization reads through helm or kustomize.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import msgspec

from kubecurrent.collect.files._digest import inside, real_path
from kubecurrent.collect.files._exclude import ExcludeRules
from kubecurrent.collect.files._remote import is_remote, remote_refs
from kubecurrent.collect.files._types import Excluded, SkipReason
from kubecurrent.errors import KubecurrentError
from kubecurrent.model.findings import ScanError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_DIRS = ("templates", "charts", "crds")
"""A chart's directories that helm renders (or bundles); never walked as plain files."""
CHART_FILES = ("Chart.yaml", "Chart.lock", "requirements.yaml", "requirements.lock")
SNIFF_BYTES = 8192

InputKind = Literal[
    "file", "chart", "kustomize", "component", "stdin", "outside", "binary", "special"
]
UNREAD: dict[InputKind, SkipReason] = {
    "outside": SkipReason.OUTSIDE_ROOT,
    "binary": SkipReason.BINARY,
    "special": SkipReason.NOT_A_FILE,
}
"""The kinds of input found and not read, and the skip each one is."""
BINARY_NOTE = "binary data (a NUL byte in its first kilobytes), not a YAML or JSON manifest"
_PATH_FIELDS = ("resources", "components", "crds", "patchesStrategicMerge")
_PATCH_FIELDS = ("patches", "patchesJson6902")


class Input(msgspec.Struct, frozen=True):
    """One thing to read or render."""

    kind: InputKind
    path: Path
    explicit: bool = False
    """A file named on the command line (not found by walking a directory)."""
    covers: tuple[Path, ...] = ()
    """For an overlay or component: the files its kustomization names, read through its build."""
    missing: tuple[Path, ...] = ()
    """For an overlay: local files or directories it (or a base it names) needs that are not
    there, typically made by a build step. It is then not built; its own files are read."""
    remote: tuple[str, ...] = ()
    """For an overlay: the remote bases, resources and files it (or a local base or component
    it names) makes kustomize fetch over the network (``_remote``)."""
    note: str = ""
    """For a kind in ``UNREAD``: why it is not read (which link or reference leads out of the
    scan root, and where; what the special file is)."""
    root: Path | None = None
    """For a chart or an overlay: the scan root it was found under (what its render may read,
    besides the files named on the command line)."""
    size: int | None = None
    """For a file: its size in bytes when the walk looked (the work it is, see
    ``cli._scan_run.weight``); None when not known."""


def discover(
    paths: list[str], exclude: ExcludeRules | None = None
) -> Iterator[Input | ScanError | Excluded]:
    """Inputs under ``paths`` (``-`` is standard input) in a stable order, and what ``exclude``
    kept out of the walk."""
    walk = _Walk(exclude or ExcludeRules())
    for raw in paths:
        if raw == "-":
            yield Input("stdin", Path("-"))
            continue
        path = Path(raw)
        if path.is_dir():
            yield from walk.directory(path, path)
        elif not os.path.lexists(path):
            yield ScanError(file=raw, message="no such file or directory")
        elif (special := special_file(path)) is not None:
            yield ScanError(file=raw, message=f"{special}: name manifest files or a directory")
        else:
            size = sniff(path)
            if isinstance(size, OSError):
                yield ScanError(file=raw, message=_cannot_read(size))
            elif size is None:
                yield ScanError(
                    file=raw,
                    message="a binary file, not a YAML or JSON manifest: name manifest files or "
                    "a directory",
                )
            else:
                yield Input("file", path, explicit=True, size=size)


class _Memo:
    """What one walk has read of kustomization files and where paths really lead: each read
    once. Overlays share bases, and each overlay's references are followed through them (a walk
    of argo-cd's 98 overlays had parsed 793 kustomization files, about 110 distinct, and
    resolved 7,335 paths: 0.35 of its 0.52 s)."""

    def __init__(self) -> None:
        self._specs: dict[tuple[int, int], dict[str, Any] | None] = {}
        self._real: dict[Path, Path] = {}

    def load(self, path: Path) -> dict[str, Any] | None:
        """``_load(path)``, parsed once per walk for each file, however its path is spelled
        (``overlays/a/../../base/kustomization.yaml``): the file is known by device and inode."""
        try:
            st = path.stat()
        except OSError:
            return None
        key = (st.st_dev, st.st_ino)
        if key not in self._specs:
            self._specs[key] = _load(path)
        return self._specs[key]

    def real(self, path: Path) -> Path:
        """``path.resolve()``, once per walk."""
        found = self._real.get(path)
        if found is None:
            found = self._real[path] = path.resolve()
        return found

    def inside(self, path: Path, root: Path) -> bool:
        """``_inside(path, root)``."""
        return self.real(path).is_relative_to(self.real(root))


class _Walk:
    """One walk's memory: directories visited and files covered by a kustomization."""

    def __init__(self, exclude: ExcludeRules) -> None:
        self.seen: set[tuple[int, int]] = set()
        self.covered: set[Path] = set()
        self.covered_names: set[str] = set()
        """The last parts of ``covered``: a file whose name is not among them, and which is not
        a link, resolves to none of them (so most files need no ``resolve``)."""
        self.exclude = exclude
        self.memo = _Memo()

    def directory(self, path: Path, root: Path) -> Iterator[Input | ScanError | Excluded]:
        try:
            st = path.stat()
            if (st.st_dev, st.st_ino) in self.seen:
                return
            self.seen.add((st.st_dev, st.st_ino))
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            yield ScanError(file=str(path), message=f"cannot list directory: {exc.strerror}")
            return
        files = {e.name for e in entries if _is_file(e)}
        if "Chart.yaml" in files:
            outside = _chart_outside(path, root)
            if outside is None:
                yield Input("chart", path, root=root)
            else:
                yield Input("outside", path, note=f"chart not rendered: {outside}")
            entries = [e for e in entries if not _chart_machinery(e.name)]
        else:
            yield from self._kustomization(path, files, root)
        for entry in entries:
            yield from self._entry(entry, root)

    def _kustomization(self, path: Path, files: set[str], root: Path) -> Iterator[Input]:
        name = next((n for n in KUSTOMIZATION_FILES if n in files), None)
        if name is None:
            return
        memo = self.memo
        spec = memo.load(path / name)
        kind = spec.get("kind") if spec is not None else None
        if kind not in (None, "Kustomization", "Component"):
            return
        ref = _ref_outside(path, spec or {}, root, set(), memo)
        if ref is not None:
            note = f"not built: it names {_leads(ref, root)}; its own files are read"
            yield Input("outside", path, note=note)
            return
        covers = tuple(sorted(_named_files(path, spec or {})))
        resolved = [memo.real(p) for p in covers]
        self.covered.update(resolved)
        self.covered_names.update(p.name for p in resolved)
        if kind == "Component":
            yield Input("component", path, covers=covers)
        else:
            lacking = tuple(_missing(path, spec or {}, set(), memo))
            remote = tuple(dict.fromkeys(_remotes(path, spec or {}, set(), memo)))
            yield Input("kustomize", path, covers=covers, missing=lacking, remote=remote, root=root)

    def _entry(self, entry: os.DirEntry[str], root: Path) -> Iterator[Input | ScanError | Excluded]:
        child = Path(entry.path)
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError:
            return
        if is_dir:
            if entry.name.startswith("."):
                return
        elif not _is_manifest_name(entry.name) or (is_file and self._covered(entry, child)):
            return
        excluded = self._excluded(child, root, is_dir)
        if excluded is not None:
            yield excluded
        elif entry.is_symlink() and child.exists() and not _inside(child, root):
            yield Input("outside", child, note=f"not followed: {_leads(child, root)}")
        elif is_dir:
            yield from self.directory(child, root)
        elif not is_file:
            yield Input("special", child, note=special_file(child) or "not a regular file")
        else:
            yield from _file(child)

    def _covered(self, entry: os.DirEntry[str], child: Path) -> bool:
        if entry.name not in self.covered_names and not entry.is_symlink():
            return False
        return child.resolve() in self.covered

    def _excluded(self, child: Path, root: Path, is_dir: bool) -> Excluded | None:
        if not self.exclude:
            return None
        relative = child.relative_to(root).as_posix()
        pattern = self.exclude.matching(relative, is_dir)
        return None if pattern is None else Excluded(str(child), is_dir, pattern)


def _file(path: Path) -> Iterator[Input | ScanError]:
    """A manifest file the walk found: to read, binary (skipped), or an error."""
    size = sniff(path)
    if isinstance(size, OSError):
        yield ScanError(file=str(path), message=_cannot_read(size))
    elif size is None:
        yield Input("binary", path, note=BINARY_NOTE)
    else:
        yield Input("file", path, size=size)


def _cannot_read(exc: OSError) -> str:
    if exc.errno is None:  # not a regular file (``sniff``)
        return f"cannot read: {exc}"
    return f"cannot read: {exc.strerror or exc}: check the file's permissions"


def special_file(path: Path) -> str | None:
    """What ``path`` is when it exists and is neither a regular file nor a directory (a FIFO, a
    socket, a device, a symbolic link to nothing), said for a reader; None otherwise (a missing
    path too)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return f"a symbolic link to nothing ({path.readlink()})"
        return None
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return f"not a regular file but {_what_special(mode)}"


def _what_special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (a named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def waits_on(reads: list[Path], overlay: Path) -> str | None:
    """The first of ``reads`` (what an overlay's build reads: ``kustomize_inputs``) that is a
    FIFO, socket or device, which kustomize would wait on, said for a reader; None when there
    is none (a link to nothing is not one: kustomize says so at once)."""
    for path in reads:
        what = special_file(path)
        if what is not None and path.exists():
            return f"{os.path.relpath(path, overlay.absolute())}, {what}"
    return None


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, every link on the way followed, is within ``root`` (likewise)."""
    return path.resolve().is_relative_to(root.resolve())


def _leads(path: Path, root: Path) -> str:
    """``PATH leads to TARGET, outside the scanned directory ROOT``."""
    return f"{path} leads to {path.resolve()}, outside the scanned directory {root}"


def _link_outside(directory: Path, root: Path) -> Path | None:
    """The first symbolic link under ``directory`` (links not followed) leading out of ``root``."""
    for here, dirs, files in os.walk(directory):
        for name in sorted([*dirs, *files]):
            path = Path(here, name)
            if path.is_symlink() and not _inside(path, root):
                return path
    return None


def _chart_outside(chart: Path, root: Path) -> str | None:
    """Why rendering ``chart`` would read outside ``root``, if it would: a link in the chart
    leading out, or a ``file://`` dependency to copy in (declared, not in ``charts/``) that lies
    outside or holds such a link (the copy follows links: a link to ``/`` would copy the disk)."""
    from kubecurrent.collect.files._chart import chart_meta, missing  # charts only: PyYAML

    link = _link_outside(chart, root)
    if link is not None:
        return f"{_leads(link, root)} (helm would read it)"
    try:
        wanted = missing(chart, chart_meta(chart))
    except KubecurrentError:
        return None  # the render reports the bad Chart.yaml
    for dep in wanted:
        source = dep.local_source(chart)
        if source is None:
            continue
        if not _inside(source, root):
            return (
                f"its dependency {dep.name} ({dep.repository}) is {source.resolve()}, outside the "
                f"scanned directory {root}: scan a directory that holds both"
            )
        link = _link_outside(source, root)
        if link is not None:
            return (
                f"its dependency {dep.name} holds a link: {_leads(link, root)} (helm would read it)"
            )
    return None


def _ref_outside(
    base: Path, spec: dict[str, Any], root: Path, seen: set[Path], memo: _Memo
) -> Path | None:
    """The first local file or directory the kustomization names (itself, or through the local
    bases and components it names) that lies outside ``root``."""
    refs = [*_named_files(base, spec), *(base / r for r in _local_refs(base, spec))]
    for ref in refs:
        if ref.exists() and not memo.inside(ref, root):
            return ref
    for ref in refs:
        if ref.is_dir() and memo.real(ref) not in seen:
            seen.add(memo.real(ref))
            name = next((n for n in KUSTOMIZATION_FILES if (ref / n).is_file()), None)
            spec_of = memo.load(ref / name) if name else None
            found = _ref_outside(ref, spec_of or {}, root, seen, memo) if name else None
            if found is not None:
                return found
    return None


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _chart_machinery(name: str) -> bool:
    """What helm reads itself: rendered, bundled or values, never a manifest of its own."""
    return (
        name in CHART_DIRS
        or name in CHART_FILES
        or name in KUSTOMIZATION_FILES
        or (name.startswith("values") and name.endswith((*MANIFEST_SUFFIXES, ".schema.json")))
    )


def _load(path: Path) -> dict[str, Any] | None:
    """A kustomization file's content (None when it cannot be read: kustomize will say why)."""
    import yaml  # only for a directory with a kustomization

    from kubecurrent.collect.files._yaml import load

    try:
        data = load(path.read_bytes())  # kustomize reads it as Kubernetes does
    except (OSError, ValueError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _named_files(base: Path, spec: dict[str, Any]) -> Iterator[Path]:
    """Local files (not directories or URLs) the kustomization names."""
    refs: list[Any] = []
    for field in _PATH_FIELDS:
        value = spec.get(field)
        refs += value if isinstance(value, list) else []
    for field in _PATCH_FIELDS:
        value = spec.get(field)
        for patch in value if isinstance(value, list) else []:
            refs.append(patch.get("path") if isinstance(patch, dict) else patch)
    for ref in refs:
        if isinstance(ref, str) and "://" not in ref:
            candidate = Path(os.path.normpath(base / ref))
            if candidate.is_file():
                yield candidate


def _local_refs(base: Path, spec: dict[str, Any]) -> Iterator[str]:
    for field in (*_PATH_FIELDS, "bases"):
        value = spec.get(field)
        for ref in value if isinstance(value, list) else []:
            if isinstance(ref, str) and not is_remote(ref, base) and "://" not in ref:
                yield ref


def _remotes(base: Path, spec: dict[str, Any], seen: set[Path], memo: _Memo) -> Iterator[str]:
    """Remote references of the kustomization and of the local bases and components it names,
    followed through their directories."""
    yield from remote_refs(base, spec)
    for ref in _local_refs(base, spec):
        target = base / ref
        if target.is_dir() and memo.real(target) not in seen:
            seen.add(memo.real(target))
            name = next((n for n in KUSTOMIZATION_FILES if (target / n).is_file()), None)
            if name is not None:
                yield from _remotes(target, memo.load(target / name) or {}, seen, memo)


def _missing(base: Path, spec: dict[str, Any], seen: set[Path], memo: _Memo) -> Iterator[Path]:
    """Local resources, components and bases the kustomization needs that are not there,
    following the directories it names."""
    for ref in _local_refs(base, spec):
        target = base / ref
        if not target.exists():
            yield target
        elif target.is_dir() and memo.real(target) not in seen:
            seen.add(memo.real(target))
            name = next((n for n in KUSTOMIZATION_FILES if (target / n).is_file()), None)
            if name is None:
                yield target / "kustomization.yaml"
            else:
                yield from _missing(target, memo.load(target / name) or {}, seen, memo)


def kustomization_sources(overlay: Path) -> list[Path]:
    """The local files an overlay's build reads objects from: the files it names, and those of
    the bases and components it names, followed through directories."""
    found: list[Path] = []
    todo, seen = [overlay], set()
    while todo:
        here = todo.pop()
        if here.resolve() in seen:
            continue
        seen.add(here.resolve())
        name = next((n for n in KUSTOMIZATION_FILES if (here / n).is_file()), None)
        spec = _load(here / name) if name else None
        if spec is None:
            continue
        found += _named_files(here, spec)
        refs = _local_refs(here, spec)
        todo += [Path(os.path.normpath(here / r)) for r in refs if (here / r).is_dir()]
    return found


def _is_manifest_name(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) and name not in KUSTOMIZATION_FILES


def is_binary(path: Path) -> bool:
    """Not text to read (see ``sniff``): a NUL byte in the first few kilobytes, not a regular
    file, or not readable."""
    size = sniff(path)
    return size is None or isinstance(size, OSError)


def sniff(path: Path) -> int | OSError | None:
    """The size in bytes of the regular file at ``path`` when it is text; None when it is binary
    (a NUL byte in its first few kilobytes); the error when it cannot be read, or when it is not
    a regular file (it is opened without waiting, so a FIFO put there after the walk looked is
    refused, not waited on). Plain system calls: a walk sniffs every manifest file, and a
    buffered file object costs more than the read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        return exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return OSError(f"not a regular file but {_what_special(st.st_mode)}")
        head = _read_upto(fd, SNIFF_BYTES)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NULs but is text
        return st.st_size
    return None if b"\0" in head else st.st_size


def _read_upto(fd: int, size: int) -> bytes:
    """The first ``size`` bytes of ``fd`` (fewer at its end), however the reads come back."""
    head = os.read(fd, size)
    while head and len(head) < size and (more := os.read(fd, size - len(head))):
        head += more
    return head


def kustomize_inputs(overlay: Path, scope: Path) -> list[Path]:
    """What a build of ``overlay`` may read, for the render cache's key: the directory of every
    kustomization it reaches (the overlay's, and those of the bases and components it names,
    followed through directories), walked whole, and every other local file any of their
    fields names (patches, generator files as ``KEY=PATH`` too, replacements, configurations).
    More than kustomize reads, never less. A kustomization out of ``scope`` (the scanned
    directory) is listed, not read: the key refuses it (``tree_digest``)."""
    found: list[Path] = []
    todo, seen = [Path(os.path.normpath(overlay.absolute()))], set()
    within = [real_path(scope)]
    while todo:
        here = todo.pop()
        if here in seen:
            continue
        seen.add(here)
        found.append(here)
        if not inside(here, within):
            continue
        name = next((n for n in KUSTOMIZATION_FILES if (here / n).is_file()), None)
        spec = _load(here / name) if name else None
        for text in _strings(spec):
            for ref in {text, text.rpartition("=")[2]}:
                path = Path(os.path.normpath(here / ref))
                if not ref or len(ref) > 4096 or path in seen:
                    continue
                if path.is_dir() and any((path / n).is_file() for n in KUSTOMIZATION_FILES):
                    todo.append(path)
                elif path.exists() and not path.is_dir():  # a FIFO or a device too: refused
                    seen.add(path)
                    found.append(path)
    return sorted(found)


def _strings(value: Any) -> Iterator[str]:
    """Every string in a parsed YAML value, keys and nested values included."""
    if isinstance(value, str):
        if "\n" not in value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
