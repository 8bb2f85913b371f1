"""Answer codings read from KPI titles: real titles from the 6,099-KPI v3 catalogue and the 2024 groups."""

from __future__ import annotations

import json

import polars as pl
import pytest

from pipeline.reference.config import ReferenceFiles, read_oj_areas
from sources.fixtures import fixtures_dir
from tests.kolada_pages import fixture_records
from transforms.comparison.codings import CODING_PATTERN, parse_codings, read_segments

SCALES = read_oj_areas(ReferenceFiles.from_env().oj_areas).scales
TITLES = {
    "U31466": "Socialjour tillgänglig utanför kontorstid, (Ja=1, Nej=0) (-2021)",
    "U28464": "Sammanställt resultaten av biståndsbeslutade insatser till enskilda på gruppnivå utifrån kön "
    "inom LSS, (Ja=2, Nej, men genomfört uppföljning=1, Nej=0).",
    "U35537": "Tid till första personliga besök (nybesök) inom missbruks- och beroendevården, "
    "(Inom 3 dagar=3, 4-7 dagar=2, 8-14 dagar=1, mer än 15 dagar=0).",
    "U90001": "Synthetic, (Ja, för alla=2, Ja, men inte för alla=1, Nej=0)",
    "U90002": "Synthetic, (-2017 Ja=1, Nej=0. 2018- Ja=2, Delvis=1, Nej=0)",
    # real v3 title (2026 catalogue): Nej has the top code, Ja is still the positive answer
    "U30426": "Uppsökande verksamhet för akut hemlösa, (Ja=1, Nej=2)",
    "U21468": "Brukarbedömning hemtjänst äldreomsorg - helhetssyn, andel (%)",
}


def _members(titles: dict[str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kpi_group_id": "GKPI1",
            "oj_area": "Test",
            "kpi_id": list(titles),
            "member_title": list(titles.values()),
            "kpi_title": list(titles.values()),
        },
        schema={k: pl.String for k in ("kpi_group_id", "oj_area", "kpi_id", "member_title", "kpi_title")},
    )


def _catalogue() -> list[dict]:
    path = fixtures_dir() / "kolada" / "rkolada_sysdata" / "rkolada_v3_2026-03-23_kpi.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_codings_statuses_best_labels_and_codes() -> None:
    factors, answers = parse_codings(_members(TITLES), SCALES)
    rows = {(r["kpi_id"], r["year_from"]): r for r in factors.to_dicts()}
    assert rows[("U31466", None)]["coding"] == "Ja=1, Nej=0"
    got = [(k, y, r["coding_status"], r["top_code"], r["best_label"]) for (k, y), r in rows.items()]
    assert sorted(got, key=str) == sorted(
        [
            ("U31466", None, "parsed", 1, "Ja"),
            ("U28464", None, "parsed", 2, "Ja"),
            ("U35537", None, "parsed", 3, "Inom 3 dagar"),
            ("U90001", None, "parsed", 2, "Ja, för alla"),
            # the coding changed in 2018: one row per year range
            ("U90002", None, "parsed", 1, "Ja"),
            ("U90002", 2018, "parsed", 2, "Ja"),
            ("U30426", None, "parsed", 2, "Ja"),
            ("U21468", None, "no coding", None, None),
        ],
        key=str,
    )
    assert rows[("U90002", None)]["year_to"] == 2017 and rows[("U90002", 2018)]["year_to"] is None
    assert (
        rows[("U35537", None)]["positive_min_code"] == 3
        and rows[("U35537", None)]["positive_basis"] == "best label"
    )
    positive = set(answers.filter("is_positive").select("kpi_id", "year_from", "code").iter_rows())
    # (Ja=1, Nej=2): Ja (1) counts, Nej (2), the largest number, does not
    assert ("U30426", None, 1) in positive and ("U30426", None, 2) not in positive
    # Ja, men inte för alla and Nej, men genomfört uppföljning rank below the best answer
    assert ("U90001", None, 1) not in positive and ("U28464", None, 1) not in positive
    assert {("U90002", None, 1), ("U90002", 2018, 2)} <= positive and ("U90002", 2018, 1) not in positive


def test_positive_threshold_can_be_configured() -> None:
    factors, answers = parse_codings(_members(TITLES), SCALES, {"U35537": 2})
    parsed = factors.filter(pl.col("kpi_id") == "U35537").row(0, named=True)
    assert (parsed["top_code"], parsed["positive_min_code"], parsed["positive_basis"]) == (3, 2, "configured")
    codes = answers.filter(pl.col("kpi_id") == "U35537", "is_positive")["code"].to_list()
    assert sorted(codes) == [2, 3]


