"""A tiny SYNTHETIC warehouse for the comparison tables: made-up kommuner, groups, KPIs and values.

Nothing here is real Kolada data except the U35537 coding text (metadata). Every number is invented
so the expected statistics can be worked out by hand (see tests/warehouse/test_comparison.py).

Kommuner (county 01: Aby, Bby, Cby, Dby, Eby; county 02: Östby = F, Östbyn = G), kommungrupp
G1 = {A, B, C, F}, G2 = {D, E, G}; "Liknande kommuner IFO, Aby, 2024" (G100) = B, C, D; network
"trio" = A, B, E. Östbyn (G) has rows only from 2020: in 2019 it did not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from models.catalogue import table as table_spec
from pipeline.reference import ReferenceFiles, apply_reference
from warehouse import history, marts
from warehouse.history import VALUE_FRAME_SCHEMA
from warehouse.publish import building

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
FETCHED_AT = datetime(2025, 12, 1, tzinfo=UTC)
K1, K2, K3 = "U00001", "U00002", "N00003"  # higher, lower, neutral by override
FACTORS = ("U90001", "U90002", "U90003", "U35537", "U90005")
IFO = "Individ- och familjeomsorg"

MUNICIPALITIES = [
    # municipality_id, title, type, kind, county_id, kommungrupp_id, kommungrupp_title
    ("0000", "Riket", "L", "riket", None, None, None),
    ("0001", "Region Ett", "L", "region", "01", None, None),
    ("0101", "Aby", "K", "kommun", "01", "G1", "Grupp ett"),
    ("0102", "Bby", "K", "kommun", "01", "G1", "Grupp ett"),
    ("0103", "Cby", "K", "kommun", "01", "G1", "Grupp ett"),
    ("0104", "Dby", "K", "kommun", "01", "G2", "Grupp två"),
    ("0105", "Eby", "K", "kommun", "01", "G2", "Grupp två"),
    ("0201", "Östby", "K", "kommun", "02", "G1", "Grupp ett"),
    ("0202", "Östbyn", "K", "kommun", "02", "G2", "Grupp två"),
    ("G1", "Grupp ett (ovägt medel)", None, "group", None, None, None),
    ("G2", "Grupp två (ovägt medel)", None, "group", None, None, None),
    ("G100", "Liknande kommuner IFO, Aby, 2024", None, "group", None, None, None),
]
GROUPS = [
    ("G1", "Grupp ett (ovägt medel)", "kommungrupp", None, None, None),
    ("G2", "Grupp två (ovägt medel)", "kommungrupp", None, None, None),
    ("G100", "Liknande kommuner IFO, Aby, 2024", "liknande", "IFO", "0101", 2024),
]
GROUP_MEMBERS = [
    ("G1", "0101"),
    ("G1", "0102"),
    ("G1", "0103"),
    ("G1", "0201"),
    ("G2", "0104"),
    ("G2", "0105"),
    ("G2", "0202"),
    ("G100", "0102"),
    ("G100", "0103"),
    ("G100", "0104"),
]
KPIS = [
    (K1, "Syntetisk brukarbedömning, andel (%)", IFO),
    (K2, "Syntetisk väntetid, antal dagar", IFO),
    (K3, "Syntetisk kostnad, kr/inv", IFO),
    ("U90001", "Syntetisk rutin X, (Ja=1, Nej=0)", IFO),
    ("U90002", "Syntetisk rutin Y, (Ja, för alla=2, Ja, men inte för alla=1, Nej=0)", IFO),
    ("U90003", "Syntetisk rutin Z, (Ja=2, Delvis=1, Nej=0)", IFO),
    (
        "U35537",
        "Tid till första personliga besök (nybesök) inom missbruks- och beroendevården, "
        "(Inom 3 dagar=3, 4-7 dagar=2, 8-14 dagar=1, mer än 15 dagar=0).",
        IFO,
    ),
    ("U90005", "Syntetisk nöjdhet, andel (%)", IFO),
]
# (kpi, municipality, year, gender, value); None = published as missing
VALUES: list[tuple[str, str, int, str, float | None]] = [
    (K1, "0101", 2020, "T", 50.0),
    (K1, "0102", 2020, "T", 70.0),
    (K1, "0103", 2020, "T", 50.0),
    (K1, "0104", 2020, "T", 30.0),
    (K1, "0105", 2020, "T", None),
    (K1, "0201", 2020, "T", 90.0),
    (K1, "0000", 2020, "T", 55.0),
    (K1, "0001", 2020, "T", 1000.0),
    (K1, "G100", 2020, "T", 50.0),
    (K1, "0101", 2020, "K", 45.0),
    (K1, "0102", 2020, "K", 65.0),
    (K1, "0101", 2019, "T", 40.0),
    (K1, "0102", 2019, "T", 60.0),
    (K1, "0103", 2019, "T", 50.0),
    (K1, "0104", 2019, "T", 30.0),
    (K1, "0101", 2017, "T", 35.0),
    (K1, "0101", 2021, "T", 55.0),
    (K2, "0101", 2020, "T", 10.0),
    (K2, "0102", 2020, "T", 20.0),
    (K2, "0103", 2020, "T", 10.0),
    (K2, "0104", 2020, "T", 5.0),
    (K2, "0105", 2020, "T", 40.0),
    (K2, "0201", 2020, "T", None),
    (K2, "0202", 2020, "T", 15.0),
    (K3, "0101", 2020, "T", 100.0),
    (K3, "0102", 2020, "T", 200.0),
    (K3, "0103", 2020, "T", None),
    ("U90001", "0101", 2020, "T", 1.0),
    ("U90002", "0101", 2020, "T", 1.0),
    ("U90003", "0101", 2020, "T", 2.0),
    ("U35537", "0101", 2020, "T", 3.0),
    ("U90005", "0101", 2020, "T", 80.0),
    ("U90001", "0102", 2020, "T", 0.0),
    ("U90002", "0102", 2020, "T", None),
    ("U90003", "0102", 2020, "T", 1.0),
    ("U90001", "0101", 2021, "T", 1.0),
]
NETWORKS_YAML = """
networks:
  - name: trio
    title: Syntetiskt nätverk
    members: ["0101", Bby, eby]
