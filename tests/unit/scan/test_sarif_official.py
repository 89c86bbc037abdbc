"""Our SARIF validates against the official SARIF 2.1.0 JSON schema (the final "rtm.5" text).

The schema is not committed: it comes from the npm registry in Microsoft's
`@microsoft/jest-sarif` package (which ships `lib/schemas/sarif-2.1.0-rtm.5.json`) and is kept
in the user cache. The test fails, never skips, when it cannot be had.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kubecurrent.cachedir import cache_dir
from tests.unit.scan.test_cli import REPO, run

PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


def _fetch(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is needed once to fetch the SARIF schema ({PACKAGE})", pytrace=False)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [npm, "pack", PACKAGE, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        with tarfile.open(Path(tmp) / out.stdout.strip().splitlines()[-1]) as archive:
            data = archive.extractfile(MEMBER)
            assert data is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data.read())


@pytest.fixture(scope="module")
def official_schema() -> dict[str, Any]:
    path = cache_dir() / "schemas" / "sarif-2.1.0-rtm.5.json"
    if not path.is_file():
        _fetch(path)
    schema: dict[str, Any] = json.loads(path.read_text())
    assert "2.1.0" in schema["title"]
    return schema


def test_scan_sarif_is_valid_sarif_2_1_0(official_schema: dict[str, Any]) -> None:
    sarif = json.loads(run(str(REPO), "-o", "sarif").stdout)
    validator = jsonschema.validators.validator_for(official_schema)(official_schema)
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    assert sarif["runs"][0]["results"], "the fixture repository has findings"


def test_the_official_schema_rejects_what_it_should(official_schema: dict[str, Any]) -> None:
    sarif = json.loads(run(str(REPO), "-o", "sarif").stdout)
    validator = jsonschema.validators.validator_for(official_schema)(official_schema)
    broken = {**sarif, "runs": [{**sarif["runs"][0], "tool": {}}]}  # tool.driver is required
    assert list(validator.iter_errors(broken))
