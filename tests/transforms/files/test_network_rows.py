"""Duplicate rows and rows no network compares, in a network file (real kommun codes; the measure
values are made up, as a network's own figures would be)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.files import read_delivery
from transforms.files.network_owner import uncompared
from transforms.files.networkfiles import network_from_template
from transforms.files.result import FileFrames

# skl-ifo lists three kommuner of Östergötland and Kalmar län; 0180 Stockholm and 1280 Malmö are in none
NETWORKS = pl.DataFrame(
    [
        ("skl-ifo", "SKL IFO", "0561"),
        ("skl-ifo", "SKL IFO", "0860"),
        ("skl-ifo", "SKL IFO", "0821"),
        ("annat", "Ett annat nätverk", "0180"),
    ],
    schema=["network_id", "title", "member_id"],
    orient="row",
)
HEADER = "nätverk;kommun;mått;period;värde\n"


def _load(tmp_path: Path, body: str, reference: pl.DataFrame) -> FileFrames:
    path = tmp_path / "natverk.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    table = read_delivery(path).table
    assert table is not None
    return network_from_template(
        table.to_frame(), table.labels(), reference, path.name, table.notes, NETWORKS
    )


def test_an_exact_duplicate_loads_once_and_conflicts_are_all_quarantined(
    tmp_path: Path, reference: pl.DataFrame
) -> None:
    body = (
        "skl-ifo;0561;VNB1;2023;12\n"  # row 2
        "skl-ifo;0561;VNB1;2023;12,0\n"  # row 3: the same value written otherwise: an exact duplicate
        "skl-ifo;0860;VNB1;2023;10\n"  # rows 4 and 5: one key, two values
        "skl-ifo;0860;VNB1;2023;11\n"
        "skl-ifo;0821;VNB1;2023;7\n"  # rows 6 to 8: a copy of row 6 and a conflicting row 8
        "skl-ifo;0821;VNB1;2023;7\n"
        "skl-ifo;0821;VNB1;2023;8\n"
        "skl-ifo;0821;VNB1;2022;8\n"  # row 9: another period, fine
    )
    result = _load(tmp_path, body, reference)
    assert result.valid.select("municipality_id", "period", "value").rows() == [
        ("0561", "2023", 12.0),
        ("0821", "2022", 8.0),
    ]
    assert result.rows_in == result.valid.height + result.quarantine.height == 8
    key = "(the same 'kommun', 'mått' and 'period' as row"
    assert result.quarantine["failed_check"].to_list() == [
        "natverk.csv, row 3: exact duplicate of row 2",
        f"natverk.csv, row 4: duplicate natural key {key} 5, with other content)",
        f"natverk.csv, row 5: duplicate natural key {key} 4, with other content)",
        f"natverk.csv, row 6: duplicate natural key {key} 8, with other content)",
        "natverk.csv, row 7: exact duplicate of row 6",
        f"natverk.csv, row 8: duplicate natural key {key} 6, with other content)",
    ]
    assert result.warnings == [
        "natverk.csv: 1 exact duplicate row (row 3 repeats row 2): loaded once, the copy counted as "
        "quarantined",
        "natverk.csv: rows 4, 5, 6, 7, 8 give other content for the same 'kommun', 'mått' and 'period': "
        "all 5 are quarantined, none loads",
    ]


def test_a_file_without_duplicates_has_no_duplicate_lines(tmp_path: Path, reference: pl.DataFrame) -> None:
    result = _load(tmp_path, "skl-ifo;0561;VNB1;2023;12\nskl-ifo;0561;VNB1;2022;12\n", reference)
    assert result.quarantine.height == 0 and result.warnings == []


def test_kommuner_their_network_does_not_list_load_and_are_reported(
    tmp_path: Path, reference: pl.DataFrame
) -> None:
    body = (
        "skl-ifo;0561;VNB1;2023;12\n"
        "skl-ifo;0180;VNB1;2023;9\n"
        "skl-ifo;1280;VNB1;2023;8\n"
        "skl-ifo;Stockholm;VNB1;2022;9\n"
        "skl-ifo;1280 Malmö;VNB1;2022;8\n"
        "annat;0180;VNB1;2023;5\n"  # a member of 'annat': compared there
        "okänt;0561;VNB1;2023;1\n"
    )
    result = _load(tmp_path, body, reference)
    assert result.valid.height == 7 and result.quarantine.height == 0
    assert result.warnings == [
        "natverk.csv: network 'okänt' is not in networks.yaml: its 1 row loads but is compared in no network",
        "natverk.csv: 2 kommuner (0180 Stockholm, 1280 Malmö) are in no network of networks.yaml for "
        "'skl-ifo': their 4 rows load but are compared in no network",
    ]


def test_one_kommun_outside_its_network_is_worded_in_the_singular(reference: pl.DataFrame) -> None:
    valid = pl.DataFrame({"network": ["skl-ifo", "skl-ifo"], "municipality_id": ["0561", "1280"]})
    assert uncompared(valid, NETWORKS, reference, "n.csv") == [
        "n.csv: 1 kommun (1280 Malmö) is in no network of networks.yaml for 'skl-ifo': its 1 row loads "
        "but is compared in no network"
    ]
    assert uncompared(valid.head(1), NETWORKS, reference, "n.csv") == []
