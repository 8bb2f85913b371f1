"""SCB population files to core.population frames: exact values, repaired codes, quarantine reasons."""

from __future__ import annotations

import polars as pl

from sources.files import read_delivery
from sources.fixtures import fixtures_dir
from tests.transforms.files.conftest import parsed
from transforms.files.jsonstat import decode_jsonstat2
from transforms.files.population import (
    csv_is_population,
    is_population,
    population_from_jsonstat,
    population_from_scb_csv,
)


def _csv(name: str, reference: pl.DataFrame):
    table = parsed(name).table
    assert table is not None
    return population_from_scb_csv(table.to_frame(), table.header, reference, name.rsplit("/", 1)[-1])


def test_monthly_lan_cube(reference: pl.DataFrame) -> None:
    ds = decode_jsonstat2(parsed("scb/pxweb_v2/TAB6471_data.json").document)
    assert is_population(ds)
    result = population_from_jsonstat(ds, reference, "TAB6471_data.json")
    assert (result.rows_in, result.valid.height, result.quarantine.height) == (2772, 2772, 0)
    row = result.valid.filter(
        (pl.col("municipality_id") == "0001") & (pl.col("period") == "2026-01") & (pl.col("age") == "0-9")
    ).sort("sex")
    assert row.select("sex", "population").rows() == [("K", 119906), ("M", 125373), ("T", 245284)]
    assert set(result.valid["source_table"]) == {"TAB6471"} and set(result.valid["contents_code"]) == {
        "000007SF"
    }
    assert set(result.valid["month"]) == {1, 2, 3, 4} and set(result.valid["year"]) == {2026}
    assert result.valid["municipality_id"].n_unique() == 21


def test_befolkning_latin1_export(reference: pl.DataFrame) -> None:
    result = _csv("scb/web_export/befolkning.csv", reference)
    assert (result.rows_in, result.valid.height, result.quarantine.height) == (290, 290, 0)
    got = dict(result.valid.select("municipality_id", "population").rows())
    assert (got["0114"], got["0117"], got["2584"]) == (44605, 44130, 23116)
    assert set(result.valid["period"]) == {"2017"} and set(result.valid["sex"]) == {"T"}
    assert set(result.valid["age"]) == {"tot"} and set(result.valid["status"]) == {"ok"}


def test_lost_leading_zeros_are_repaired_after_checking_names(reference: pl.DataFrame) -> None:
    result = _csv("scb/web_export/population2018.csv", reference)
    assert (result.rows_in, result.valid.height, result.quarantine.height) == (290, 290, 0)
    assert result.notes == ["repaired 90 region codes that had lost a leading zero"]
    row = result.valid.filter(pl.col("municipality_id") == "0114").row(0, named=True)
    assert (row["region_code"], row["population"], row["period"]) == ("114", 45543, "2018")
    assert dict(result.valid.select("municipality_id", "population").rows())["2584"] == 22992


def test_wrong_name_or_unknown_code_is_quarantined_not_joined(tmp_path, reference: pl.DataFrame) -> None:
    # synthetic: three real rows of population2018.csv, one with its name swapped, one with a made-up code
    lines = (fixtures_dir() / "scb/web_export/population2018.csv").read_text("utf-8-sig").splitlines()
    rows = [lines[0], lines[1], lines[2].replace("Vallentuna", "Solna"), "999;Nowhere;1", lines[3]]
    path = tmp_path / "population2018.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = read_delivery(path).table
    result = population_from_scb_csv(table.to_frame(), table.header, reference, path.name)
    assert result.valid["municipality_id"].to_list() == ["0114", "0117"]
    reasons = result.quarantine["failed_check"].to_list()
    assert reasons[0].startswith(
        "population2018.csv, row 3: column 'municipality_code': code '115' lost a leading zero but '0115' is "
        "Vallentuna, not 'Solna'"
    )
    assert reasons[1].startswith(
        "population2018.csv, row 4: column 'municipality_code': code '999' lost a leading"
    )
    assert result.rows_in == result.valid.height + result.quarantine.height == 4


def test_bad_value_and_duplicate_region(tmp_path, reference: pl.DataFrame) -> None:
    # synthetic: real rows of befolkning.csv with one value mangled and one row repeated with another value
    lines = (fixtures_dir() / "scb/web_export/befolkning.csv").read_bytes().decode("latin-1").splitlines()
    rows = [
        lines[0],
        lines[1].replace("44605", '"44 605,5"'),
        lines[2],
        lines[3],
        lines[3].replace("44130", "1"),
    ]
    path = tmp_path / "befolkning.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("latin-1"))
    table = read_delivery(path).table
    result = population_from_scb_csv(table.to_frame(), table.header, reference, path.name)
    assert result.valid["municipality_id"].to_list() == ["0115"]
    reasons = dict(zip(result.quarantine["natural_key"], result.quarantine["failed_check"], strict=True))
    assert "befolkning.csv, row 2: column '2017': 44605.5 is not a whole number" in reasons.values()
    assert [r for r in reasons.values() if "duplicate natural key" in r]
    assert result.quarantine.height == 3


def test_population_hint() -> None:
    fx = fixtures_dir() / "scb/web_export"
    assert csv_is_population(fx / "befolkning.csv", ["region", "2017"], None)
    assert csv_is_population(fx / "x.csv", ["municipality_code", "pop2018"], None)
    assert csv_is_population(fx / "x.csv", ["region", "2017"], "Folkmängd efter region och år")
    assert not csv_is_population(fx / "x.csv", ["region", "2017"], None)
