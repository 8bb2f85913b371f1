"""municipality_dimension on the real v3 municipality list and v3 / v2 municipality groups."""

from __future__ import annotations

import polars as pl
import pytest

from schemas.kolada import Municipality
from sources.fixtures import fixtures_dir
from tests.kolada_pages import fixture_records, metadata_pages, pages_from_records
from transforms.kolada.municipality import KOMMUNGRUPP_GROUP_IDS, municipality_dimension

CORE_MUNICIPALITY = [
    "municipality_id",
    "title",
    "type",
    "kind",
    "county_id",
    "kommungrupp_id",
    "kommungrupp_title",
]
# member counts per SKR kommungrupp as documented in kolada_v3.md §4.3
KOMMUNGRUPP_SIZES = {
    "G92786": 24,
    "G92787": 3,
    "G92788": 27,
    "G92789": 51,
    "G92790": 23,
    "G92791": 35,
    "G92792": 63,
    "G92793": 43,
    "G92794": 21,
}


@pytest.fixture(scope="module")
def dim() -> pl.DataFrame:
    groups = metadata_pages("municipality_groups")
    valid, quarantine = municipality_dimension(metadata_pages("municipality"), groups)
    assert quarantine.height == 0
    return valid


def test_kinds_and_columns(dim: pl.DataFrame) -> None:
    assert dim.columns == CORE_MUNICIPALITY
    Municipality.validate(dim)
    kinds = dict(dim.group_by("kind").len().iter_rows())
    assert kinds == {"kommun": 290, "region": 21, "riket": 1, "group": 3630}
    assert dim.filter(pl.col("kind") == "riket")["municipality_id"].to_list() == ["0000"]
    assert dim.filter(pl.col("kind") == "group")["type"].null_count() == 3630
    assert set(dim.filter(pl.col("kind") == "region")["type"]) == {"L"}


def test_county_ids(dim: pl.DataFrame) -> None:
    official = pl.read_csv(fixtures_dir() / "municipalities" / "municipality_county.csv", infer_schema=False)
    kommuner = dim.filter(pl.col("kind") == "kommun").join(
        official, left_on="municipality_id", right_on="municipality_code", how="full"
    )
    assert kommuner.height == 290
    assert (kommuner["county_id"] == kommuner["county_code"]).all()
    regions = dict(dim.filter(pl.col("kind") == "region").select("municipality_id", "county_id").iter_rows())
    assert regions["0001"] == "01" and regions["0014"] == "14" and regions["0025"] == "25"
    assert dim.filter(pl.col("kind").is_in(["riket", "group"]))["county_id"].null_count() == 3631


@pytest.mark.parametrize("groups", ["municipality_groups", "municipality_groups_v2"])
def test_every_kommun_has_exactly_one_kommungrupp(groups: str) -> None:
    valid, quarantine = municipality_dimension(metadata_pages("municipality"), metadata_pages(groups))
    assert quarantine.height == 0
    kommuner = valid.filter(pl.col("kind") == "kommun")
    assert kommuner.height == 290
    assert kommuner["kommungrupp_id"].null_count() == 0
    assert dict(kommuner.group_by("kommungrupp_id").len().iter_rows()) == KOMMUNGRUPP_SIZES
    assert valid.filter(pl.col("kind") != "kommun")["kommungrupp_id"].null_count() == valid.height - 290
    titles = dict(kommuner.select("municipality_id", "kommungrupp_title").iter_rows())
    assert titles["0180"] == "Storstäder"
    assert not any(t.endswith("(ovägt medel)") for t in titles.values())
    assert set(kommuner["kommungrupp_id"]) == set(KOMMUNGRUPP_GROUP_IDS)


def test_kommun_in_two_kommungrupper_is_quarantined() -> None:
    groups = fixture_records("municipality_groups")
    storstad = next(g for g in groups if g["id"] == "G92787")
    arboga = {"member_id": "1984", "member_title": "Arboga"}
    groups = [g | {"members": [*g["members"], arboga]} if g is storstad else g for g in groups]
    group_pages = pages_from_records(groups, "municipality_groups")
    valid, quarantine = municipality_dimension(metadata_pages("municipality"), group_pages)
    assert quarantine["natural_key"].to_list() == ["1984", "1984"]
    assert set(quarantine["failed_check"]) == {"duplicate natural key"}
    assert "1984" not in valid["municipality_id"].to_list()
    assert valid.height + quarantine.height == 312 + 3630 + 1


def test_bad_municipality_rows() -> None:
    units = fixture_records("municipality")
    bad = [
        units[30] | {"id": "180"},
        units[31] | {"type": "X"},
        units[32] | {"title": "GÃ¶teborg"},
        units[33] | {"title": "Other title"},
    ]
    valid, quarantine = municipality_dimension(
        pages_from_records(units + bad, "municipality"), pages_from_records([], "municipality_groups")
    )
    assert valid.height + quarantine.height == len(units) + len(bad)
    reasons = dict(zip(quarantine["natural_key"], quarantine["failed_check"], strict=False))
    assert reasons["180"].startswith("municipality_id: str_matches")
    assert reasons[units[31]["id"]].startswith("duplicate natural key; type: isin(('K', 'L')) (got X)")
    assert reasons[units[32]["id"]] == "duplicate natural key; title: no_mojibake (got GÃ¶teborg)"
    assert quarantine.filter(pl.col("natural_key") == units[33]["id"]).height == 2
    # without group pages there is no kommungrupp and no group row, and nothing else is lost
    assert valid["kommungrupp_id"].null_count() == valid.height
    assert valid.height == 312 - 3
