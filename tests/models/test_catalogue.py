"""The model catalogue: the DDL and COMMENTs it yields, and its one-line errors for malformed files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.catalogue import (
    LAYERS,
    MODELS_DIR,
    TABLES,
    VERSION_COLUMNS,
    CatalogueError,
    load_catalogue,
    table,
)
from warehouse.ddl import create_sql, literal, qualified, quote

# The CREATE and COMMENT statements warehouse/spec.py produced before the catalogue replaced it.
SNAPSHOT = Path(__file__).with_name("ddl_snapshot.sql")

GOOD = """\
table: core.thing
kind: reference
grain: One row per thing.
description: Things.
key: [thing_id]
columns:
  - name: thing_id
    type: VARCHAR
    nullable: false
    comment: The thing.
"""


def _statements() -> str:
    lines = []
    for spec in sorted(TABLES, key=lambda t: t.qualified):
        lines.append(create_sql(spec) + ";")
        lines.append(f"COMMENT ON TABLE {qualified(spec)} IS {literal(spec.comment)};")
        lines += [
            f"COMMENT ON COLUMN {qualified(spec)}.{quote(c.name)} IS {literal(c.comment)};"
            for c in spec.columns
        ]
    return "\n".join(lines) + "\n"


def test_ddl_and_every_comment_are_what_the_spec_produced() -> None:
    assert _statements() == SNAPSHOT.read_text(encoding="utf-8")


def test_every_model_file_is_one_table_of_its_layer() -> None:
    files = sorted(MODELS_DIR.glob("*/*.yml"))
    assert [f"{p.parent.name}.{p.stem}" for p in files] == sorted(t.qualified for t in TABLES)
    assert all(t.schema in LAYERS and t.grain for t in TABLES)
    assert table("core.kpi").column_names[-len(VERSION_COLUMNS) :] == list(VERSION_COLUMNS)


def test_the_catalogue_imports_no_duckdb() -> None:
    probe = "import sys, models.catalogue; print(sorted(m for m in ('duckdb', 'polars') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def _root(tmp_path: Path, name: str, text: str) -> Path:
    root = tmp_path / "models"
    (root / "core").mkdir(parents=True)
    shutil.copy(MODELS_DIR / "catalogue.yml", root / "catalogue.yml")
    (root / "core" / name).write_text(text, encoding="utf-8")
    return root


def test_a_well_formed_model_loads(tmp_path: Path) -> None:
    [thing] = load_catalogue(_root(tmp_path, "thing.yml", GOOD)).tables
    assert (thing.qualified, thing.key, thing.column("thing_id").nullable) == (
        "core.thing",
        ("thing_id",),
        False,
    )


@pytest.mark.parametrize(
    ("name", "text", "error"),
    [
        ("thing.yml", GOOD + "owner: me\n", "unknown keys ['owner']"),
        ("thing.yml", GOOD.replace("type: VARCHAR", "type: TEXT"), "unknown type 'TEXT'"),
        ("thing.yml", GOOD.replace("key: [thing_id]", "key: [nope]"), "key columns ['nope'] are not columns"),
        ("other.yml", GOOD, "does not match the file path ('core.other')"),
        ("thing.yml", GOOD.replace("kind: reference", "kind: view"), "unknown kind 'view'"),
        (
            "thing.yml",
            GOOD.replace("    nullable: false\n", "    nullable: false\n    colour: red\n"),
            "['colour']",
        ),
        ("thing.yml", GOOD.replace("kind: reference", "kind: scd2"), "`versioned: true` is required"),
        ("thing.yml", GOOD + "tests:\n  - name: t\n", "missing keys ['sql']"),
        ("thing.yml", "table: [core.thing\n", "not valid YAML"),
    ],
)
def test_a_malformed_model_fails_with_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str, error: str
) -> None:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(_root(tmp_path, name, text))
    message = str(info.value)
    assert "\n" not in message
    assert f"core/{name}" in message and error in message
