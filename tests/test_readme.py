"""The README's configuration table names every JAMFOR_* variable the code reads."""

from __future__ import annotations

import re

from sources.fixtures import REPO_ROOT

LAYERS = (
    *("models", "settings", "sources", "fakes", "schemas", "transforms"),
    *("warehouse", "pipeline", "presentation", "flows"),
)


def test_every_environment_variable_is_documented() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    used = {
        name
        for layer in LAYERS
        for path in (REPO_ROOT / layer).rglob("*.py")
        for name in re.findall(r"JAMFOR_[A-Z0-9_]*[A-Z0-9]", path.read_text(encoding="utf-8"))
    }
    assert used, "no JAMFOR_* variables found: the scan is broken"
    assert sorted(name for name in used if name not in readme) == []
