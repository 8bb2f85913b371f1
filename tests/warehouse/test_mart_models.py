"""The mart runner (warehouse.marts): SQL models with declared dependencies, built in dependency order."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests import comparison_data as data
from tests.duckdb_cli import duckdb_cli
from warehouse import checks, marts
from warehouse.comparison_query import BEST_RANK, NEUTRAL_RANK
from warehouse.ddl import ensure_schema
from warehouse.network_comparison import NETWORK_SOURCE

MODELS = sorted(marts.MODELS.glob("*.sql"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The synthetic comparison warehouse with every mart built (tests/comparison_data.py)."""
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    data.build(connection, data.reference_files(tmp_path_factory.mktemp("reference")))
    yield connection
    connection.close()


def _mart(table: str, *depends_on: str) -> marts.Mart:
    return marts.Mart(table, "SELECT 1", depends_on)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_a_model_declares_exactly_the_tables_it_reads(path: Path) -> None:
    sql = path.read_text(encoding="utf-8")
    [declared] = re.findall(r"^-- depends_on:(.*)$", sql, flags=re.MULTILINE)
    assert {d.strip() for d in declared.split(",")} == marts.referenced_tables(sql)


def test_every_model_is_a_mart_and_every_mart_has_a_model() -> None:
    assert {m.table for m in marts.MARTS} == {f"mart.{p.stem}" for p in MODELS}
    assert len(marts.MARTS) == len(MODELS) >= 6


def test_a_mart_is_built_after_the_marts_it_reads() -> None:
    order = [m.table for m in marts.MARTS]
    for mart in marts.MARTS:
        for dependency in mart.depends_on:
            if dependency.startswith("mart."):
                assert order.index(dependency) < order.index(mart.table)
    assert order.index("mart.peer_set_member") < order.index("mart.municipality_comparison")


def test_build_order_sorts_by_dependency_then_name() -> None:
    models = [
        _mart("mart.c", "mart.b"),
        _mart("mart.b", "mart.a", "core.kpi"),
        _mart("mart.a"),
        _mart("mart.d"),
    ]
    assert [m.table for m in marts.build_order(models)] == ["mart.a", "mart.b", "mart.c", "mart.d"]


def test_a_cycle_is_a_one_line_error() -> None:
    models = [
        _mart("mart.a", "mart.c"),
        _mart("mart.b", "mart.a"),
        _mart("mart.c", "mart.b"),
        _mart("mart.d"),
    ]
    with pytest.raises(
        marts.MartModelError, match=r"^mart dependencies form a cycle among mart.a, mart.b, mart.c$"
    ):
        marts.build_order(models)


def test_an_unknown_mart_dependency_is_a_one_line_error() -> None:
    with pytest.raises(
        marts.MartModelError, match=r"^mart.a depends on mart.nowhere, which no model builds$"
    ):
        marts.build_order([_mart("mart.a", "mart.nowhere", "core.kpi")])


def test_a_header_that_differs_from_the_sql_is_refused() -> None:
    sql = "-- depends_on: core.population\nSELECT * FROM core.population JOIN core.municipality USING (year)"
    with pytest.raises(marts.MartModelError, match="depends_on"):
        marts.parse_model("mart.population_year", sql)
    with pytest.raises(marts.MartModelError, match="no '-- depends_on:' header"):
        marts.parse_model("mart.population_year", "SELECT 1")


def test_comments_are_not_read_as_dependencies_but_string_literals_stay() -> None:
    sql = "SELECT '-- core.kpi' AS x -- but core.municipality here is a comment\nFROM core.population"
    assert marts.referenced_tables(sql) == {"core.population"}
    assert "'-- core.kpi'" in marts.without_comments(sql)


def test_the_models_spell_the_shared_texts_as_the_python_constants() -> None:
    """Texts the CLI matches on live in the SQL; they must equal the Python constants."""
    for name in ("municipality_comparison", "monthly_comparison"):
        assert f"'{NETWORK_SOURCE} (core.network_measure)" in (marts.MODELS / f"{name}.sql").read_text()
    monthly = (marts.MODELS / "monthly_comparison.sql").read_text()
    assert f"'{BEST_RANK}'" in monthly and f"'{NEUTRAL_RANK}'" in monthly


def _paste_setup(sql: str) -> str:
    """The statement a by_kpi model's header says to run before pasting it (comment lines '--   ...')."""
    lines = sql.split("first create it with every KPI:\n", 1)[1].splitlines()
    setup = []
    for line in lines:
        if not line.startswith("--   "):
            break
        setup.append(line[3:])
    return "\n".join(setup)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_a_model_pasted_as_documented_gives_the_built_table(
    path: Path, built: duckdb.DuckDBPyConnection
) -> None:
    """What an analyst pastes into duckdb (the header's setup, then the file) is the mart's content."""
    con = built.cursor()
    sql = path.read_text(encoding="utf-8")
    if marts.parse_model(f"mart.{path.stem}", sql).by_kpi:
        con.execute(_paste_setup(sql))
    pasted = f"(SELECT * FROM ({sql}) EXCEPT ALL SELECT * FROM mart.{path.stem})"
    stored = f"(SELECT * FROM mart.{path.stem} EXCEPT ALL SELECT * FROM ({sql}))"
    assert con.execute(f"SELECT count(*) FROM {pasted}").fetchall() == [(0,)]
    assert con.execute(f"SELECT count(*) FROM {stored}").fetchall() == [(0,)]
    assert con.execute(f"SELECT count(*) FROM mart.{path.stem}").fetchall() != [(0,)] or path.stem in {
        "monthly_comparison",
        "population_year",
    }


def test_a_patch_of_some_kpis_equals_the_full_build(tmp_path: Path) -> None:
    """Every mart, peer_set_member included, is the same after a by-KPI patch as after a full build."""
    con = duckdb.connect(":memory:")
    try:
        ensure_schema(con)
        data.build(con, data.reference_files(tmp_path))
        con.execute("UPDATE core.kpi_value_history SET value = value + 1 WHERE kpi_id = ?", [data.K1])
        rows = marts.rebuild(con, kpis=[data.K1], chunk_values=1)
        patched = checks.table_hashes(con, ["mart"])
        assert rows == marts.rebuild(con)
        assert checks.table_hashes(con, ["mart"]) == patched
        assert "mart.peer_set_member" in patched
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same synthetic warehouse, published to a file as a load leaves it."""
    return data.publish(tmp_path_factory.mktemp("published"), run_id="models")


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_a_model_pasted_into_the_duckdb_cli_gives_the_published_table(path: Path, published: Path) -> None:
    """The real `duckdb` CLI (1.x, from PyPI; tests/duckdb_cli.py) run read-only on the published file:
    the header's setup, then the model, give exactly the mart's rows."""
    cli = duckdb_cli()
    sql = path.read_text(encoding="utf-8")
    setup = _paste_setup(sql) if marts.parse_model(f"mart.{path.stem}", sql).by_kpi else ""
    script = (
        f"{setup}\n"
        f"SELECT count(*) FROM (({sql}\n) EXCEPT ALL SELECT * FROM mart.{path.stem});\n"
        f"SELECT count(*) FROM (SELECT * FROM mart.{path.stem} EXCEPT ALL ({sql}\n));\n"
    )
    done = subprocess.run(
        [cli, "-readonly", "-csv", "-noheader", str(published)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert done.stdout.split() == ["0", "0"]
