"""Read-only discovery queries behind `jamfor kpi`, `jamfor municipality` and `jamfor peers`.

User text only ever reaches DuckDB as a parameter. Peer sets come from mart.peer_set_member, the sets
and members the comparison mart uses, so `jamfor peers` lists exactly the sets `compare` uses.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from warehouse.comparison_query import LookupProblem, resolve_municipality
from warehouse.publish import connect_readonly


def plain(text: str) -> str:
    """Lower case without diacritics ("Äldre" → "aldre"), as DuckDB's strip_accents(lower(...))."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def open_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse; a missing file is a one-line problem."""
    if not Path(path).is_file():
        raise LookupProblem(f"no warehouse at {path}: run `jamfor load yearly` (or `jamfor demo`) first")
    return connect_readonly(path, current=True)


def catalogue_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every KPI id of the current catalogue (core.kpi)."""
    return {
        row[0]
        for row in con.execute(
            "SELECT kpi_id FROM core.kpi WHERE valid_to IS NULL AND NOT is_deleted"
        ).fetchall()
    }


def catalogue_frames(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(core.kpi ids and operating areas, core.kpi_group_member): what pipeline.scope.resolve_kpis reads."""
    kpis = con.sql(
        "SELECT kpi_id, operating_area FROM core.kpi WHERE valid_to IS NULL AND NOT is_deleted"
    ).pl()
    members = con.sql(
        "SELECT kpi_group_id, kpi_id FROM core.kpi_group_member WHERE valid_to IS NULL AND NOT is_deleted"
    ).pl()
    return kpis, members


_KPI_ROWS = """
WITH valued AS (
    SELECT kpi_id, max(year) AS newest_year FROM mart.kpi_value WHERE value IS NOT NULL GROUP BY kpi_id
)
SELECT k.kpi_id, k.title, k.operating_area, coalesce(d.direction, 'neutral') AS direction,
       v.newest_year, list_contains($scope, k.kpi_id) AS in_scope,
       strip_accents(lower(k.kpi_id || ' ' || coalesce(k.title, ''))) AS _plain
FROM core.kpi AS k
LEFT JOIN core.ref_kpi_direction AS d ON d.kpi_id = k.kpi_id
LEFT JOIN valued AS v ON v.kpi_id = k.kpi_id
WHERE k.valid_to IS NULL AND NOT k.is_deleted
"""


def search_kpis(con: duckdb.DuckDBPyConnection, text: str, scope_ids: Sequence[str]) -> pl.DataFrame:
    """Catalogue KPIs whose id or title contains every word of `text` (case and diacritics ignored).

    Columns: kpi_id, title, operating_area, direction, newest_year (with a value), in_scope. An exact id
    comes first, then KPIs with values (newest first), then by id.
    """
    words = plain(text).split()
    if not words:
        raise LookupProblem("search for at least one word, e.g. `jamfor kpi search hemlöshet`")
    rows = con.sql(_KPI_ROWS, params={"scope": list(scope_ids)}).pl()
    hit = pl.all_horizontal([pl.col("_plain").str.contains(w, literal=True) for w in words])
    exact = pl.col("kpi_id").str.to_lowercase() == plain(text).strip()
    return (
        rows.filter(hit)
        .sort([exact, pl.col("newest_year").fill_null(0), pl.col("kpi_id")], descending=[True, True, False])
        .drop("_plain")
    )


