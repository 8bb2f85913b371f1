"""Network template rows to core.network_measure (tiny synthetic files; the numbers are made up)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.files import read_delivery
from transforms.files.network_owner import NetworkNotNamed
from transforms.files.networkfiles import network_from_template

# (network_id, title, member_id): "norr" lists the kommuner of these files, "vallen" only one of them
NETWORKS = pl.DataFrame(
    [
        ("norr", "Norra nätverket", "0114"),
        ("norr", "Norra nätverket", "0115"),
        ("norr", "Norra nätverket", "0117"),
        ("vallen", "Vallentunanätverket", "0117"),
        ("vallen", "Vallentunanätverket", "0160"),
    ],
    schema=["network_id", "title", "member_id"],
    orient="row",
)


def _load(tmp_path: Path, text: str, reference: pl.DataFrame, networks: pl.DataFrame = NETWORKS):
    path = tmp_path / "natverk.csv"
    path.write_text(text, encoding="utf-8")
    table = read_delivery(path).table
    return network_from_template(
        table.to_frame(), table.labels(), reference, path.name, table.notes, networks
    )


def test_rows_in_swedish_with_codes_names_and_markers(tmp_path: Path, reference: pl.DataFrame) -> None:
    text = (
        "Nätverk;Kommun;Mått;Måttnamn;Period;Värde;Enhet;Riktning;Kommentar\n"
        "Fyra;0114;BT1;Brukartid;2024;12,5;%;högre;\n"
        "Fyra;Vallentuna;BT1;Brukartid;2024-05;7;%;Higher;prel.\n"
        "Fyra;0117 Österåker;BT1;Brukartid;Mars 2024;X;%;;\n"
        "Fyra;114;BT2;;2024M02;;;lägre;\n"
    )
    result = _load(tmp_path, text, reference)
    assert result.quarantine.height == 0
    rows = result.valid.select(
        "municipality_id", "measure_id", "period", "value", "status", "direction"
    ).rows()
    assert rows == [
        ("0114", "BT1", "2024", 12.5, "ok", "higher"),
        ("0115", "BT1", "2024-05", 7.0, "ok", "higher"),
        ("0117", "BT1", "2024-03", None, "suppressed", None),
        ("0114", "BT2", "2024-02", None, "missing", "lower"),
    ]
    assert result.valid["network"].to_list() == ["Fyra"] * 4
    assert result.valid["note"].to_list() == [None, "prel.", None, None]
    assert result.valid["month"].to_list() == [None, 5, 3, 2]


def test_year_and_month_columns_in_english(tmp_path: Path, reference: pl.DataFrame) -> None:
    text = "Municipality,Measure,Year,Month,Value\nVallentuna,M1,2023,3,1.5\nVallentuna,M1,2023,,2\n"
    result = _load(tmp_path, text, reference)
    assert result.valid.select("period", "value").rows() == [("2023-03", 1.5), ("2023", 2.0)]


def test_bad_cells_name_file_row_and_column(tmp_path: Path, reference: pl.DataFrame) -> None:
    text = (
        "Kommun;Mått;Period;Värde;Riktning\n"
        "Atlantis;BT1;2024;1;\n"
        "0114;;2024;1;\n"
        "0114;BT1;24;1;\n"
        "0114;BT1;2024;abc;\n"
        "0114;BT1;2023;1;sidledes\n"
        "0115;BT1;2024;1;\n"
        "0115;BT1;2024;2;\n"
        "0117;BT1;2024;3;\n"
    )
    result = _load(tmp_path, text, reference)
    assert result.rows_in == 8 and result.valid["municipality_id"].to_list() == ["0117"]
    reasons = result.quarantine["failed_check"].to_list()
    assert reasons == [
        "natverk.csv, row 2: column 'Kommun': unknown kommun 'Atlantis'",
        "natverk.csv, row 3: column 'Mått': empty measure id",
        "natverk.csv, row 4: column 'Period': not a period YYYY or YYYY-MM (got '24')",
        "natverk.csv, row 5: column 'Värde': not a number or status marker (got 'abc')",
        "natverk.csv, row 6: column 'Riktning': expected higher/lower/neutral (högre/lägre) (got 'sidledes')",
        "natverk.csv, row 7: duplicate natural key (the same 'Kommun', 'Mått' and 'Period' as row 8, "
        "with other content)",
        "natverk.csv, row 8: duplicate natural key (the same 'Kommun', 'Mått' and 'Period' as row 7, "
        "with other content)",
    ]


def test_a_file_without_network_gets_the_only_network_listing_its_kommuner(
    tmp_path: Path, reference: pl.DataFrame
) -> None:
    text = "Kommun;Mått;Period;Värde\n0114;BT1;2024;1\n0115;BT1;2024;2\n"
    result = _load(tmp_path, text, reference)
    assert result.valid["network"].to_list() == ["norr", "norr"]
    assert result.notes[0] == (
        "network 'norr' assumed: the file names no network (no or empty 'nätverk' column), and it is "
        "the only network in networks.yaml listing all 2 kommuner of the file"
    )


def test_a_network_named_by_title_or_id_in_any_case_is_stored_by_id(
    tmp_path: Path, reference: pl.DataFrame
) -> None:
    text = (
        "Nätverk;Kommun;Mått;Period;Värde\n"
        "norra NÄTVERKET;0114;BT1;2024;1\nVALLEN;0117;BT1;2024;2\n;0117;BT1;2023;3\n"
    )
    result = _load(tmp_path, text, reference)
    assert result.valid.select("network", "municipality_id").rows() == [("norr", "0114"), ("vallen", "0117")]
    assert result.quarantine["failed_check"].to_list() == [
        "natverk.csv, row 4: column 'Nätverk': empty, and the file names several networks (norr, vallen)"
    ]


def test_no_network_and_no_single_candidate_refuses_the_file(tmp_path: Path, reference: pl.DataFrame) -> None:
    text = "Kommun;Mått;Period;Värde\n0117;BT1;2024;1\n0117;BT1;2023;2\n"
    with pytest.raises(
        NetworkNotNamed, match=r"2 networks \(norr, vallen\) in networks.yaml list all its 1 "
    ):
        _load(tmp_path, text, reference)
    with pytest.raises(NetworkNotNamed, match=r"and no network in networks.yaml lists all its 1 kommuner"):
        _load(tmp_path, text, reference, NETWORKS.head(0))


def test_a_file_whose_kommuner_are_all_unknown_quarantines_its_rows(
    tmp_path: Path, reference: pl.DataFrame
) -> None:
    result = _load(tmp_path, "Kommun;Mått;Period;Värde\nAtlantis;BT1;2024;1\n", reference)
    assert result.valid.height == 0
    assert result.quarantine["failed_check"].to_list() == [
        "natverk.csv, row 2: column 'Kommun': unknown kommun 'Atlantis'"
    ]
