"""Read-only queries behind `jamfor compare` and `jamfor export` (user values only as parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from models import catalogue
from settings.config import OUTDATED_YEARS
from warehouse.comparison import PEER_SET_KINDS
from warehouse.ddl import quote
from warehouse.per_capita_query import PerCapita, per_capita_rows
from warehouse.publish import connect_readonly
from warehouse.records import Records, fetch_records

if TYPE_CHECKING:
    import polars as pl

# What rank 1 means (the rank_order column): a neutral KPI has no best, it is ranked in value order.
BEST_RANK, NEUTRAL_RANK = "1 = bäst", "1 = högst värde"


class LookupProblem(LookupError):
    """A name, code or filter that matches nothing (or too much); the message is one line."""


@dataclass(frozen=True)
class ComparisonFilter:
    """What to show: KPI ids, an area, a peer set kind or network, a year (None = latest with a value);
    `outdated_years`: how much older than the KPI's newest year a value may be before it is flagged."""

    kpis: list[str] | None = None
    area: str | None = None
    peer_kind: str | None = None
    network: str | None = None
    year: int | None = None
    gender: str = "T"
    outdated_years: int = OUTDATED_YEARS


def resolve_municipality(con: duckdb.DuckDBPyConnection, text: str) -> tuple[str, str]:
    """(code, name) of the kommun given by code or name.

    Names match case-insensitively; failing that without accents ("Atvidaberg"), then as a unique
    prefix ("Åtvid"). An exact name wins over an accent-free one: "Habo" is Habo, not Håbo.
    """
    rows = con.execute(
        """
        WITH k AS (SELECT municipality_id, title, strip_accents(lower(title)) AS plain
                   FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted AND kind = 'kommun'),
        hit AS (
            SELECT municipality_id, title, CASE
                WHEN municipality_id = $t OR lower(title) = lower($t) THEN 1
                WHEN plain = strip_accents(lower($t)) THEN 2
                WHEN starts_with(plain, strip_accents(lower($t))) THEN 3 END AS tier
            FROM k
        )
        SELECT municipality_id, title FROM hit WHERE tier IS NOT NULL
        QUALIFY tier = min(tier) OVER () ORDER BY title
        """,
        {"t": text.strip()},
    ).fetchall()
    if not rows or not text.strip():
        raise LookupProblem(f"no kommun has the code or name {text!r}")
    if len(rows) > 1:
        listed = ", ".join(f"{title} ({code})" for code, title in rows[:8])
        raise LookupProblem(f"{text!r} is ambiguous: {listed}{' …' if len(rows) > 8 else ''}")
    return rows[0][0], rows[0][1]


def _known(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(sql).fetchall()]


def _check_filter(con: duckdb.DuckDBPyConnection, wanted: ComparisonFilter) -> None:
    """Fail early, listing the valid choices, on a peer kind, network or area the warehouse lacks."""
    if wanted.peer_kind is not None and wanted.peer_kind not in PEER_SET_KINDS:
        kinds = ", ".join(PEER_SET_KINDS)
        raise LookupProblem(f"unknown peer set kind {wanted.peer_kind!r}; use one of {kinds} or network:NAME")
    if wanted.network is not None:
        networks = _known(con, "SELECT network_id FROM core.ref_network ORDER BY 1")
        if wanted.network.lower() not in {n.lower() for n in networks}:
            raise LookupProblem(f"no network {wanted.network!r}; networks: {', '.join(networks) or 'none'}")
    if wanted.kpis:
        known = set(_known(con, "SELECT DISTINCT kpi_id FROM mart.municipality_comparison"))
        missing = [k for k in wanted.kpis if k not in known]
        if missing:
            raise LookupProblem(f"no comparison rows for KPI {', '.join(missing)} in this warehouse")
    if wanted.area is not None:
        # a Liknande area, an operating area, or an ÖJ area (its title or KPI group id)
        areas = _known(
            con,
            "SELECT DISTINCT peer_area FROM core.ref_kpi_peer_area UNION "
            "SELECT DISTINCT operating_area FROM core.ref_kpi_peer_area WHERE operating_area IS NOT NULL "
            "UNION SELECT DISTINCT oj_area FROM core.ref_oj_factor WHERE coding_status = 'parsed' "
            "UNION SELECT DISTINCT kpi_group_id FROM core.ref_oj_factor WHERE coding_status = 'parsed' "
            "ORDER BY 1",
        )
        if wanted.area.lower() not in {a.lower() for a in areas}:
            raise LookupProblem(f"no area {wanted.area!r}; areas: {', '.join(areas)}")


