"""Answer codings parsed from ÖJ KPI group member titles (real titles from the 2024 kpi_groups fixture)."""

from __future__ import annotations

import polars as pl

from tests.kolada_pages import fixture_records
from transforms.comparison.codings import parse_codings

TITLES = {
    "U31466": "Socialjour tillgänglig utanför kontorstid, (Ja=1, Nej=0) (-2021)",
    "U28464": "Sammanställt resultaten av biståndsbeslutade insatser till enskilda på gruppnivå utifrån kön "
    "inom LSS, (Ja=2, Nej, men genomfört uppföljning=1, Nej=0).",
    "U35537": "Tid till första personliga besök (nybesök) inom missbruks- och beroendevården, "
    "(Inom 3 dagar=3, 4-7 dagar=2, 8-14 dagar=1, mer än 15 dagar=0).",
    "U90001": "Synthetic, (Ja, för alla=2, Ja, men inte för alla=1, Nej=0)",
    "U90002": "Synthetic, (-2017 Ja=1, Nej=0. 2018- Ja=2, Delvis=1, Nej=0)",
    "U90003": "Synthetic, (Ja=1, Nej=2)",
    "U21468": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
}


def _members(titles: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kpi_group_id": "GKPI1",
            "oj_area": "Test",
            "kpi_id": list(titles),
            "member_title": list(titles.values()),
        }
    )


def test_codings_statuses_and_top_codes() -> None:
    parsed = {r["kpi_id"]: r for r in parse_codings(_members(TITLES)).to_dicts()}
    assert parsed["U31466"]["coding"] == "Ja=1, Nej=0"
    assert [(k, parsed[k]["coding_status"], parsed[k]["top_code"]) for k in TITLES] == [
        ("U31466", "parsed", 1),
        ("U28464", "parsed", 2),
        ("U35537", "parsed", 3),
        ("U90001", "parsed", 2),
        ("U90002", "year-dependent", None),
        ("U90003", "reversed", None),
        ("U21468", "no coding", None),
    ]
    assert parsed["U35537"]["positive_min_code"] == 3 and parsed["U35537"]["positive_basis"] == "top code"


def test_positive_threshold_can_be_configured() -> None:
    parsed = (
        parse_codings(_members(TITLES), {"U35537": 2}).filter(pl.col("kpi_id") == "U35537").row(0, named=True)
    )
    assert (parsed["top_code"], parsed["positive_min_code"], parsed["positive_basis"]) == (3, 2, "configured")


def test_real_oj_groups_parse() -> None:
    groups = ("GKPI251", "GKPI119", "GKPI122", "GKPI128", "GKPI202", "GKPI297", "GKPI255", "GKPI89")
    rows = [
        (g["id"], g["title"], m["member_id"], m["member_title"])
        for g in fixture_records("kpi_groups")
        if g["id"] in groups
        for m in g["members"]
    ]
    members = pl.DataFrame(rows, schema=["kpi_group_id", "oj_area", "kpi_id", "member_title"], orient="row")
    statuses = dict(parse_codings(members).group_by("coding_status").len().iter_rows())
    assert statuses == {"parsed": 290, "no coding": 77, "year-dependent": 2}