"""
DIRECTIONS_YAML = f"""
overrides:
  {K1}: {{direction: higher, note: synthetic}}
  {K2}: {{direction: lower, note: synthetic}}
  {K3}: {{direction: neutral, note: synthetic}}
rules: []
"""
PEER_AREAS_YAML = f"""
default_area: övergripande
rules:
  - {{name: ifo, operating_area: {IFO}, area: IFO}}
"""
OJ_AREAS_YAML = """
groups: [GKPI900]
positive_min_code: {}
"""


def _frame(rows: Sequence[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def reference_files(directory: Path, **texts: str) -> ReferenceFiles:
    """Write the synthetic reference YAML files (any of them replaced by `texts`) into `directory`."""
    defaults = {
        "networks": NETWORKS_YAML,
        "directions": DIRECTIONS_YAML,
        "peer_areas": PEER_AREAS_YAML,
        "oj_areas": OJ_AREAS_YAML,
    }
    paths = {}
    for key, text in {**defaults, **texts}.items():
        paths[key] = directory / f"{key}.yaml"
        paths[key].write_text(text, encoding="utf-8")
    return ReferenceFiles(**paths)


def values_frame(rows: Sequence[tuple[str, str, int, str, float | None]]) -> pl.DataFrame:
    """A contract values frame from (kpi, municipality, year, gender, value) rows."""
    base = _frame(
        rows,
        {
            "kpi_id": pl.String,
            "municipality_id": pl.String,
            "year": pl.Int32,
            "gender": pl.String,
            "value": pl.Float64,
        },
    )
    return (
        base.with_columns(
            count=pl.lit(1, pl.Int64),
            status=pl.lit(""),
            is_deleted=pl.lit(False),
            is_preliminary=pl.col("year") == 2021,
            fetched_at=pl.lit(FETCHED_AT).dt.cast_time_unit("us"),
            source=pl.lit("kolada"),
        )
        .select(list(VALUE_FRAME_SCHEMA))
        .cast(VALUE_FRAME_SCHEMA)
    )


def load_dimensions(con: duckdb.DuckDBPyConnection) -> None:
    """Merge the synthetic units, groups, KPIs and the ÖJ KPI group into core."""
    text = pl.String
    frames = {
        "core.municipality": _frame(
            MUNICIPALITIES,
            {
                "municipality_id": text,
                "title": text,
                "type": text,
                "kind": text,
                "county_id": text,
                "kommungrupp_id": text,
                "kommungrupp_title": text,
            },
        ),
        "core.municipality_group": _frame(
            GROUPS,
            {
                "group_id": text,
                "title": text,
                "family": text,
                "area": text,
                "anchor_municipality_id": text,
                "vintage_year": pl.Int32,
            },
        ),
        "core.municipality_group_member": _frame(
            GROUP_MEMBERS, {"group_id": text, "member_id": text}
        ).with_columns(member_title=pl.col("member_id")),
        "core.kpi": _frame(KPIS, {"kpi_id": text, "title": text, "operating_area": text}).with_columns(
            description=pl.lit(None, text),
            is_divided_by_gender=pl.lit(True),
            municipality_type=pl.lit("K"),
            auspice=pl.lit(None, text),
            perspective=pl.lit(None, text),
            prel_publication_date=pl.lit(None, pl.Date),
            publication_date=pl.lit(None, pl.Date),
            publ_period=pl.lit(None, text),
            has_ou_data=pl.lit(False),
            discontinued_year=pl.lit(None, pl.Int32),
        ),
        "core.kpi_group": _frame(
            [("GKPI900", "Öppna jämförelser - Syntetiskt område")], {"kpi_group_id": text, "title": text}
        ),
        "core.kpi_group_member": _frame(
            [("GKPI900", kpi, title) for kpi, title, _ in KPIS if kpi in FACTORS],
            {"kpi_group_id": text, "kpi_id": text, "member_title": text},
        ),
    }
    for table, frame in frames.items():
        key = table_spec(table).key
        history.merge_dimension(con, table, frame, key_cols=key, run_id="synthetic", as_of=AS_OF)


def build(
    con: duckdb.DuckDBPyConnection,
    files: ReferenceFiles,
    values: Sequence[tuple[str, str, int, str, float | None]] = VALUES,
) -> dict[str, int]:
    """Dimensions, values, reference tables and every mart; returns rows per mart."""
    load_dimensions(con)
    history.merge_values(con, values_frame(values), run_id="synthetic", as_of=AS_OF, scope=None)
    apply_reference(con, files)
    return marts.rebuild(con)


def publish(root: Path, *, run_id: str = "synthetic", **reference: str) -> Path:
    """The synthetic warehouse published to root/jamfor.duckdb as a load leaves it (reference files in
    `root`, with `reference` texts replacing the defaults); returns its path."""
    path = root / "jamfor.duckdb"
    with building(path, run_id=run_id) as con:
        build(con, reference_files(root, **reference))
    return path
