"""docs/design.md's table and frame lists are the catalogue's: generated lists current, hand tables equal."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from models.catalogue import table
from models.frames import frame_schema
from warehouse.docs import frame_list, table_list

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def _between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}: generated from models/ -->\n(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"docs/design.md has no generated {name} list"
    return match.group(1)


def test_the_generated_lists_are_current() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    assert _between(text, "tables") == table_list(), "regenerate with warehouse.docs.table_list()"
    assert _between(text, "frames") == frame_list(), "regenerate with warehouse.docs.frame_list()"


def _hand_table(text: str, after: str) -> list[tuple[str, str]]:
    """(column, dtype) rows of the first Markdown table following the line containing `after`."""
    lines = text[text.index(after) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| column |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append((cells[0], cells[1]))
    return rows


@pytest.mark.parametrize(
    ("after", "model"),
    [
        ("`valid` has exactly these columns", "core.kpi_value_history"),
        ("Quarantine frame", "meta.quarantine"),
    ],
)
def test_the_frame_tables_match_the_catalogue(after: str, model: str) -> None:
    rows = _hand_table(DESIGN.read_text(encoding="utf-8"), after)
    expected = frame_schema(table(model))
    assert [name for name, _ in rows] == list(expected)
    for name, dtype in rows:
        assert getattr(pl, dtype.split("(")[0]) == expected[name].base_type(), name
