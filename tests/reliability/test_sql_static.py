"""Suite 6 (static half): no SQL text in warehouse/ is built from values that are not allow-listed.

Every f-string, str.format call, %-format and + concatenation whose literal text looks like SQL is
found with `ast`; each value spliced into it must be an identifier quoted by `quote()`/`qualified()`
or a reviewed site in ALLOWED, keyed by (file, expression) so that line moves do not matter. Anything
else that reaches SQL must go through parameters. A new site fails this test until someone has checked
where its value comes from and added it here with the reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from .support import REPO_ROOT

SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|ATTACH|DETACH|COPY|COMMENT|FROM|WHERE|JOIN|"
    r"VALUES|TABLE|SCHEMA|PRAGMA|SET|USE|ORDER BY|GROUP BY)\b"
)
# quote()/qualified() turn any text into one quoted identifier: safe wherever the name comes from.
SAFE_CALLS = ("quote", "qualified", "_q")

# (file, expression) -> why the spliced value cannot carry user text (reviewed by reading the code)
ALLOWED: dict[tuple[str, str], str] = {
    ("warehouse/datatests.py", "keys"): "quote()d key columns of a models.catalogue table",
    ("warehouse/datatests.py", "predicate"): "IS NULL / NOT (check) of quote()d model columns",
    ("warehouse/datatests.py", "counts"): "count(*) FILTER of the model's column predicates",
    ("warehouse/datatests.py", "sql"): "a model's own test query from models/<schema>/<table>.yml, "
    "or it limited to the temp table of the build's KPIs (_scoped)",
    ("warehouse/datatests.py", "source"): "the model's qualified() table, or it limited by kpi_id to the "
    "temp table of the build's KPIs",
    ("warehouse/datatests.py", "SCOPE_TABLES"): "a module constant: the temp table of the limited tables",
    ("warehouse/datatests.py", "SCOPE_KPIS"): "a module constant: the temp table of the build's KPIs",
    ("warehouse/ddl.py", "', '.join(cols)"): "quote()d spec columns with spec types",
    ("warehouse/ddl.py", "col.type"): "a column type from models.catalogue",
    ("warehouse/ddl.py", "literal(table.comment)"): "COMMENT ON takes no parameters; spec text, escaped",
    ("warehouse/ddl.py", "literal(col.comment)"): "COMMENT ON takes no parameters; spec text, escaped",
    ("warehouse/history.py", "table"): "VALUES_TABLE or a name validated by models.catalogue.table()",
    ("warehouse/history.py", "_INCOMING"): "constant name of the registered frame",
    ("warehouse/history.py", "quote(incoming)"): "quote()d relation name (a module constant)",
    ("warehouse/history.py", "_on(key, 'h', 'i')"): "quote()d spec key columns",
    ("warehouse/history.py", "_on(key, 'h', 'n')"): "quote()d spec key columns",
    ("warehouse/history.py", "_on(VALUE_KEY, 'i', 'h')"): "quote()d constant key columns",
    ("warehouse/history.py", "_on(key_cols, 'i', 'h')"): "quote()d key columns checked against the spec",
    ("warehouse/history.py", "changed_where"): "built by _distinct() from quote()d spec columns",
    (
        "warehouse/history.py",
        "gone_sql",
    ): "a SELECT built in this module from spec columns; values are params",
    ("warehouse/history.py", "cols"): "quote()d spec columns",
    ("warehouse/history.py", "keys"): "quote()d spec key columns",
    ("warehouse/history.py", "VALUES_TABLE"): "constant",
    ("warehouse/history.py", "natural_key"): "concat_ws of quote()d key columns checked against the spec",
    # the read-only "would this change anything" checks (warehouse/nochange.py) reuse the merges' fragments
    ("warehouse/history.py", "_on(VALUE_KEY, 'h', 'i')"): "quote()d constant key columns",
    ("warehouse/history.py", "_distinct(VALUE_COMPARED)"): "quote()d constant value columns",
    (
        "warehouse/history.py",
        "_gone_sql(table, key_cols)",
    ): "spec table, quote()d checked keys, $keep parameter",
    ("warehouse/history.py", "_on(key_cols, 'h', 'i')"): "quote()d key columns checked against the spec",
    (
        "warehouse/history.py",
        "_dimension_changed(expected, key_cols)",
    ): "built by _distinct() from quote()d spec columns",
    ("warehouse/marts.py", "target"): "quote()d spec table",
    # a mart model's SQL is a file of models/mart (code, not data), the only text around it CREATE/INSERT
    ("warehouse/marts.py", "mart.sql"): "SQL of a models/mart/*.sql file, whose header is checked",
    ("warehouse/marts.py", "MART_KPIS"): "constant temp table name",
    ("warehouse/publish.py", "READ_ALIAS"): "constant alias",
    ("warehouse/quarantine.py", "_FRAME"): "constant name of the registered frame",
    ("warehouse/status.py", "current"): "one of two constant relations",
    ("warehouse/migrations.py", "keys"): "quote()d spec key columns",
    ("warehouse/migrations.py", "_MIGRATED"): "constant temp table name",
    ("warehouse/migrations.py", "picked"): "quote()d spec columns",
    ("warehouse/views.py", "FULL_REFRESH_FLOW"): "constant flow name without quotes",
    ("warehouse/views.py", "key"): "quote()d key columns of a models.catalogue table",
    ("warehouse/views.py", "quote(entity)"): "quote()d table name",
    ("warehouse/views.py", "entity"): "one of the constant FILE_ENTITIES",
    ("warehouse/views.py", "' OR '.join((_stored_later(e) for e in FILE_ENTITIES))"): "constant SQL",
    ("warehouse/views.py", "target"): "quote()d schema and name of a warehouse.views entry",
    ("warehouse/views.py", "view.sql"): "constant view body from warehouse.views",
    ("warehouse/views.py", "literal(view.comment)"): "COMMENT ON takes no parameters; spec text, escaped",
    ("warehouse/views.py", "literal(comment)"): "COMMENT ON takes no parameters; spec text, escaped",
    ("warehouse/runs.py", "assignments"): "columns checked against COUNT_COLUMNS; values are params",
    ("warehouse/runs.py", "size"): "one of two constant expressions",
    ("warehouse/runs.py", "path_expr"): "one of two constant expressions",
    ("warehouse/runs.py", "_MANIFEST"): "constant name of the registered frame",
    ("warehouse/status.py", "t.qualified"): "spec table name as a string literal (from models.catalogue)",
    ("warehouse/nochange.py", "STAGE"): "constant temp table name (warehouse.staging)",
    (
        "warehouse/nochange.py",
        "name",
    ): "a DuckDB setting name: the constant keys of settings.config.Tuning.duckdb_config or temp_directory",
    # values staged batch by batch (all names are module constants or quote()d contract columns)
    ("warehouse/staging.py", "STAGE"): "constant temp table name",
    ("warehouse/staging.py", "_BATCH"): "constant name of the registered frame",
    ("warehouse/staging.py", "ORDINAL"): "constant column name",
    ("warehouse/staging.py", "columns"): "quote()d contract columns with constant types (_SQL_TYPES)",
    ("warehouse/staging.py", "names"): "quote()d contract columns",
    ("warehouse/staging.py", "keys"): "quote()d constant key columns",
    ("warehouse/staging.py", "natural_key"): "concatenation of quote()d constant key columns",
    ("warehouse/staging.py", "data"): "struct_pack of quote()d contract columns",
    ("warehouse/staging.py", "compared"): "quote()d contract columns",
    ("warehouse/staging.py", "_on_key('s', 'r')"): "quote()d constant key columns",
    ("warehouse/reference.py", "current"): "constant SQL fragment",
    ("warehouse/reference.py", "target"): "quote()d name of a table checked to be a reference table",
    ("warehouse/reference.py", "cols"): "quote()d spec columns",
    ("warehouse/reference.py", "_STAGED"): "constant name of the registered frame",
    # the file-fed tables
    ("warehouse/registers.py", "table"): "checked to be in FILE_TARGETS first",
    ("warehouse/registers.py", "IDENTITY_SQL[table]"): "constant fragment chosen by an allow-listed table",
    ("warehouse/registers.py", "_INCOMING"): "constant name of the registered frame",
    ("warehouse/registers.py", "_GONE"): "constant temp table name",
    ("warehouse/registers.py", "match"): "quote()d key columns",
    ("warehouse/registers.py", "cols"): "quote()d spec columns",
    ("warehouse/registers.py", "keys"): "quote()d key columns",
    ("warehouse/registers.py", "', '.join(('h.' + quote(c) for c in business))"): "quote()d spec columns",
    ("warehouse/registers.py", "', '.join(columns)"): "column names of meta.loaded_file from the spec",
    ("warehouse/registers.py", "', '.join(('?' for _ in columns))"): "parameter markers",
    # a query printed for the user to paste into duckdb (never executed here): quoted by literal()
    ("warehouse/quarantine.py", "literal(run_id)"): "printed query, not run; quotes doubled",
    ("warehouse/quarantine.py", "literal(file_name + ', row ')"): "printed query, not run; quotes doubled",
}


@dataclass(frozen=True)
class Site:
    """One value spliced into SQL-looking text."""

    file: str
    line: int
    expression: str


def _sql_text(parts: list[str]) -> bool:
    return bool(SQL_WORDS.search(" ".join(parts)))


def _safe(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SAFE_CALLS


def _spliced(tree: ast.AST) -> list[tuple[int, ast.expr]]:
    """(line, value) of every value spliced into SQL-looking string text in a module."""
    found: list[tuple[int, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if _sql_text(texts):
                found += [(node.lineno, v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        ):
            target = node.func.value
            if (
                isinstance(target, ast.Constant)
                and isinstance(target.value, str)
                and _sql_text([target.value])
            ):
                found += [(node.lineno, a) for a in [*node.args, *(k.value for k in node.keywords)]]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            sides = [node.left, node.right]
            texts = [s.value for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
            if texts and _sql_text(texts):
                found += [(node.lineno, s) for s in sides if not isinstance(s, ast.Constant)]
    return found


def unreviewed_sites(root: Path, folder: str = "warehouse") -> list[Site]:
    """Spliced values under root/folder that are neither safe calls nor in ALLOWED."""
    sites = []
    for path in sorted((root / folder).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, value in _spliced(ast.parse(path.read_text(encoding="utf-8"))):
            expression = ast.unparse(value)
            if not _safe(value) and (rel, expression) not in ALLOWED:
                sites.append(Site(rel, line, expression))
    return sites


def test_no_unreviewed_sql_splicing_in_warehouse() -> None:
    sites = unreviewed_sites(REPO_ROOT)
    listing = "\n".join(f"{s.file}:{s.line}: {{{s.expression}}}" for s in sites)
    assert not sites, f"values spliced into SQL text; use parameters or review and allow-list:\n{listing}"


def test_the_scanner_finds_a_spliced_value(tmp_path: Path) -> None:
    """The check must catch the classic mistakes (guards against a scanner that finds nothing)."""
    module = tmp_path / "warehouse" / "bad.py"
    module.parent.mkdir()
    module.write_text(
        "def f(con, name, code):\n"
        "    con.execute(f\"SELECT * FROM core.municipality WHERE title = '{name}'\")\n"
        "    con.execute(\"DELETE FROM core.kpi WHERE kpi_id = '%s'\" % code)\n"
        "    con.execute(\"SELECT * FROM mart.kpi_value WHERE kpi_id = '{}'\".format(code))\n"
        '    con.execute("SELECT * FROM core.ou WHERE ou_id = \'" + code + "\'")\n'
        '    con.execute(f"SELECT * FROM {quote(name)}")\n'
        '    con.execute("SELECT * FROM core.kpi WHERE kpi_id = ?", [code])\n',
        encoding="utf-8",
    )
    found = [(s.line, s.expression) for s in unreviewed_sites(tmp_path)]
    assert found == [(2, "name"), (3, "code"), (4, "code"), (5, "code")]


def test_every_allow_listed_site_still_exists() -> None:
    """Stale entries would silently widen the allow-list for future code."""
    present = {
        (path.relative_to(REPO_ROOT).as_posix(), ast.unparse(value))
        for path in sorted((REPO_ROOT / "warehouse").rglob("*.py"))
        for _, value in _spliced(ast.parse(path.read_text(encoding="utf-8")))
    }
    assert set(ALLOWED) - present == set()