def test_unreadable_codings_are_listed_with_the_reason() -> None:
    titles: dict[str, str | None] = {
        # real 2024 member title: a label with a stray "="
        "U30437": "Aktuell överenskommelse på övergripande nivå mellan hemlöshet och bostadsföretag/"
        "hyresvärdar, (Ja=2, Ja=, med vissa=1, Nej=0)",
        # real v3 title: political majority, no best answer
        "N05829": "Politisk majoritet, (vänster=1, blocköverskridande=2, borgerligt styre=3, Övrigt Styre=4, "
        "Borgerlig=5)",
        "U70001": "Kvalitetsindikatorer - Astma och KOL, index (max = 100)",
        "U90009": None,
    }
    factors, answers = parse_codings(_members(titles), SCALES)
    reasons = dict(factors.select("kpi_id", "reason").iter_rows())
    statuses = dict(factors.select("kpi_id", "coding_status").iter_rows())
    assert statuses == {
        "U30437": "unreadable",
        "N05829": "unreadable",
        "U70001": "unreadable",
        "U90009": "not in catalogue",
    }
    assert "cannot be read" in reasons["U30437"] and "no known scale" in reasons["N05829"]
    assert "fewer than two answers" in reasons["U70001"] and "catalogue" in reasons["U90009"]
    assert answers.height == 0


def test_every_coding_in_the_real_catalogue_is_parsed_or_listed() -> None:
    catalogue = _catalogue()
    assert len(catalogue) == 6099
    coded = {k["id"]: k["title"] for k in catalogue if CODING_PATTERN.search(k["title"])}
    factors, _ = parse_codings(_members(coded), SCALES)
    assert set(factors["kpi_id"]) == set(coded)
    statuses = factors.group_by("coding_status").len()
    assert set(statuses["coding_status"]) == {"parsed", "unreadable"}
    unreadable = factors.filter(pl.col("coding_status") == "unreadable")
    assert unreadable["reason"].null_count() == 0
    # the index maxima "(max = 100)", two political majority codings and a 1-8 risk scale
    assert sorted(unreadable["kpi_id"]) == sorted(
        ["N05829", "N65828", "U31900"] + [k for k, t in coded.items() if "max = 100" in t]
    )
    parsed = factors.filter(pl.col("coding_status") == "parsed")
    assert parsed.height == 120 and parsed["best_label"].null_count() == 0
    best = dict(parsed.select("kpi_id", "best_label").iter_rows())
    assert (best["U30426"], best["U30427"], best["N30466"]) == ("Ja", "Ja", "Ja")  # (Ja=1, Nej=2)
    assert (best["U21340"], best["U23340"], best["N00488"]) == ("Breddinfört", "alla", "Färre än")


@pytest.mark.parametrize(
    "title",
    [
        "Revisionsberättelse utan anmärkning, (Ja=1, Nej=0)",
        "Brukarbedömning hemtjänst äldreomsorg, färre än 30 svarande ( Ja=1, Nej=0)",
        "Erbjuder kommunen någon förskola med öppet före klockan 06.30 (ej nattis), (Ja=1/Nej=0)",
        "Inget annat ansvarsområde ingår i förvaltningen (Ja = 1, Nej = 0) (-2023)",
    ],
)
def test_real_spacing_and_separators_read_the_same(title: str) -> None:
    [segment] = read_segments(title)
    assert segment.pairs == (("Ja", 1), ("Nej", 0)) and segment.problem is None


def test_real_oj_groups_parse() -> None:
    groups = ("GKPI251", "GKPI119", "GKPI122", "GKPI128", "GKPI202", "GKPI297", "GKPI255", "GKPI89")
    rows = [
        (g["id"], g["title"], m["member_id"], m["member_title"], m["member_title"])
        for g in fixture_records("kpi_groups")
        if g["id"] in groups
        for m in g["members"]
    ]
    schema = ["kpi_group_id", "oj_area", "kpi_id", "member_title", "kpi_title"]
    members = pl.DataFrame(rows, schema=schema, orient="row")
    factors, _ = parse_codings(members, SCALES)
    statuses = dict(factors.group_by("coding_status").len().iter_rows())
    # the 2024 member titles: 290 codings plus U31490 and U28462, which changed coding in 2018 (two rows
    # each); only the malformed "Ja=, med vissa" (U30437, U30438, in two groups each) cannot be read
    assert statuses == {"parsed": 290, "no coding": 77, "unreadable": 4}
    changed = factors.filter(pl.col("kpi_id") == "U31490").select("year_from", "year_to", "coding").rows()
    assert changed == [(None, 2017, "Ja=1, Nej=0"), (2018, None, "2=Ja, 1=Delvis och 0=Nej")]
