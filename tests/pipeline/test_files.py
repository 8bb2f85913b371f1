"""`jamfor load files` and the inbox end to end on a temp warehouse, with the real fixture files."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest

from fakes.scb import PxWebReplay, fixture_json, pxweb_server
from flows.cli import main
from pipeline.files import FilesLoadError, fetch_scb, load_files, load_inbox
from sources.fixtures import fixtures_dir

FX = fixtures_dir()
HTML = FX / "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html"
DATA_FILES = {
    "scb/pxweb_v1/response_se.json": ("scb-jsonstat2", 9),
    "scb/pxweb_v2/TAB6471_data.json": ("scb-jsonstat2", 2772),
    "scb/web_export/befolkning.csv": ("scb-csv", 290),
    "scb/web_export/population2018.csv": ("scb-csv", 290),
    "socialstyrelsen/sdb_api/adhd_medication_2006-tbc.json": ("sdb-api-json", 14806),
    "socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv": ("sdb-csv", 228),
    "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html": ("sdb-html", 4656),
}
DATA_CSV = ("scb/web_export/befolkning.csv", "scb/web_export/population2018.csv")


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JAMFOR_MUNICIPALITIES", "JAMFOR_INBOX", "JAMFOR_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    return tmp_path / "w.duckdb"


def sql(warehouse: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql(query).fetchall()
    finally:
        con.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_cli_loads_the_bistand_table_once(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["load", "files", str(HTML), "--warehouse", str(wh), "--data-dir", str(tmp_path)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "loaded   sdb-html          4656    4656        0" in out and "1 loaded, 0 skipped" in out
    statuses = sql(wh, "SELECT status, count(*), count(value) FROM core.register_value GROUP BY 1 ORDER BY 1")
    assert statuses == [("not_reported", 171, 0), ("ok", 4274, 4274), ("suppressed", 211, 0)]
    assert sql(wh, "SELECT rows_in, rows_loaded, rows_quarantined, status FROM meta.load_run") == [
        (4656, 4656, 0, "completed")
    ]
    before = digest(wh)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "skipped  sdb-html" in out and "already loaded" in out and "(nothing written)" in out
    assert digest(wh) == before  # no build, no publish, nothing written


def test_every_fixture_data_file_loads_exactly_and_twice_is_a_no_op(wh: Path) -> None:
    paths = [FX / name for name in DATA_FILES]
    report = load_files(paths, warehouse=wh)
    got = {Path(f.path).relative_to(FX).as_posix(): (f.kind, f.rows_in, f.rows_loaded) for f in report.files}
    assert got == {name: (kind, n, n) for name, (kind, n) in DATA_FILES.items()}
    assert report.summary is not None and report.summary.rows_quarantined == 0
    assert sql(wh, "SELECT count(*) FROM core.population") == [(2772 + 290 + 290,)]
    assert sql(wh, "SELECT count(*) FROM core.register_value") == [(9 + 14806 + 228 + 4656,)]
    assert sql(wh, "SELECT sum(rows_in), sum(rows_loaded + rows_quarantined) FROM meta.loaded_file") == [
        (23051, 23051)
    ]
    assert sql(
        wh,
        "SELECT population FROM core.population WHERE municipality_id = '0001' AND period = '2026-01' "
        "AND age = '0-9' AND sex = 'T'",
    ) == [(245284,)]
    # the mart's minimum per year is the smallest kommun of each real export
    befolkning = (FX / DATA_CSV[0]).read_text("latin-1").splitlines()[1:]
    pop2018 = (FX / DATA_CSV[1]).read_text("utf-8-sig").splitlines()[1:]
    smallest = [
        min(int(r.rsplit(",", 1)[1]) for r in befolkning),
        min(int(r.rsplit(";", 1)[1]) for r in pop2018),
    ]
    by_year = sql(
        wh, "SELECT year, count(*), min(population) FROM mart.population_year GROUP BY 1 ORDER BY 1"
    )
    assert by_year == [(2017, 290, smallest[0]), (2018, 290, smallest[1])]
    before = digest(wh)
    again = load_files(paths, warehouse=wh)
    assert again.run_id is None and again.count("skipped") == 7
    assert digest(wh) == before


def test_pxweb_inputs_fail_the_batch_and_nothing_is_written(wh: Path) -> None:
    with pytest.raises(FilesLoadError, match=r"1 of 2 files .*config\.json: a PxWeb /config answer"):
        load_files([HTML, FX / "scb/pxweb_v2/config.json"], warehouse=wh)
    assert not wh.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty file"),
        ("page.html", b"<html><head><title>Fel</title></head><body>Fel</body></html>", "error page"),
        ("cut.json", (FX / "scb/pxweb_v2/TAB6471_data.json").read_bytes()[:5000], "truncated JSON"),
        (
            "wrong.csv",
            (FX / "scb/web_export/befolkning.csv").read_bytes().decode("latin-1").encode("utf-16"),
            "UTF-16",
        ),
    ],
)
def test_malformed_files_are_named(wh: Path, tmp_path: Path, name: str, data: bytes, message: str) -> None:
    # synthetic variants (made from the real files or tiny literals)
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FilesLoadError, match=message) as info:
        load_files([path], warehouse=wh)
    assert str(path) in str(info.value)


def test_report_mode_loads_the_good_files(wh: Path, tmp_path: Path) -> None:
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    report = load_files([bad, FX / "scb/web_export/befolkning.csv"], warehouse=wh, on_error="report")
    assert [(f.status, f.rows_loaded) for f in report.files] == [("failed", 0), ("loaded", 290)]
    assert "empty file" in report.files[0].message


def test_corrected_redelivery_supersedes_and_history_keeps_both(wh: Path, tmp_path: Path) -> None:
    original = tmp_path / "v1" / "befolkning.csv"
    original.parent.mkdir()
    shutil.copyfile(FX / "scb/web_export/befolkning.csv", original)
    load_files([original], warehouse=wh)
    # synthetic correction: Upplands Väsby's value changed, every other row as delivered
    corrected = tmp_path / "v2" / "befolkning.csv"
    corrected.parent.mkdir()
    corrected.write_bytes(
        original.read_bytes().replace(b'Upplands V\xe4sby",44605', b'Upplands V\xe4sby",44606')
    )
    report = load_files([corrected], warehouse=wh)
    assert report.files[0].status == "loaded" and "supersedes" in report.files[0].message
    assert sql(wh, "SELECT count(*), count(superseded_by) FROM meta.loaded_file") == [(2, 1)]
    history = sql(
        wh,
        "SELECT population, valid_to IS NULL FROM core.population WHERE municipality_id = '0114' "
        "ORDER BY valid_from",
    )
    assert history == [(44605, False), (44606, True)]
    assert sql(wh, "SELECT population FROM mart.population_year WHERE municipality_id = '0114'") == [(44606,)]
    assert sql(wh, "SELECT sum(rows_revised), sum(rows_unchanged) FROM meta.load_run") == [(1, 289)]


def test_quarantined_rows_reach_the_warehouse(wh: Path, tmp_path: Path) -> None:
    # synthetic: population2018.csv with one name swapped, so its repaired code would mis-join
    path = tmp_path / "population2018.csv"
    path.write_bytes(
        (FX / "scb/web_export/population2018.csv").read_bytes().replace(b"115;Vallentuna", b"115;Solna")
    )
    load_files([path], warehouse=wh)
    assert sql(wh, "SELECT rows_in, rows_loaded, rows_quarantined FROM meta.load_run") == [(290, 289, 1)]
    (reason,) = sql(wh, "SELECT failed_check FROM meta.quarantine")[0]
    assert reason.startswith(
        "population2018.csv, row 3: column 'municipality_code': code '115' lost a leading zero"
    )
    assert sql(wh, "SELECT count(*) FROM core.population WHERE municipality_id = '0115'") == [(0,)]


def test_cli_prints_the_notes_and_quarantine_reasons_of_scb_and_socialstyrelsen_files(
    wh: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # synthetic: one name swapped in an SCB export, one value made unreadable in a Socialstyrelsen one
    scb = tmp_path / "population2018.csv"
    scb.write_bytes(
        (FX / "scb/web_export/population2018.csv").read_bytes().replace(b"115;Vallentuna", b"115;Solna")
    )
    sdb = tmp_path / "antibiotics.csv"
    original = (FX / "socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv").read_bytes()
    sdb.write_bytes(original.replace(b";1,54\r\n", b";abc\r\n", 1))
    args = ["load", "files", str(scb), str(sdb), "--warehouse", str(wh), "--data-dir", str(tmp_path)]
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[1:7] == [
        f"loaded   scb-csv            290     289        1  {scb}",
        "  population2018.csv: repaired 89 region codes that had lost a leading zero",
        "  population2018.csv, row 3: column 'municipality_code': code '115' lost a leading zero but '0115' "
        "is Vallentuna, not 'Solna'",
        f"loaded   sdb-csv            228     227        1  {sdb}",
        "  antibiotics.csv: exported 2025-04-09",
        "  antibiotics.csv, row 2: column 'Patienter/1000 invånare': not a number or status marker "
        "(got 'abc')",
    ]


def test_network_template_csv_and_xlsx(wh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tiny synthetic network files (made-up values), naming no network: the only one of 0114 and 0115
    networks = tmp_path / "networks.yaml"
    networks.write_text('networks:\n  - {name: norr, title: Norr, members: ["0114", "0115"]}\n')
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(networks))
    csv_path = tmp_path / "natverk.csv"
    csv_path.write_text("Kommun;Mått;Period;Värde;Riktning\n0114;BT1;2024;12,5;högre\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["Municipality", "Measure", "Period", "Value"])
    book.active.append(["Vallentuna", "BT1", "2024", 7])
    xlsx_path = tmp_path / "natverk.xlsx"
    book.save(xlsx_path)
    report = load_files([csv_path, xlsx_path], warehouse=wh)
    assert [f.kind for f in report.files] == ["network-csv", "network-xlsx"]
    assert sql(wh, "SELECT municipality_id, value, direction FROM core.network_measure ORDER BY 1") == [
        ("0114", 12.5, "higher"),
        ("0115", 7.0, None),
    ]
    assert sql(wh, "SELECT DISTINCT network FROM core.network_measure") == [("norr",)]
    # the note left the file's line for a line of its own below it (see pipeline.file_report)
    assumed = "network 'norr' assumed: the file names no network (no or empty 'nätverk' column)"
    assert report.files[0].notes[0].startswith(assumed)
    assert load_files([csv_path, xlsx_path], warehouse=wh).count("skipped") == 2


def test_same_content_twice_in_one_batch(wh: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.html"
    shutil.copyfile(HTML, copy)
    report = load_files([HTML, copy], warehouse=wh)
    assert [f.status for f in report.files] == ["loaded", "skipped"]
    assert report.files[1].message == f"same content as {HTML}"


def test_no_municipality_list_is_a_clear_error(
    wh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAMFOR_FIXTURES_DIR", str(tmp_path))
    with pytest.raises(FilesLoadError, match="no municipality list to match regions against"):
        load_files([HTML], warehouse=wh)
    monkeypatch.setenv("JAMFOR_MUNICIPALITIES", str(FX / "municipalities/municipality_county.csv"))
    assert load_files([HTML], warehouse=wh).count("loaded") == 1


def test_inbox(wh: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("JAMFOR_INBOX", str(inbox))
    shutil.copyfile(HTML, inbox / HTML.name)
    (inbox / "broken.csv").write_bytes(b"")
    report = load_inbox(warehouse=wh, data_dir=tmp_path)
    assert sorted((Path(f.path).name, f.status) for f in report.files) == [
        ("broken.csv", "failed"),
        (HTML.name, "loaded"),
    ]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    (failed,) = [p for p in (inbox / "failed").iterdir() if p.name.endswith("broken.csv")]
    assert "empty file" in failed.with_name(failed.name + ".error.txt").read_text("utf-8")
    assert len(list((inbox / "loaded").iterdir())) == 1
    assert load_inbox(warehouse=wh, data_dir=tmp_path).files == []


@pytest.fixture
def pxweb() -> Iterator[PxWebReplay]:
    with pxweb_server(config_overrides={"maxDataCells": 700, "maxCallsPerTimeWindow": 30}) as replay:
        yield replay


def test_scb_fetch_then_load_matches_the_fixture(wh: Path, tmp_path: Path, pxweb: PxWebReplay) -> None:
    doc = fixture_json("pxweb_v2/TAB6471_data.json")
    selection = {d: list(doc["dimension"][d]["category"]["index"]) for d in doc["id"]}
    report = fetch_scb(
        "TAB6471", selection=selection, scb_url=pxweb.base_url, warehouse=wh, data_dir=tmp_path
    )
    assert len(report.files) == 4 and len(list((tmp_path / "raw" / "scb").glob("*/TAB6471-*.json"))) == 4
    assert sum(f.rows_loaded for f in report.files) == 2772
    query = "SELECT municipality_id, period, sex, age, population FROM core.population ORDER BY ALL"
    direct = tmp_path / "direct.duckdb"
    load_files([FX / "scb/pxweb_v2/TAB6471_data.json"], warehouse=direct)
    assert sql(wh, query) == sql(direct, query)
    again = fetch_scb("TAB6471", selection=selection, scb_url=pxweb.base_url, warehouse=wh, data_dir=tmp_path)
    assert again.count("skipped") == 4 and again.run_id is None  # same answers, same bytes


def test_footnotes_in_the_ledger(wh: Path) -> None:
    report = load_files([str(HTML)], warehouse=str(wh))
    assert report.run_id and "1 loaded" in report.format()
    assert "footnotes kept in meta.loaded_file.coverage" in report.format()
    (coverage,) = sql(wh, "SELECT coverage FROM meta.loaded_file")[0]
    assert '"n_regions": 291' in coverage and "Augusti 2017: Ingen skattning" in coverage
    assert load_files([str(HTML)], warehouse=str(wh)).run_id is None


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load", "files", "--data-dir", str(tmp_path)]) == 2
    assert "load files needs at least one PATH" in capsys.readouterr().err
    assert main(["load", "yearly", str(HTML), "--data-dir", str(tmp_path)]) == 2
    assert "only apply to `load files`" in capsys.readouterr().err
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    assert main(["load", "files", str(bad), "--warehouse", str(tmp_path / "w.duckdb")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FilesLoadError" in err and f"{bad}: empty file" in err


def test_inside_a_flow_that_holds_the_writer_lock(wh: Path, tmp_path: Path) -> None:
    from warehouse.publish import WarehouseLocked, writer_lock

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(HTML, inbox / HTML.name)
    with writer_lock(wh, run_id="monthly"):
        with pytest.raises(WarehouseLocked):
            load_files([HTML], warehouse=wh)
        report = load_inbox(inbox, warehouse=wh, data_dir=tmp_path, lock_held=True)
    assert report.count("loaded") == 1 and sql(wh, "SELECT count(*) FROM meta.loaded_file") == [(1,)]
