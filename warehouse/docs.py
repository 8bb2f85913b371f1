"""Render the warehouse's data dictionary (tables, columns, types, comments) and the catalogue's table
list (docs/design.md) as Markdown."""

from __future__ import annotations

from pathlib import Path

import duckdb

from models.catalogue import LAYER_DESCRIPTIONS, LAYERS, TABLES, TABLES_BY_NAME, Table
from warehouse.ddl import ensure_schema
from warehouse.publish import connect_readonly

_CATALOG_SQL = """
    SELECT t.schema_name, t.table_name, coalesce(t.comment, '') AS table_comment,
           c.column_name, c.data_type, coalesce(c.comment, '') AS column_comment
    FROM (
        SELECT database_name, schema_name, table_name, comment FROM duckdb_tables()
        UNION ALL
        SELECT database_name, schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal
    ) AS t
    JOIN duckdb_columns() AS c
      ON c.database_name = t.database_name AND c.schema_name = t.schema_name AND c.table_name = t.table_name
    WHERE t.database_name = current_database() AND list_contains($layers, t.schema_name)
    ORDER BY list_position($layers, t.schema_name), t.table_name, c.column_index
"""


def _cell(text: str) -> str:
    # Pipes and newlines would break the Markdown table row.
    return text.replace("|", "\\|").replace("\n", " ")


def data_dictionary(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown: per layer (raw, staging, core, mart, meta) each table or view, its comment and columns."""
    rows = con.execute(_CATALOG_SQL, {"layers": list(LAYERS)}).fetchall()
    by_table: dict[tuple[str, str], tuple[str, list[tuple[str, str, str]]]] = {}
    for schema, name, table_comment, column, dtype, column_comment in rows:
        by_table.setdefault((schema, name), (table_comment, []))[1].append((column, dtype, column_comment))
    lines = [
        "# jamfor data dictionary",
        "",
        "Generated from the warehouse's own COMMENTs. Values are raw as published; Källa: Kolada.",
    ]
    for layer in LAYERS:
        lines += ["", f"## {layer}", "", LAYER_DESCRIPTIONS[layer]]
        tables = [(name, entry) for (schema, name), entry in by_table.items() if schema == layer]
        for name, (table_comment, columns) in tables:
            lines += ["", f"### {layer}.{name}", "", _cell(table_comment)]
            model = TABLES_BY_NAME.get(f"{layer}.{name}")
            if model is not None:
                lines += ["", _declared(model)]
            lines += ["", "| column | type | comment |", "|---|---|---|"]
            lines += [f"| {col} | {dtype} | {_cell(comment)} |" for col, dtype, comment in columns]
    return "\n".join(lines) + "\n"


def _declared(model: Table) -> str:
    key = f"key ({', '.join(model.key)})" if model.key else "no key"
    not_null = [c.name for c in model.columns if c.not_null]
    required = f"; not null: {', '.join(not_null)}" if not_null else ""
    where = f"models/{model.schema}/{model.name}.yml"
    return f"{model.grain} Kind {model.kind}, {key}{required}. Declared in {where}."


def table_list(tables: tuple[Table, ...] = TABLES) -> str:
    """Markdown table of every model: table, kind, key and grain (docs/design.md embeds it)."""
    lines = ["| table | kind | key | grain |", "|---|---|---|---|"]
    lines += [f"| `{t.qualified}` | {t.kind} | {', '.join(t.key)} | {_cell(t.grain)} |" for t in tables]
    return "\n".join(lines) + "\n"


def frame_list(tables: tuple[Table, ...] = TABLES) -> str:
    """Markdown list of the frames merged into the SCD2 tables, each with its columns in order."""
    lines = [f"- `{t.qualified}`: {', '.join(t.frame)}" for t in tables if t.kind == "scd2"]
    return "\n".join(lines) + "\n"


def data_dictionary_for(warehouse_path: Path) -> str:
    """The dictionary of the published file, or of an empty in-memory warehouse when none exists yet."""
    path = Path(warehouse_path)
    con = connect_readonly(path) if path.is_file() else duckdb.connect(":memory:")
    try:
        if not path.is_file():
            ensure_schema(con)
        return data_dictionary(con)
    finally:
        con.close()
