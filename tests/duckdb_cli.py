"""The real `duckdb` CLI from PyPI (duckdb-cli), installed by `make tools` into .tools/duckdb-cli."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sources.fixtures import REPO_ROOT

# pip --target puts the native binary inside the package (its bin/duckdb wrapper needs that package
# on the interpreter's path, the binary itself needs nothing)
DUCKDB_CLI = REPO_ROOT / ".tools" / "duckdb-cli" / "duckdb_cli" / "duckdb"


def duckdb_cli() -> Path:
    """The CLI's path; skip when it is not installed, except under CI where that is a failure."""
    if DUCKDB_CLI.is_file():
        return DUCKDB_CLI
    reason = f"the duckdb CLI is not installed at {DUCKDB_CLI}: run `make tools`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must test with it)")
    pytest.skip(reason)


def cli_version(cli: Path) -> tuple[int, int, int]:
    """(major, minor, patch) from `duckdb --version`, e.g. 'v1.5.6 (Variegata) 069cc9f9b5'."""
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    major, minor, patch = out.split()[0].lstrip("v").split(".")[:3]
    return int(major), int(minor), int(patch)
