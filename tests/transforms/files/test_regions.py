"""Region resolution: codes, names, "code name" cells and lost leading zeros (repaired only if safe)."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.files.regions import (
    NoReferenceError,
    build_reference,
    resolve_codes,
    resolve_mixed,
    resolve_names,
)


def test_reference_covers_kommuner_counties_and_riket(reference: pl.DataFrame) -> None:
    kinds = reference.group_by("kind").agg(pl.col("municipality_id").n_unique()).sort("kind").rows()
    assert kinds == [("kommun", 290), ("lan", 21), ("riket", 1)]


def test_no_reference_is_an_error() -> None:
    with pytest.raises(NoReferenceError, match="JAMFOR_MUNICIPALITIES"):
        build_reference(
            pl.DataFrame(schema={"municipality_id": pl.String, "name": pl.String, "kind": pl.String})
        )


def test_codes(reference: pl.DataFrame) -> None:
    # "114" with the right name is repaired; "114" with another kommun's name and "999" are not
    frame = pl.DataFrame(
        {
            "code": ["00", "01", "0114", "114", "114", "999", "abc", "0114"],
            "name": [
                "Riket",
                "Stockholms län",
                "Upplands Väsby",
                "Upplands Väsby",
                "Vallentuna",
                "X",
                "Y",
                "Solna",
            ],
        }
    )
    out = resolve_codes(frame, "code", "kod", reference, "name")
    assert out["municipality_id"].to_list() == ["0000", "0001", "0114", "0114", None, None, None, None]
    assert out["_repaired"].to_list() == [False, False, False, True, False, False, False, False]
    errors = out["_region_error"].to_list()
    assert errors[:4] == [None] * 4
    assert (
        errors[4]
        == "column 'kod': code '114' lost a leading zero but '0114' is Upplands Väsby, not 'Vallentuna'"
    )
    assert errors[5] == "column 'kod': code '999' lost a leading zero and '0999' is no known kommun"
    assert errors[6] == "column 'kod': not a region code (got 'abc')"
    assert errors[7] == "column 'kod': code '0114' is Upplands Väsby, not 'Solna'"


def test_names(reference: pl.DataFrame) -> None:
    frame = pl.DataFrame({"r": ["Riket", "Malung-Sälen", "upplands  väsby", "Stockholms län", "Atlantis"]})
    out = resolve_names(frame, "r", "Region", reference)
    assert out["municipality_id"].to_list() == ["0000", "2023", "0114", "0001", None]
    assert out["_region_error"].to_list()[-1] == "column 'Region': unknown region name 'Atlantis'"


def test_ambiguous_name_is_not_joined() -> None:
    # synthetic reference where one name belongs to two units
    ref = build_reference(
        pl.DataFrame(
            {"municipality_id": ["0114", "0115"], "name": ["Samma", "Samma"], "kind": ["kommun", "kommun"]}
        )
    )
    out = resolve_names(pl.DataFrame({"r": ["Samma"]}), "r", "kommun", ref)
    assert out["municipality_id"].to_list() == [None]
    assert out["_region_error"].to_list() == ["column 'kommun': 'Samma' is ambiguous (0114, 0115)"]


def test_mixed_cells_keep_row_order(reference: pl.DataFrame) -> None:
    frame = pl.DataFrame({"k": ["Vallentuna", "0114 Upplands Väsby", "114", "0115"]})
    out = resolve_mixed(frame, "k", "kommun", reference)
    assert out["municipality_id"].to_list() == ["0115", "0114", "0114", "0115"]
    assert out["k"].to_list() == frame["k"].to_list()
