"""The architecture as a test: which layer may import which, who may import DuckDB and Prefect, no private
name imported across modules, no production module over the size limit (docs/design.md, "Layers")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# each production package and the first-party packages it may import (itself included)
MAY_IMPORT: dict[str, set[str]] = {
    "models": {"models"},
    "settings": {"settings", "sources"},  # the run log appends through sources.appendfile (no-follow)
    "sources": {"sources", "settings", "schemas"},  # id shapes (schemas.ids) check URLs and paths
    "fakes": {"fakes", "sources"},  # the fakes enforce the limits sources/ declares
    "schemas": {"schemas", "models"},
    "transforms": {"transforms", "schemas", "models"},
    "warehouse": {"warehouse", "models", "settings", "schemas"},
    "pipeline": {"pipeline", "settings", "sources", "schemas", "transforms", "warehouse", "models"},
    "presentation": {"presentation", "settings", "schemas", "transforms", "warehouse", "models", "pipeline"},
    "flows": {
        "flows",
        "settings",
        "sources",
        "fakes",
        "schemas",
        "transforms",
        "warehouse",
        "pipeline",
        "presentation",
        "models",
    },
    "jamfor": {"jamfor", "flows"},
}
# third-party packages only some layers may import at run time (type-checking imports are not run)
ONLY_IN: dict[str, set[str]] = {"duckdb": {"warehouse"}, "prefect": {"flows"}, "pandera": {"schemas"}}
MAX_LINES = 350


def _modules() -> list[Path]:
    return sorted(p for package in MAY_IMPORT for p in (ROOT / package).rglob("*.py"))


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement except those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [] if node.level else [node.module or ""]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_keeps_to_its_layer(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in _runtime_imports(tree):
        for name in _imported(node):
            top = name.split(".")[0]
            if top in MAY_IMPORT and top not in MAY_IMPORT[layer]:
                problems.append(f"line {node.lineno}: {layer}/ imports {name}")
            if top in ONLY_IN and layer not in ONLY_IN[top]:
                problems.append(f"line {node.lineno}: {name} is imported only in {sorted(ONLY_IN[top])}/")
        if isinstance(node, ast.ImportFrom) and not node.level:
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if private and (node.module or "").split(".")[0] in MAY_IMPORT:
                problems.append(f"line {node.lineno}: private {private} imported from {node.module}")
    assert not problems, problems


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small_enough_to_read(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (limit {MAX_LINES})"
