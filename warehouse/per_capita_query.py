"""Per 1000 invånare figures for `jamfor compare`: count KPIs against SCB population (read-only).

Per-capita figures (`per_capita_rows`) are for count KPIs only. A KPI counts as a count when its title's
last part is "antal" (a "(-YYYY)" discontinuation suffix aside) and the title has no "/" or "per":
core.kpi has no unit field, Kolada puts the unit last in the title, and "Elever/lärare ..., antal" or
"Barn per barngrupp ..., antal" are ratios. The rule errs towards leaving a count out (e.g.
"Asylsökande/inskrivna ..., antal") rather than dividing a ratio by the population.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.ddl import present_tables
from warehouse.records import Records, fetch_records

# the per-capita columns and the Python type of their values (None where a figure is missing)
PER_CAPITA_COLUMNS: dict[str, type] = {
    "municipality_id": str,
    "kpi_id": str,
    "kpi_title": str,
    "year": int,
    "peer_set_kind": str,
    "peer_set_id": str,
    "peer_set_title": str,
    "value": float,  # Källa: Kolada
    "population": int,  # Källa: SCB
    "value_per_1000_inv": float,
    "n_peers": int,
    "n_peers_used": int,  # peers with both a value and a population
    "peers_value": float,
    "peers_population": int,
    "peers_per_1000_inv": float,  # peers_value / peers_population * 1000
}


@dataclass(frozen=True)
class PerCapita:
    """Per 1000 invånare figures of the count KPIs among comparison rows; notes say why any is NULL."""

    rows: list[dict[str, Any]]  # one row per count KPI and peer set, keys PER_CAPITA_COLUMNS
    notes: tuple[str, ...] = ()


LOAD_POPULATION = "load SCB's Folkmängd per kommun{} with `jamfor load files FILE` (PxWeb json-stat2 or CSV)"


_PER_CAPITA_SQL = """
    WITH sel AS (
        SELECT unnest($kpi) AS kpi_id, unnest($yr)::INTEGER AS year, unnest($set) AS set_key,
               unnest($kind) AS kind
    ),
    member AS (
        -- every set's peers from mart.peer_set_member (the one membership list; a Liknande version's
        -- anchor row names whose set it is, not a peer), with their values of the KPI, year and gender
        SELECT s.kpi_id, s.year, s.set_key, v.municipality_id, v.value
        FROM sel AS s
        JOIN mart.peer_set_member AS g ON g.peer_set_id = s.set_key AND NOT g.is_anchor
        JOIN mart.kpi_value AS v
          ON v.municipality_id = g.municipality_id AND v.kpi_id = s.kpi_id AND v.year = s.year
         AND v.gender = $gender AND v.municipality_kind = 'kommun'
        WHERE g.municipality_id <> $m
    ),
    peers AS (
        -- only peers with both a value and a population; summed in a fixed order (bit-identical reruns)
        SELECT m.kpi_id, m.year, m.set_key, count(*) AS n_used,
               sum(m.value ORDER BY m.municipality_id) AS value_sum, sum(p.population) AS population_sum
        FROM member AS m
        JOIN mart.population_year AS p ON p.municipality_id = m.municipality_id AND p.year = m.year
        WHERE m.value IS NOT NULL AND p.population IS NOT NULL
        GROUP BY ALL
    )
    SELECT c.municipality_id, c.kpi_id, c.kpi_title, c.year, c.peer_set_kind, c.peer_set_id,
           c.peer_set_title, c.value, own.population::BIGINT AS population,
           c.value / own.population * 1000 AS value_per_1000_inv, c.n_peers,
           coalesce(p.n_used, 0)::BIGINT AS n_peers_used, p.value_sum AS peers_value,
           p.population_sum::BIGINT AS peers_population,
           p.value_sum / p.population_sum * 1000 AS peers_per_1000_inv
    FROM sel AS s
    JOIN mart.municipality_comparison AS c
      ON c.municipality_id = $m AND c.kpi_id = s.kpi_id AND c.year = s.year AND c.peer_set_id = s.set_key
     AND c.gender = $gender
    LEFT JOIN mart.population_year AS own ON own.municipality_id = $m AND own.year = s.year
    LEFT JOIN peers AS p ON p.kpi_id = s.kpi_id AND p.year = s.year AND p.set_key = s.set_key
    ORDER BY c.kpi_id, c.peer_set_kind, c.peer_set_id
"""


_COUNT_TITLE = re.compile(r"(?i),\s*antal\s*(\(-\d{4}\))?\s*$")
_RATIO_TITLE = re.compile(r"(?i)/|\bper\b")


def is_count_kpi(title: str | None) -> bool:
    """True for the title of a count KPI (the rule is in the module docstring)."""
    text = title or ""
    return _COUNT_TITLE.search(text) is not None and _RATIO_TITLE.search(text) is None


def _without_population(counted: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The count rows with every population-based figure NULL (no peer used)."""
    return [{name: row.get(name) for name in PER_CAPITA_COLUMNS} | {"n_peers_used": 0} for row in counted]


def per_capita_rows(
    con: duckdb.DuckDBPyConnection, municipality_id: str, rows: Sequence[dict[str, Any]], gender: str = "T"
) -> PerCapita:
    """Value, SCB population and value per 1000 invånare of the count KPIs among `rows`
    (comparison_records), for the kommun and, summed, for the peers of each peer set that have both a
    value and a population.

    Population is mart.population_year (31 December, both sexes); a missing table, year or kommun
    leaves the figure NULL and adds a note, never an error.
    """
    counted = [row for row in rows if is_count_kpi(row["kpi_title"])]
    if not counted:
        notes = ('none of the selected KPIs is a count (title ending ", antal")',) if rows else ()
        return PerCapita([], notes)
    if gender != "T":
        note = f"per-capita figures are for gender T only (SCB population of both sexes), not {gender}"
        return PerCapita([], (note,))
    if "mart.population_year" not in present_tables(con):
        note = "this warehouse has no mart.population_year (SCB population); " + LOAD_POPULATION.format("")
        return PerCapita(_without_population(counted), (note,))
    params = {
        "kpi": [row["kpi_id"] for row in counted],
        "yr": [row["year"] for row in counted],
        "set": [row["peer_set_id"] for row in counted],
        "kind": [row["peer_set_kind"] for row in counted],
        "m": municipality_id,
        "gender": gender,
    }
    out = fetch_records(con, _PER_CAPITA_SQL, params)
    return PerCapita(out, _population_notes(con, municipality_id, out))


def _population_notes(con: duckdb.DuckDBPyConnection, municipality_id: str, rows: Records) -> tuple[str, ...]:
    """Why a kommun figure is NULL: no population at all for the year, or none for this kommun."""
    lacking = sorted({row["year"] for row in rows if row["population"] is None})
    if not lacking:
        return ()
    loaded = {
        year
        for (year,) in con.execute(
            "SELECT DISTINCT year FROM mart.population_year WHERE list_contains($years, year)",
            {"years": lacking},
        ).fetchall()
    }
    notes = []
    if missing := [str(y) for y in lacking if y not in loaded]:
        years = ", ".join(missing)
        notes.append(f"no SCB population for {years}; " + LOAD_POPULATION.format(f" for {years}"))
    if present := [str(y) for y in lacking if y in loaded]:
        notes.append(f"no SCB population for kommun {municipality_id} in {', '.join(present)}")
    return tuple(notes)