def show_kpi(con: duckdb.DuckDBPyConnection, kpi_id: str, scope_ids: Sequence[str]) -> dict[str, object]:
    """All we know about one KPI: catalogue metadata, direction with its reason, ÖJ codings, KPI
    groups, the years with values, kommuner with a value in the newest year and overall, in scope."""
    wanted = kpi_id.strip().upper()
    meta = con.sql(
        """
        SELECT k.kpi_id, k.title, k.description, k.operating_area, k.perspective, k.municipality_type,
               k.is_divided_by_gender, k.publ_period, k.publication_date, k.discontinued_year,
               coalesce(d.direction, 'neutral') AS direction, coalesce(d.basis, 'unknown') AS direction_basis,
               d.rule AS direction_rule, d.note AS direction_note
        FROM core.kpi AS k LEFT JOIN core.ref_kpi_direction AS d ON d.kpi_id = k.kpi_id
        WHERE k.valid_to IS NULL AND NOT k.is_deleted AND k.kpi_id = $id
        """,
        params={"id": wanted},
    ).pl()
    if meta.is_empty():
        raise LookupProblem(f"no KPI {wanted} in the catalogue (core.kpi); try `jamfor kpi search TEXT`")
    info: dict[str, object] = meta.to_dicts()[0]
    years = con.execute(
        """
        SELECT year, count(DISTINCT municipality_id) FILTER (WHERE municipality_kind = 'kommun')
        FROM mart.kpi_value WHERE kpi_id = $id AND value IS NOT NULL GROUP BY year ORDER BY year
        """,
        {"id": wanted},
    ).fetchall()
    (n_any,) = con.execute(
        "SELECT count(DISTINCT municipality_id) FROM mart.kpi_value WHERE kpi_id = $id "
        "AND value IS NOT NULL AND municipality_kind = 'kommun'",
        {"id": wanted},
    ).fetchone() or (0,)
    info["years_with_values"] = [year for year, _ in years]
    info["newest_year"] = years[-1][0] if years else None
    info["kommuner_newest_year"] = years[-1][1] if years else 0
    info["kommuner_any_year"] = n_any
    info["kpi_groups"] = [
        f"{gid} {title}"
        for gid, title in con.execute(
            """
            SELECT m.kpi_group_id, g.title FROM core.kpi_group_member AS m
            LEFT JOIN core.kpi_group AS g ON g.kpi_group_id = m.kpi_group_id
             AND g.valid_to IS NULL AND NOT g.is_deleted
            WHERE m.valid_to IS NULL AND NOT m.is_deleted AND m.kpi_id = $id ORDER BY 1
            """,
            {"id": wanted},
        ).fetchall()
    ]
    info["oj_coding"] = (
        con.sql(
            """
        SELECT kpi_group_id, oj_area, year_from, year_to, coding, coding_status, best_label, reason
        FROM core.ref_oj_factor WHERE kpi_id = $id ORDER BY kpi_group_id, year_from NULLS FIRST
        """,
            params={"id": wanted},
        )
        .pl()
        .to_dicts()
    )
    info["in_scope"] = wanted in set(scope_ids)
    return info


def search_municipalities(con: duckdb.DuckDBPyConnection, text: str) -> pl.DataFrame:
    """Kommuner whose code or name contains `text` (case and diacritics ignored): code, name, län
    (the comparison's län set title) and kommungrupp."""
    rows = con.sql(
        """
        WITH kommun AS (
            SELECT municipality_id, title, county_id, kommungrupp_title FROM core.municipality
            WHERE valid_to IS NULL AND NOT is_deleted AND kind = 'kommun'
        ),
        lan AS (
            SELECT DISTINCT peer_set_id, peer_set_title AS title FROM mart.peer_set_member
            WHERE peer_set_kind = 'lan'
        )
        SELECT k.municipality_id, k.title, coalesce(l.title, k.county_id) AS lan,
               k.kommungrupp_title AS kommungrupp,
               strip_accents(lower(k.municipality_id || ' ' || k.title)) AS _plain
        FROM kommun AS k LEFT JOIN lan AS l ON l.peer_set_id = 'lan:' || k.county_id
        ORDER BY k.title
        """
    ).pl()
    words = plain(text).split()
    if words:
        rows = rows.filter(pl.all_horizontal([pl.col("_plain").str.contains(w, literal=True) for w in words]))
    return rows.drop("_plain")


def peer_sets(con: duckdb.DuckDBPyConnection, municipality: str) -> tuple[str, str, pl.DataFrame]:
    """(code, name, one row per peer set of the kommun: kind, set id, title, vintage, area, members).

    A Liknande group is the kommun's own (its 7 similar kommuner, without it); the shared sets
    (kommungrupp, län, Riket, networks) list every member, the kommun included.
    """
    code, name = resolve_municipality(con, municipality)
    rows = con.sql(
        """
        WITH mine AS (
            -- the kommun's own Liknande versions (it is their anchor) and the shared sets it is in
            SELECT peer_set_id FROM mart.peer_set_member
            WHERE municipality_id = $m AND (is_anchor OR peer_set_kind <> 'liknande')
        )
        SELECT * FROM (
            SELECT s.peer_set_kind AS kind, s.peer_set_id, any_value(s.peer_set_title) AS title,
                   any_value(s.peer_set_vintage)::INTEGER AS vintage, any_value(s.peer_area) AS area,
                   count(*)::BIGINT AS n_members,
                   list(s.municipality_title || ' (' || s.municipality_id || ')'
                        ORDER BY s.municipality_title) AS members
            FROM mart.peer_set_member AS s
            WHERE s.peer_set_id IN (SELECT peer_set_id FROM mine) AND NOT s.is_anchor
            GROUP BY s.peer_set_kind, s.peer_set_id
        )
        ORDER BY CASE kind WHEN 'liknande' THEN 1 WHEN 'network' THEN 2 WHEN 'kommungrupp' THEN 3
                 WHEN 'lan' THEN 4 ELSE 5 END, area, peer_set_id
        """,
        params={"m": code},
    ).pl()
    return code, name, rows
