"""'Did you mean' for unknown region names, against the real municipality list (shared fixtures)."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.files.regions import resolve_mixed, resolve_names
from transforms.files.suggest import closest_names, did_you_mean, fold

KOMMUN = ("kommun",)


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Vallentna", ["Vallentuna"]),
        ("Atvidaberg", ["Åtvidaberg"]),
        ("Upplands Vasby", ["Upplands Väsby"]),
        ("upplands-väsby", ["Upplands Väsby"]),
        ("ÅTVIDABERG", ["Åtvidaberg"]),
        ("Kungsbaka", ["Kungsbacka"]),
        ("Umea kommun", ["Umeå"]),
        ("Malmo stad", ["Malmö"]),
        ("Hbo", ["Habo", "Håbo"]),  # two kommuner, one letter apart: both are offered
        ("Atlantis", []),
        ("Sverige", []),
        ("Botkyrka stadsdel", []),
    ],
)
def test_closest_kommun_names(reference: pl.DataFrame, written: str, meant: list[str]) -> None:
    assert sorted(closest_names([written], reference, KOMMUN)[written]) == sorted(meant)


def test_fold_ignores_case_diacritics_dashes_and_spacing() -> None:
    assert fold("  Upplands-Väsby ") == fold("upplands  vasby") == "upplands vasby"


def test_did_you_mean_wording() -> None:
    assert did_you_mean([]) == ""
    assert did_you_mean(["Vallentuna"]) == " (did you mean 'Vallentuna'?)"
    assert did_you_mean(["Habo", "Håbo", "Hjo"]) == " (did you mean 'Habo', 'Håbo' or 'Hjo'?)"


def test_unknown_kommun_names_get_a_suggestion_only_when_one_is_close(reference: pl.DataFrame) -> None:
    frame = pl.DataFrame({"k": ["Vallentna", "0561", "Atvidaberg", "Atlantis", "0115 Vallentuna", None]})
    out = resolve_mixed(frame, "k", "kommun", reference, "kommun")
    assert out["municipality_id"].to_list() == [None, "0561", None, None, "0115", None]
    assert out["_region_error"].to_list()[:4] == [
        "column 'kommun': unknown kommun 'Vallentna' (did you mean 'Vallentuna'?)",
        None,
        "column 'kommun': unknown kommun 'Atvidaberg' (did you mean 'Åtvidaberg'?)",
        "column 'kommun': unknown kommun 'Atlantis'",
    ]


def test_region_columns_suggest_län_too(reference: pl.DataFrame) -> None:
    out = resolve_names(pl.DataFrame({"r": ["Stockholms lan", "Atlantis"]}), "r", "Region", reference)
    assert out["_region_error"].to_list() == [
        "column 'Region': unknown region name 'Stockholms lan' (did you mean 'Stockholms län'?)",
        "column 'Region': unknown region name 'Atlantis'",
    ]
