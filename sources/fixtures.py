"""Where the shared real-data fixtures live (JAMFOR_FIXTURES_DIR or ../shared/fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def fixtures_dir() -> Path:
    """Return the fixtures directory; raise a clear error when it is missing."""
    configured = os.environ.get("JAMFOR_FIXTURES_DIR")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "fixtures"
    if not path.is_dir():
        raise FileNotFoundError(
            f"fixtures directory not found: {path} (set JAMFOR_FIXTURES_DIR to the shared/fixtures folder)"
        )
    return path