_COMPARISON_SQL = """
    SELECT c.*,
           CASE WHEN c.direction = 'neutral' THEN $neutral_rank ELSE $best_rank END AS rank_order,
           coalesce(c.kpi_newest_year - c.year > $outdated_years, FALSE) AS is_outdated
    FROM mart.municipality_comparison AS c
    LEFT JOIN core.ref_kpi_peer_area AS a ON a.kpi_id = c.kpi_id
    WHERE c.municipality_id = $m AND c.gender = $gender
      AND ($kpis IS NULL OR list_contains($kpis, c.kpi_id))
      AND ($area IS NULL OR lower(a.peer_area) = lower($area) OR lower(a.operating_area) = lower($area)
           OR c.kpi_id IN (SELECT kpi_id FROM core.ref_oj_factor WHERE coding_status = 'parsed'
                           AND lower($area) IN (lower(oj_area), lower(kpi_group_id))))
      AND ($kind IS NULL OR c.peer_set_kind = $kind)
      AND ($network IS NULL OR lower(c.peer_set_id) = 'network:' || lower($network))
      AND ($year IS NULL OR c.year = $year)
    QUALIFY $year IS NOT NULL OR c.year = coalesce(
        max(c.year) FILTER (WHERE c.value IS NOT NULL) OVER (PARTITION BY c.kpi_id),
        max(c.year) OVER (PARTITION BY c.kpi_id))
    ORDER BY c.peer_set_kind, c.peer_set_id, c.kpi_id
"""


def _comparison_params(municipality_id: str, wanted: ComparisonFilter) -> dict[str, object]:
    return {
        "m": municipality_id,
        "gender": wanted.gender,
        "kpis": wanted.kpis,
        "area": wanted.area,
        "kind": wanted.peer_kind,
        "network": wanted.network,
        "year": wanted.year,
        "neutral_rank": NEUTRAL_RANK,
        "best_rank": BEST_RANK,
        "outdated_years": wanted.outdated_years,
    }


def comparison_records(
    con: duckdb.DuckDBPyConnection, municipality_id: str, wanted: ComparisonFilter
) -> Records:
    """mart.municipality_comparison rows of one kommun, filtered; per KPI the chosen or latest year.

    Without a year each KPI shows its latest year with a value for the kommun (else its latest row).
    Adds rank_order (what rank 1 means) and is_outdated (more than `wanted.outdated_years` years
    older than the KPI's newest year in the warehouse). Plain rows: `jamfor compare` imports no Polars.
    """
    _check_filter(con, wanted)
    return fetch_records(con, _COMPARISON_SQL, _comparison_params(municipality_id, wanted))


def comparison_rows(
    con: duckdb.DuckDBPyConnection, municipality_id: str, wanted: ComparisonFilter
) -> pl.DataFrame:
    """The rows of `comparison_records` as a Polars frame, for the report's and the tests' frame work."""
    _check_filter(con, wanted)
    return con.sql(_COMPARISON_SQL, params=_comparison_params(municipality_id, wanted)).pl()


def _read(
    warehouse_path: Path, municipality: str, wanted: ComparisonFilter, per_capita: bool
) -> tuple[str, str, Records, PerCapita]:
    con = connect_readonly(warehouse_path, current=True)
    try:
        code, name = resolve_municipality(con, municipality)
        rows = comparison_records(con, code, wanted)
        if not per_capita:
            return code, name, rows, PerCapita([])
        return code, name, rows, per_capita_rows(con, code, rows, wanted.gender)
    finally:
        con.close()


def compare(warehouse_path: Path, municipality: str, wanted: ComparisonFilter) -> tuple[str, str, Records]:
    """(code, name, rows) for `jamfor compare`, read from the published file."""
    code, name, rows, _ = _read(warehouse_path, municipality, wanted, per_capita=False)
    return code, name, rows


def compare_per_capita(
    warehouse_path: Path, municipality: str, wanted: ComparisonFilter
) -> tuple[str, str, Records, PerCapita]:
    """(code, name, rows, per-capita figures of the rows' count KPIs), read in one snapshot."""
    return _read(warehouse_path, municipality, wanted, per_capita=True)


def export_marts(warehouse_path: Path, directory: Path) -> dict[str, Path]:
    """Write every mart to `<directory>/<mart>.parquet` with COPY; return the files written."""
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    con = connect_readonly(warehouse_path, current=True)
    written: dict[str, Path] = {}
    try:
        for spec in (t for t in catalogue.TABLES if t.kind == "mart"):
            target = (root / f"{spec.name}.parquet").resolve()
            # Names come from the spec, but a file must never land outside the chosen directory.
            if target.parent != root:
                raise ValueError(f"refusing to write {target} outside {root}")
            con.execute(
                f"COPY (SELECT * FROM {quote(spec.schema)}.{quote(spec.name)}) TO $path (FORMAT parquet)",
                {"path": str(target)},
            )
            written[spec.qualified] = target
    finally:
        con.close()
    return written
