"""municipality_groups (v3 2026-03 groups) and kpi_groups (v2 2024-01 KPI groups) on real fixtures."""

from __future__ import annotations

import polars as pl
import pytest

from schemas.kolada import (
    CoreKpiGroup,
    CoreKpiGroupMember,
    CoreMunicipalityGroup,
    CoreMunicipalityGroupMember,
)
from tests.kolada_pages import fixture_records, metadata_pages, pages_from_records
from transforms.kolada.groups import GroupsResult, kpi_groups, municipality_groups
from transforms.kolada.municipality import municipality_dimension

ARBOGA_IFO_2024 = {
    "0331": "Heby",
    "0763": "Tingsryd",
    "1257": "Örkelljunga",
    "1462": "Lilla Edet",
    "1465": "Svenljunga",
    "1484": "Lysekil",
    "1961": "Hallstahammar",
}


@pytest.fixture(scope="module")
def dim() -> pl.DataFrame:
    return municipality_dimension(metadata_pages("municipality"), metadata_pages("municipality_groups")).valid


@pytest.fixture(scope="module")
def result(dim: pl.DataFrame) -> GroupsResult:
    return municipality_groups(metadata_pages("municipality_groups"), dim)


def _group(result: GroupsResult, group_id: str) -> dict:
    return result.groups.filter(pl.col("group_id") == group_id).row(0, named=True)


def test_real_groups(result: GroupsResult) -> None:
    assert result.quarantine.height == 0 and result.warnings == []
    assert result.groups.height == 3630 and result.members.height == 26_573
    CoreMunicipalityGroup.validate(result.groups)
    CoreMunicipalityGroupMember.validate(result.members)
    families = dict(result.groups.group_by("family").len().iter_rows())
    assert families == {"liknande": 3542, "kommungrupp": 9, "lan": 21, "size": 9, "all": 2, "other": 47}
    liknande = result.groups.filter(pl.col("family") == "liknande")
    assert liknande["anchor_municipality_id"].null_count() == 0
    assert liknande["vintage_year"].is_in([2023, 2024, 2025]).all()
    assert result.groups.filter(pl.col("family") != "liknande")["area"].null_count() == 3630 - 3542


def test_arboga_ifo_2024(result: GroupsResult) -> None:
    assert _group(result, "G36453") == {
        "group_id": "G36453",
        "title": "Liknande kommuner IFO, Arboga, 2024",
        "family": "liknande",
        "area": "IFO",
        "anchor_municipality_id": "1984",
        "vintage_year": 2024,
    }
    members = result.members.filter(pl.col("group_id") == "G36453")
    assert dict(members.select("member_id", "member_title").iter_rows()) == ARBOGA_IFO_2024


def test_title_variants(result: GroupsResult) -> None:
    titles = result.groups.with_columns(pl.col("title").str.strip_prefix("Liknande "))
    ale = titles.filter(pl.col("title") == "kommuner, övergripande, Ale, 2025").row(0, named=True)
    assert (ale["area"], ale["anchor_municipality_id"], ale["vintage_year"]) == ("övergripande", "1440", 2025)
    sthlm = titles.filter(
        pl.col("title") == "regioner, hälso- och sjukvård (inkl läkemedel), Region Stockholm, 2024"
    ).row(0, named=True)
    assert sthlm["area"] == "hälso- och sjukvård (inkl läkemedel)"
    assert sthlm["anchor_municipality_id"] == "0001"
    areas = set(result.groups.filter(pl.col("title").str.starts_with("Liknande kommuner"))["area"])
    assert {"IFO", "äldreomsorg", "LSS", "ekonomiskt bistånd", "övergripande"} <= areas
    families = dict(result.groups.select("title", "family").iter_rows())
    assert families["Skåne läns kommuner (ovägt medel)"] == "lan"
    assert families["Kommuner med 10 000 - 14 999 invånare (ovägt medel)"] == "size"
    assert families["Alla kommuner (ovägt medel)"] == "all"
    assert families["Större stad (ovägt medel)"] == "kommungrupp"
    assert families["SmåKom (ovägt medel)"] == "other"


