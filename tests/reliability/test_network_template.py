"""The network template as docs/network_template.md documents it, through `jamfor load files` and the inbox.

Kommun codes and names are real (the shared fixtures' municipality list); the measure values are made
up, as a network's own figures would be. Each load path is run twice: the second load is skipped and
changes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest

from flows.cli import main
from pipeline.file_report import REASONS_SHOWN
from pipeline.files import load_inbox
from settings import runlog
from settings.config import Paths

from .support import hashes, query

NETWORKS = 'networks:\n  - {name: skl-ifo, title: SKL IFO, members: ["0561", "0860", "0821"]}\n'
HEADER = ["nätverk", "kommun", "mått", "period", "värde"]
ROWS = [["skl-ifo", "0561", "VNB1", "2023", "12,5"], ["skl-ifo", "0860", "VNB1", "2023", "10"]]
LOADED = [("0561", 12.5), ("0860", 10.0)]
ALL_SCHEMAS = ("core", "mart", "meta")


@pytest.fixture
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    networks = tmp_path / "networks.yaml"
    networks.write_text(NETWORKS, encoding="utf-8")
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(networks))
    return tmp_path / "data" / "jamfor.duckdb"


def _load(wh: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["load", "files", str(path), "--warehouse", str(wh)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _csv(tmp_path: Path, lines: list[str], name: str = "natverk.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "\r\n".join([*lines, ""]).encode("utf-8"))
    return path


def _rows(delimiter: str, rows: list[list[str]]) -> list[str]:
    return [delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in (HEADER, *rows)]


def _values(wh: Path) -> list[tuple[str, float]]:
    sql = "SELECT municipality_id, value FROM core.network_measure WHERE valid_to IS NULL ORDER BY 1, period"
    return [tuple(r) for r in query(wh, sql).rows()]


def _quarantine(wh: Path) -> list[str]:
    return query(wh, "SELECT failed_check FROM meta.quarantine ORDER BY record->>'file_row'")[
        "failed_check"
    ].to_list()


def _twice_changes_nothing(wh: Path, path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = hashes(wh, ALL_SCHEMAS)
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    assert "0 loaded, 1 skipped as already loaded, 0 failed (nothing written)" in out
    assert hashes(wh, ALL_SCHEMAS) == before


@pytest.mark.parametrize(
    ("delimiter", "bom", "titles"),
    [
        (";", False, ["Nätverkets egna mått 2023"]),
        (",", True, ["Mått; preliminära, ej granskade", ""]),
        (";", True, ["", "SKL IFO", "Levererad 2024-02-01;;;", ""]),
    ],
    ids=["semicolon", "comma+BOM", "blank rows+BOM"],
)
def test_csv_title_rows_load_like_a_plain_file_and_twice_changes_nothing(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], delimiter: str, bom: bool, titles: list[str]
) -> None:
    path = _csv(tmp_path, [*titles, *_rows(delimiter, ROWS)], bom=bom)
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    assert f"loaded   network-csv          2       2        0  {path}" in out
    assert _values(wh) == LOADED
    _twice_changes_nothing(wh, path, capsys)


def test_xlsx_title_rows_load_and_twice_changes_nothing(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Nätverkets egna mått 2023"])
    book.active.append([])
    for row in (HEADER, *ROWS):
        book.active.append(row)
    path = tmp_path / "natverk.xlsx"
    book.save(path)
    assert _load(wh, path, capsys)[0] == 0
    assert _values(wh) == LOADED
    _twice_changes_nothing(wh, path, capsys)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ["Nätverkets mått", "nätverk;kommun;mått;enhet", "skl-ifo;0561;VNB1;%"],
            "natverk.csv: the header lacks the required column(s) 'värde', 'period' (or 'år'); "
            "found 'nätverk', 'kommun', 'mått', 'enhet' (row 2)",
        ),
        (
            [*(f"Titelrad {i}" for i in range(21)), *_rows(";", ROWS)],
            "natverk.csv: unrecognised CSV header ['Titelrad 0']: not a supported export, and no network "
            "template header in the first 20 rows (the template needs the columns 'kommun', 'mått', "
            "'värde', 'period' (or 'år'))",
        ),
    ],
    ids=["missing columns", "header too deep"],
)
def test_a_header_without_the_required_columns_is_one_line_naming_them(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[str], message: str
) -> None:
    path = _csv(tmp_path, lines)
    code, out, err = _load(wh, path, capsys)
    assert code == 1 and out == ""
    failed = "jamfor: load failed: FilesLoadError: 1 of 1 files cannot be loaded, nothing written"
    assert err.strip().splitlines() == [f"{failed}: {tmp_path}/{message}"]
    assert not wh.exists()


def test_an_exact_duplicate_loads_once_conflicting_rows_are_quarantined(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["skl-ifo", "0561", "VNB1", "2023", "12,5"],  # row 2
        ["skl-ifo", "0561", "VNB1", "2023", "12.5"],  # row 3: the same value, an exact duplicate
        ["skl-ifo", "0860", "VNB1", "2023", "10"],  # rows 4 and 5: one key, two values
        ["skl-ifo", "0860", "VNB1", "2023", "11"],
        ["skl-ifo", "0821", "VNB1", "2023", "7"],
    ]
    path = _csv(tmp_path, _rows(";", rows))
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    assert out.splitlines()[1:4] == [
        f"loaded   network-csv          5       2        3  {path}",
        "  natverk.csv: 1 exact duplicate row (row 3 repeats row 2): loaded once, the copy counted as "
        "quarantined",
        "  natverk.csv: rows 4, 5 give other content for the same 'kommun', 'mått' and 'period': all 2 are "
        "quarantined, none loads",
    ]
    assert _values(wh) == [("0561", 12.5), ("0821", 7.0)]
    key = "duplicate natural key (the same 'kommun', 'mått' and 'period' as row"
    assert _quarantine(wh) == [
        "natverk.csv, row 3: exact duplicate of row 2",
        f"natverk.csv, row 4: {key} 5, with other content)",
        f"natverk.csv, row 5: {key} 4, with other content)",
    ]
    ledger = query(wh, "SELECT rows_in, rows_loaded, rows_quarantined FROM meta.loaded_file").rows()
    assert ledger == [(5, 2, 3)]
    _twice_changes_nothing(wh, path, capsys)


def test_an_unknown_kommun_name_suggests_the_closest_real_ones(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["skl-ifo", "0561", "VNB1", "2023", "12"],
        ["skl-ifo", "Atvidaberg", "VNB1", "2022", "11"],
        ["skl-ifo", "hultsfred", "VNB1", "2022", "9"],  # case does not matter: loads
        ["skl-ifo", "Hogsby", "VNB1", "2022", "8"],
        ["skl-ifo", "Atlantis", "VNB1", "2022", "7"],
    ]
    path = _csv(tmp_path, _rows(";", rows))
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    assert f"loaded   network-csv          5       2        3  {path}" in out
    assert _quarantine(wh) == [
        "natverk.csv, row 3: column 'kommun': unknown kommun 'Atvidaberg' (did you mean 'Åtvidaberg'?)",
        "natverk.csv, row 5: column 'kommun': unknown kommun 'Hogsby' (did you mean 'Högsby'?)",
        "natverk.csv, row 6: column 'kommun': unknown kommun 'Atlantis'",
    ]
    _twice_changes_nothing(wh, path, capsys)


def test_the_report_shows_every_note_and_the_quarantine_reasons(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no nätverk column (so a network is assumed) and a column the template ignores: two notes
    lines = [
        "kommun;mått;period;värde;källa",
        "0561;VNB1;2023;12,5;enkät",
        "Vallentna;VNB1;2023;7;enkät",
        "0860;VNB1;2023;10;enkät",
    ]
    path = _csv(tmp_path, lines)
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    reason = "natverk.csv, row 3: column 'kommun': unknown kommun 'Vallentna' (did you mean 'Vallentuna'?)"
    assert out.splitlines()[1:5] == [
        f"loaded   network-csv          3       2        1  {path}",
        "  natverk.csv: network 'skl-ifo' assumed: the file names no network (no or empty 'nätverk' "
        "column), and it is the only network in networks.yaml listing all 2 kommuner of the file",
        "  natverk.csv: ignored columns: källa",
        f"  {reason}",
    ]
    assert out.splitlines()[5].startswith("1 loaded, 0 skipped")  # no "… and N more" below one reason
    assert _quarantine(wh) == [reason]
    (record,) = runlog.tail(Paths.from_env(warehouse=wh).run_log)
    assert record["quarantine_reasons"] == [reason] and "warnings" not in record
    _twice_changes_nothing(wh, path, capsys)
    assert "quarantine_reasons" not in runlog.tail(Paths.from_env(warehouse=wh).run_log)[-1]


def test_the_report_shows_the_first_reasons_and_a_query_for_the_rest(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = REASONS_SHOWN + 3
    # rows 2..bad+1 have unreadable values (synthetic), then one good row
    rows = [["skl-ifo", "0821", "VNB1", str(2000 + i), f"{i}x"] for i in range(bad)]
    path = _csv(tmp_path, _rows(";", [*rows, ["skl-ifo", "0561", "VNB1", "2023", "12"]]))
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    reasons = [
        f"natverk.csv, row {i + 2}: column 'värde': not a number or status marker (got '{i}x')"
        for i in range(bad)
    ]
    lines = out.splitlines()
    assert lines[1] == f"loaded   {'network-csv':<14} {bad + 1:>7} {1:>7} {bad:>8}  {path}"
    assert lines[2 : 2 + REASONS_SHOWN] == [f"  {r}" for r in reasons[:REASONS_SHOWN]]
    more = lines[2 + REASONS_SHOWN]
    run_id = lines[-1].removesuffix(")").rsplit(" ", 1)[-1]
    prefix = f"  … and 3 more; all {bad} with: "
    assert more == (
        f"{prefix}SELECT * FROM meta.quarantine WHERE run_id = '{run_id}' AND starts_with(failed_check, "
        "'natverk.csv, row ') ORDER BY CAST(record->>'file_row' AS INTEGER)"
    )
    # the printed query answers every reason, in row order
    assert query(wh, more.removeprefix(prefix))["failed_check"].to_list() == reasons
    (record,) = runlog.tail(Paths.from_env(warehouse=wh).run_log)
    assert record["quarantine_reasons"] == reasons[:REASONS_SHOWN]
    _twice_changes_nothing(wh, path, capsys)


def test_kommuner_in_no_network_load_and_the_report_and_run_log_say_so(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ["skl-ifo", "0561", "VNB1", "2023", "12"],
        ["skl-ifo", "0860", "VNB1", "2023", "10"],
        ["skl-ifo", "0180", "VNB1", "2023", "9"],
        ["skl-ifo", "Malmö", "VNB1", "2023", "8"],
        ["skl-ifo", "0180", "VNB1", "2022", "9"],
        ["skl-ifo", "1280", "VNB1", "2022", "8"],
    ]
    path = _csv(tmp_path, _rows(";", rows))
    code, out, err = _load(wh, path, capsys)
    assert code == 0, err
    line = (
        "natverk.csv: 2 kommuner (0180 Stockholm, 1280 Malmö) are in no network of networks.yaml for "
        "'skl-ifo': their 4 rows load but are compared in no network"
    )
    assert out.splitlines()[1:3] == [f"loaded   network-csv          6       6        0  {path}", f"  {line}"]
    (record,) = runlog.tail(Paths.from_env(warehouse=wh).run_log)
    assert record["status"] == "completed" and record["warnings"] == [line]
    assert query(wh, "SELECT count(*) FROM core.network_measure").item() == 6
    _twice_changes_nothing(wh, path, capsys)
    assert "warnings" not in runlog.tail(Paths.from_env(warehouse=wh).run_log)[-1]


def test_the_inbox_loads_a_titled_file_once(
    wh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("JAMFOR_INBOX", str(inbox))
    source = _csv(
        tmp_path,
        ["Nätverkets egna mått 2023", *_rows(";", [*ROWS, ["skl-ifo", "0180", "VNB1", "2023", "9"]])],
    )
    shutil.copyfile(source, inbox / source.name)
    report = load_inbox(warehouse=wh)
    assert [(f.status, f.rows_in, f.rows_loaded) for f in report.files] == [("loaded", 3, 3)]
    assert report.files[0].warnings == [
        "natverk.csv: 1 kommun (0180 Stockholm) is in no network of networks.yaml for 'skl-ifo': its 1 row "
        "loads but is compared in no network"
    ]
    before = hashes(wh, ALL_SCHEMAS)
    shutil.copyfile(source, inbox / source.name)
    assert [f.status for f in load_inbox(warehouse=wh).files] == ["skipped"]
    assert hashes(wh, ALL_SCHEMAS) == before
