"""#21: ``--exclude GLOB`` on ``scan files`` and ``fix files``. Patterns match paths relative to
each scan root the way ``.gitignore`` matches them; what they keep out of the walk is counted as
excluded, in the table's summary and in the JSON. The fixture ``cases/exclude`` holds one
current Deployment and deliberately old objects in test data, a ``*_test.yaml`` file and a
vendored directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from kubecurrent.cli._exit import ExitCode
from kubecurrent.collect.files import Excluded, ExcludeRules, Input, discover
from kubecurrent.errors import UsageError

CASE = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases" / "exclude"
OLD = {
    "app/checks/ingress_test.yaml",
    "pkg/diff/testdata/live.json",
    "testdata/budget.yaml",
    "testdata/old/cronjob.yaml",
    "vendor-manifests/crd.yaml",
}
"""The fixture's files whose objects the target (1.37) no longer serves."""


def run(*args: str, command: str = "scan") -> Result:
    _register()
    return CliRunner().invoke(root, [command, "files", *args, "--target", "1.37"])


def scanned(*args: str) -> tuple[dict[str, Any], set[str]]:
    """The JSON summary, and the fixture files findings point at."""
    result = run(str(CASE), "-o", "json", *args)
    data = json.loads(result.stdout)
    files = {Path(f["location"]["file"]).relative_to(CASE).as_posix() for f in data["findings"]}
    return data["summary"], files


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        # a name without a slash matches at any depth, files and directories
        ("testdata", "testdata", True, True),
        ("testdata", "pkg/diff/testdata", True, True),
        ("testdata", "pkg/testdata.yaml", False, False),
        ("*_test.yaml", "app/checks/ingress_test.yaml", False, True),
        ("*_test.yaml", "app/checks/ingress_test.yaml.orig", False, False),
        # a slash at the start or in the middle anchors at the scan root
        ("testdata/**", "testdata/old", True, True),
        ("testdata/**", "testdata/budget.yaml", False, True),
        ("testdata/**", "testdata", True, False),  # what is inside, not the directory itself
        ("testdata/**", "pkg/diff/testdata/live.json", False, False),
        ("/vendor-manifests", "vendor-manifests", True, True),
        ("/vendor-manifests", "app/vendor-manifests", True, False),
        ("app/*.yaml", "app/deployment.yaml", False, True),
        ("app/*.yaml", "app/checks/ingress_test.yaml", False, False),  # * never crosses /
        # ** as a whole segment: any number of directories, zero included
        ("**/*_test.yaml", "ingress_test.yaml", False, True),
        ("**/*_test.yaml", "app/checks/ingress_test.yaml", False, True),
        ("pkg/**/live.json", "pkg/live.json", False, True),
        ("pkg/**/live.json", "pkg/diff/testdata/live.json", False, True),
        ("pkg/**/live.json", "other/pkg/diff/live.json", False, False),
        # a trailing slash: directories only
        ("testdata*/", "pkg/testdata2", True, True),
        ("testdata*/", "testdata.yaml", False, False),
        # ?, sets, negated sets, escapes; case matters
        ("v?ndor-*", "vendor-manifests", True, True),
        ("[tv]*data", "testdata", True, True),
        ("[!t]*data", "testdata", True, False),
        (r"\[x].yaml", "[x].yaml", False, True),
        ("TestData", "testdata", True, False),
    ],
)
def test_patterns_match_as_gitignore_does(
    pattern: str, path: str, is_dir: bool, expected: bool
) -> None:
    rules = ExcludeRules.parse([pattern])
    assert (rules.matching(path, is_dir) == pattern) is expected


@pytest.mark.parametrize(
    ("pattern", "said"),
    [("!testdata", "negation"), ("  ", "empty pattern"), ("/", "empty pattern"), ("[ab", "'['")],
)
def test_patterns_that_cannot_be_used_are_refused_by_name(pattern: str, said: str) -> None:
    with pytest.raises(UsageError) as caught:
        ExcludeRules.parse([pattern])
    assert repr(pattern) in caught.value.message and said in caught.value.message
    result = run(str(CASE), "--exclude", pattern)
    assert result.exit_code == ExitCode.USAGE and repr(pattern) in result.output


def test_without_exclude_every_old_object_is_found() -> None:
    summary, files = scanned()
    assert files == OLD
    assert summary["excluded"] == {"files": 0, "directories": 0}
    assert summary["files"]["read"] == 6


def test_anchored_and_anywhere_patterns_exclude_what_they_name_and_are_counted() -> None:
    summary, files = scanned(
        "--exclude", "testdata/**", "--exclude", "**/*_test.yaml", "--exclude", "vendor-manifests"
    )
    # testdata/** is anchored: the test data under pkg/ is still read
    assert files == {"pkg/diff/testdata/live.json"}
    # testdata/old and vendor-manifests (directories); testdata/budget.yaml, the _test file
    assert summary["excluded"] == {"files": 2, "directories": 2}
    assert summary["files"]["read"] == 2
    assert summary["removed"] == 1


def test_a_directory_name_excludes_it_at_every_depth_and_the_scan_passes() -> None:
    args = ("--exclude", "testdata", "--exclude", "*_test.yaml", "--exclude", "vendor-manifests/")
    summary, files = scanned(*args)
    assert files == set()
    assert summary["excluded"] == {"files": 1, "directories": 3}
    table = run(str(CASE), *args)
    assert table.exit_code == ExitCode.OK, table.output
    assert "excluded 1 files, 3 directories" in table.stdout


def test_a_matched_directory_is_not_entered() -> None:
    found = list(discover([str(CASE)], ExcludeRules.parse(["testdata"])))
    gone = {Path(e.path).relative_to(CASE).as_posix() for e in found if isinstance(e, Excluded)}
    assert gone == {"testdata", "pkg/diff/testdata"}
    read = {Path(i.path).relative_to(CASE).as_posix() for i in found if isinstance(i, Input)}
    assert not any(p.startswith(("testdata/", "pkg/diff/testdata/")) for p in read)


def test_a_file_named_on_the_command_line_is_never_excluded() -> None:
    named = CASE / "app" / "checks" / "ingress_test.yaml"
    result = run(str(named), "-o", "json", "--exclude", "*_test.yaml")
    data = json.loads(result.stdout)
    assert data["summary"]["removed"] == 1
    assert data["summary"]["excluded"] == {"files": 0, "directories": 0}


def test_fix_files_leaves_excluded_files_out_of_its_diff() -> None:
    everything = run(str(CASE), command="fix")
    assert "testdata/old/cronjob.yaml" in everything.stdout
    kept = run(str(CASE), "--exclude", "testdata", command="fix")
    assert "cronjob.yaml" not in kept.stdout and "live.json" not in kept.stdout
    assert "ingress_test.yaml" in kept.stdout  # not excluded: still migrated
    assert "excluded 2 files and directories" in kept.stderr


def test_the_exclude_flag_is_read_from_the_environment() -> None:
    _register()
    env = {"KUBECURRENT_SCAN_FILES_EXCLUDE": "testdata *_test.yaml vendor-manifests"}
    result = CliRunner(env=env).invoke(
        root, ["scan", "files", str(CASE), "--target", "1.37", "-o", "json"]
    )
    assert json.loads(result.stdout)["summary"]["excluded"] == {"files": 1, "directories": 3}