def test_unresolved_anchor_keeps_group_and_warns(dim: pl.DataFrame) -> None:
    groups = fixture_records("municipality_groups")[:200]
    groups[0] = groups[0] | {"id": "G1", "title": "Liknande kommuner IFO, Atlantis, 2024"}
    groups[1] = groups[1] | {"id": "G2", "title": "Liknande kommuner utan ort"}
    groups[2] = groups[2] | {"id": "G3", "members": []}
    result = municipality_groups(pages_from_records(groups, "municipality_groups"), dim)
    frames, members, quarantine = result
    assert frames is result.groups and members is result.members and quarantine is result.quarantine
    assert result.quarantine.height == 0 and result.groups.height == 200
    g1, g2 = _group(result, "G1"), _group(result, "G2")
    assert (g1["family"], g1["area"], g1["anchor_municipality_id"], g1["vintage_year"]) == (
        "liknande",
        "IFO",
        None,
        2024,
    )
    assert (g2["family"], g2["area"], g2["anchor_municipality_id"]) == ("liknande", None, None)
    assert len(result.warnings) == 2
    assert "'Atlantis'" in result.warnings[0] and result.warnings[0].startswith("G1 ")
    assert "<title not parsed>" in result.warnings[1]
    assert _group(result, "G3")["title"] == groups[2]["title"]
    assert result.members.filter(pl.col("group_id") == "G3").height == 0


def test_bad_group_rows(dim: pl.DataFrame) -> None:
    groups = fixture_records("municipality_groups")[:50]
    bad_member = {"member_id": "180", "member_title": "Stockholm"}
    broken = {"member_id": "0180", "member_title": "Stockholm".replace("o", "Ã¶")}
    groups = [
        *groups,
        {"id": "X7", "title": "Nätverk", "members": [{"member_id": "0180", "member_title": "Stockholm"}]},
        {"id": "G7", "title": "Nätverk", "members": [bad_member, broken]},
        groups[5] | {"title": "Ny titel"},
    ]
    result = municipality_groups(pages_from_records(groups, "municipality_groups"), dim)
    rows_in = sum(max(len(g["members"]), 1) for g in groups)
    assert result.members.height + result.quarantine.height == rows_in
    reasons = result.quarantine.group_by("natural_key").agg(pl.col("failed_check").first())
    reasons = dict(reasons.iter_rows())
    assert reasons["X7/0180"] == r"group_id: str_matches('^G\d+$') (got X7)"
    assert reasons["G7/180"] == r"member_id: str_matches('^\d{4}$') (got 180)"
    assert reasons["G7/0180"] == f"member_title: no_mojibake (got {broken['member_title']})"
    clash = result.quarantine.filter(pl.col("natural_key").str.starts_with(groups[5]["id"] + "/"))
    assert clash.height == 2 * len(groups[5]["members"])
    assert clash["failed_check"].str.starts_with("duplicate natural key; one_title_per_group_id (got {").all()


def test_kpi_groups() -> None:
    groups, members, quarantine = kpi_groups(metadata_pages("kpi_groups"))
    assert quarantine.height == 0
    assert groups.height == 117 and members.height == 4552
    CoreKpiGroup.validate(groups)
    CoreKpiGroupMember.validate(members)
    sizes = dict(members.group_by("kpi_group_id").len().iter_rows())
    assert sizes["GKPI251"] == 54 and sizes["G2KPI196322"] == 61 and sizes["GKPI119"] == 37
    titles = dict(groups.iter_rows())
    assert titles["GKPI251"] == "Öppna jämförelser - Ekonomiskt bistånd"


def test_kpi_groups_bad_rows() -> None:
    records = fixture_records("kpi_groups")[:3]
    records.append({"id": "KPI1", "title": "Trasig", "members": [{"member_id": "N1", "member_title": "x"}]})
    groups, members, quarantine = kpi_groups(pages_from_records(records, "kpi_groups"))
    assert groups.height == 3
    assert quarantine["natural_key"].to_list() == ["KPI1/N1"]
    assert quarantine["failed_check"].item() == (
        r"kpi_group_id: str_matches('^G2?KPI\d+$') (got KPI1); kpi_id: str_matches('^[NU]\d{5}$') (got N1)"
    )
    assert members.height == sum(len(r["members"]) for r in records[:3])
