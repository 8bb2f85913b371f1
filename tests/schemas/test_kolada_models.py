"""The Kolada Pandera models: design.md column contracts, id patterns, mojibake and consistency checks."""

from __future__ import annotations

import polars as pl
import pytest
from pandera.errors import SchemaErrors

from schemas.kolada import (
    CORE_MODELS,
    MOJIBAKE_MARKERS,
    CoreKpiGroupMember,
    KpiGroupMember,
    Municipality,
    Ou,
    Quarantine,
)
from schemas.validate import validate_split
from tests.kolada_pages import fixture_records

# column order of the design.md frames
DESIGN_COLUMNS = {
    "value": "kpi_id municipality_id year gender value count status is_deleted is_preliminary "
    "fetched_at source",
    "kpi": "kpi_id title description is_divided_by_gender municipality_type auspice operating_area "
    "perspective prel_publication_date publication_date publ_period has_ou_data discontinued_year",
    "municipality": "municipality_id title type kind county_id kommungrupp_id kommungrupp_title",
    "municipality_group": "group_id title family area anchor_municipality_id vintage_year",
    "municipality_group_member": "group_id member_id member_title",
    "kpi_group": "kpi_group_id title",
    "kpi_group_member": "kpi_group_id kpi_id member_title",
    "ou": "ou_id municipality_id title ou_type",
}


def _failures(model: type, df: pl.DataFrame) -> list[tuple[str, str, int]]:
    try:
        model.validate(df, lazy=True)
    except SchemaErrors as exc:
        return exc.failure_cases.select("column", "check", "index").rows()
    return []


@pytest.mark.parametrize("table", sorted(DESIGN_COLUMNS))
def test_core_models_match_design_columns(table: str) -> None:
    assert list(CORE_MODELS[table].to_schema().columns) == DESIGN_COLUMNS[table].split()


def test_every_mojibake_marker_is_rejected_and_swedish_passes() -> None:
    clean = "Åre, Älvdalen, Örebro, Skövde, Håbo, Västerås, Linköping, Café"
    titles = [clean, *(f"V{marker}sterås" for marker in MOJIBAKE_MARKERS)]
    frame = pl.DataFrame(
        {
            "ou_id": [f"V21E{n}" for n in range(len(titles))],
            "municipality_id": "1980",
            "title": titles,
            "ou_type": "V21",
        }
    )
    failures = _failures(Ou, frame)
    assert [(c, check) for c, check, _ in failures] == [("title", "no_mojibake")] * len(MOJIBAKE_MARKERS)
    assert sorted(index for *_, index in failures) == list(range(1, len(titles)))


def test_kpi_group_id_patterns() -> None:
    ids = ["GKPI251", "G2KPI196322", "G2KPI", "GKPI", "KPI1", "G3KPI1"]
    frame = pl.DataFrame({"kpi_group_id": ids, "kpi_id": "N31807", "member_title": "x"})
    failing = {frame["kpi_group_id"][index] for *_, index in _failures(CoreKpiGroupMember, frame)}
    assert failing == {"G2KPI", "GKPI", "KPI1", "G3KPI1"}


def test_municipality_type_consistent_with_kind() -> None:
    rows = pl.DataFrame(
        {
            "municipality_id": ["0180", "G36453", "1984"],
            "title": ["Stockholm", "Liknande kommuner IFO, Arboga, 2024", "Arboga"],
            "type": ["K", "K", None],
            "kind": ["kommun", "group", "kommun"],
            "county_id": ["01", None, "19"],
            "kommungrupp_id": [None, None, None],
            "kommungrupp_title": [None, None, None],
        },
        schema_overrides={"kommungrupp_id": pl.String, "kommungrupp_title": pl.String},
    )
    failures = _failures(Municipality, rows)
    assert [(check, index) for _, check, index in failures] == [
        ("type_null_only_for_groups", 1),
        ("type_null_only_for_groups", 2),
    ]


def test_quarantine_frame_matches_its_model() -> None:
    groups = fixture_records("kpi_groups")[:2]
    frame = pl.DataFrame(
        {
            "kpi_group_id": [g["id"] for g in groups] + ["bad"],
            "title": [g["title"] for g in groups] + ["t"],
            "kpi_id": ["N31807", "N31814", "N31807"],
            "member_title": ["a", "b", "c"],
        }
    ).with_columns(_record=pl.lit("{}"))
    valid, quarantine = validate_split(
        frame, KpiGroupMember, source="kolada", entity="kpi_group", key_cols=["kpi_group_id", "kpi_id"]
    )
    Quarantine.validate(quarantine)
    assert valid.height == 2 and quarantine["natural_key"].to_list() == ["bad/N31807"]
