"""load_fetch without Prefect: bad rows in the raw pages are quarantined and the counts reconcile."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from fakes.kolada.server import ReplayServer
from pipeline.kolada import load_fetch
from settings.config import Paths, Tuning
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store
from sources.kolada.settings import KoladaSettings
from warehouse import checks, marts
from warehouse.history import ValueScope
from warehouse.publish import WarehouseHeldReadWrite, connect_readonly

BAD_ITEMS = [  # synthetic bad records, each with the check that must catch it
    (
        {"kpi": "X1", "municipality": "0180", "period": 2020, "values": [{"gender": "T", "value": 1.0}]},
        "kpi_id",
    ),
    (
        {"kpi": "N31807", "municipality": "180", "period": 2020, "values": [{"gender": "T", "value": 1.0}]},
        "municipality_id",
    ),
    (
        {
            "kpi": "N31807",
            "municipality": "0180",
            "period": "20x1",
            "values": [{"gender": "T", "value": 1.0}],
        },
        "year",
    ),
    (
        {"kpi": "N31807", "municipality": "0180", "period": 20201, "values": [{"gender": "T", "value": 1.0}]},
        "year",
    ),
    (
        {"kpi": "N31807", "municipality": "0180", "period": 2020, "values": [{"gender": "F", "value": 1.0}]},
        "gender",
    ),
]


@pytest.fixture(scope="module")
def fetch_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fetch")
    store = kolada_store(root, "t1")
    settings = KoladaSettings(rate=200.0)
    with ReplayServer(port=0) as server:
        client = KoladaClient(KoladaSettings(base_url=server.base_url, rate=settings.rate), store)
        for entity in ("kpi", "municipality", "municipality_groups", "kpi_groups"):
            client.metadata(entity)
        client.data(kpi=["N31807", "U21468"], year=["2019", "2020"])
    yield store.fetch_dir


def _append_bad_page(fetch_dir: Path) -> int:
    body = json.dumps({"values": [item for item, _ in BAD_ITEMS], "count": len(BAD_ITEMS), "next_url": None})
    page = {
        "url": "http://127.0.0.1/v3/injected",
        "fetched_at": datetime.now(UTC).isoformat(),
        "status": 200,
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
        "endpoint": "data",
        "body": body,
    }
    with (fetch_dir / "data.ndjson").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(page) + "\n")
    return len(BAD_ITEMS)


def test_bad_rows_are_quarantined_and_counts_reconcile(fetch_dir: Path, tmp_path: Path) -> None:
    injected = _append_bad_page(fetch_dir)
    paths = Paths(tmp_path, tmp_path / "w.duckdb")
    summary = load_fetch(
        paths,
        fetch_dir,
        run_id="r1",
        flow_name="test",
        scope={},
        as_of=datetime.now(UTC),
        value_scope=ValueScope(kpi_ids=["N31807", "U21468"], years=[2019, 2020]),
        watermark=None,
    )
    values = summary.entities["core.kpi_value_history"]
    assert values["quarantined"] == injected
    assert summary.rows_in == summary.rows_loaded + summary.rows_quarantined

    con = connect_readonly(paths.warehouse)
    try:
        quarantined = con.sql(
            "SELECT natural_key, record, failed_check FROM meta.quarantine WHERE entity = 'value'"
        ).pl()
        run = con.sql("SELECT rows_in, rows_loaded, rows_quarantined FROM meta.load_run").pl().row(0)
        mart_has_bad = con.sql(
            "SELECT count(*) FROM mart.kpi_value WHERE gender = 'F' OR kpi_id = 'X1'"
        ).fetchall()
    finally:
        con.close()
    assert quarantined.height == injected
    assert all(quarantined["failed_check"].str.len_chars() > 0)
    assert all(quarantined["record"].str.starts_with("{"))
    reasons = " ".join(quarantined["failed_check"].to_list())
    for _, column in BAD_ITEMS:
        assert column in reasons
    assert run[0] == run[1] + run[2] and run[2] >= injected
    assert mart_has_bad == [(0,)]


def test_value_batches_do_not_change_the_result(fetch_dir: Path, tmp_path: Path) -> None:
    """One page per batch or all pages in one: same core and mart tables, same quarantine.

    A repeated item (a copy of the first page's first item, as Kolada's paging can send when data change
    mid-fetch) is an exact duplicate within one batch and across batches alike.
    """
    copy = tmp_path / "fetch"
    shutil.copytree(fetch_dir, copy)
    first = json.loads((copy / "data.ndjson").read_text(encoding="utf-8").splitlines()[0])
    item = json.loads(first["body"])["values"][0]
    body = json.dumps({"values": [item], "count": 1, "next_url": None, "previous_url": None})
    repeat = {**first, "url": first["url"] + "&repeat=1", "body": body}
    repeat["sha256"] = hashlib.sha256(body.encode()).hexdigest()
    with (copy / "data.ndjson").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(repeat) + "\n")
    assert len((copy / "data.ndjson").read_text(encoding="utf-8").splitlines()) >= 3

    results = []
    for pages in (1, 1000):
        paths = Paths(tmp_path / str(pages), tmp_path / str(pages) / "w.duckdb")
        summary = load_fetch(
            paths,
            copy,
            run_id="r1",
            flow_name="test",
            scope={},
            as_of=datetime(2026, 11, 22, tzinfo=UTC),
            value_scope=ValueScope(kpi_ids=["N31807", "U21468"]),
            watermark=None,
            tuning=Tuning(value_batch_pages=pages),
        )
        con = connect_readonly(paths.warehouse)
        try:
            hashes = checks.table_hashes(con)
            reasons = con.sql("SELECT natural_key, failed_check FROM meta.quarantine ORDER BY ALL").fetchall()
        finally:
            con.close()
        results.append((hashes, reasons, summary.counts()))
    assert results[0] == results[1]
    assert results[0][2]["rows_inserted"] > 0 and results[0][0]["mart.municipality_comparison"]
    # (the module's fetch may also hold the injected bad page of the first test: quarantined alike)
    duplicates = [check for _, check in results[0][1] if check == "exact duplicate"]
    assert len(duplicates) == len(item["values"])


def test_values_only_change_rebuilds_marts_by_kpi_to_the_same_result(fetch_dir: Path, tmp_path: Path) -> None:
    """A second fetch revising one value: the KPI-wise marts are patched, and equal a full rebuild."""
    paths = Paths(tmp_path, tmp_path / "w.duckdb")
    common = {"flow_name": "test", "scope": {}, "value_scope": None, "watermark": None}
    load_fetch(paths, fetch_dir, run_id="r1", as_of=datetime(2026, 11, 1, tzinfo=UTC), **common)
    revised = tmp_path / "fetch2"
    revised.mkdir()
    lines = (fetch_dir / "data.ndjson").read_text(encoding="utf-8").splitlines()
    page = json.loads(lines[0])
    envelope = json.loads(page["body"])
    item = envelope["values"][0]
    item["values"][0]["value"] = (item["values"][0]["value"] or 0) + 1.5
    body = json.dumps({**envelope, "values": [item], "count": 1})
    page = {**page, "body": body, "sha256": hashlib.sha256(body.encode()).hexdigest()}
    (revised / "data.ndjson").write_text(json.dumps(page) + "\n", encoding="utf-8")

    calls = []
    original = marts.rebuild

    def spy(con, chosen=None, *, kpis=None, **options):
        calls.append(kpis)
        return original(con, chosen, kpis=kpis, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(marts, "rebuild", spy)
        summary = load_fetch(paths, revised, run_id="r2", as_of=datetime(2026, 11, 2, tzinfo=UTC), **common)
    assert calls == [[item["kpi"]]]
    assert summary.revised == 1 and set(summary.marts) == {m.table for m in marts.MARTS}

    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(paths.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        patched = checks.table_hashes(con, ["mart"])
        marts.rebuild(con)
        assert checks.table_hashes(con, ["mart"]) == patched
    finally:
        con.close()


def _clean_copy(fetch_dir: Path, target: Path) -> Path:
    """The module's fetch without the bad page another test may have appended to it."""
    shutil.copytree(fetch_dir, target)
    data = target / "data.ndjson"
    lines = [line for line in data.read_text(encoding="utf-8").splitlines() if "/v3/injected" not in line]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _file_state(path: Path) -> tuple[int, int, str]:
    return path.stat().st_ino, path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_incremental_load_that_changes_nothing_does_not_republish(fetch_dir: Path, tmp_path: Path) -> None:
    """The same fetch again (a quiet month): no build copy, the published file keeps inode, mtime and
    bytes; a changed value afterwards publishes, and a new quarantined row alone publishes too."""
    clean = _clean_copy(fetch_dir, tmp_path / "clean")
    paths = Paths(tmp_path, tmp_path / "w.duckdb")
    common = {"flow_name": "test", "scope": {}, "value_scope": None, "watermark": ("s", date(2026, 11, 1))}
    first = load_fetch(paths, clean, run_id="r1", as_of=datetime(2026, 11, 1, tzinfo=UTC), **common)
    assert first.published and first.inserted > 0 and first.rows_quarantined == 0
    before = _file_state(paths.warehouse)

    later = {**common, "watermark": ("s", date(2026, 12, 1))}
    second = load_fetch(paths, clean, run_id="r2", as_of=datetime(2026, 12, 1, tzinfo=UTC), **later)
    assert not second.published and "nothing changed" in second.note
    assert (second.inserted, second.revised, second.deleted) == (0, 0, 0)
    assert second.rows_in == first.rows_in and second.unchanged == first.rows_loaded
    assert "copy" not in second.steps_s and "publish" not in second.steps_s
    assert _file_state(paths.warehouse) == before
    assert not list(tmp_path.glob("w.duckdb.build-*"))
    con = connect_readonly(paths.warehouse)
    try:
        assert con.sql("SELECT run_id FROM meta.load_run").fetchall() == [("r1",)]
        # the skipped run did not move the watermark: the next from_date is earlier, never later
        assert con.sql("SELECT watermark FROM meta.watermark").fetchall() == [(date(2026, 11, 1),)]
    finally:
        con.close()

    # one changed value: published, merged from the rows the check staged
    revised = tmp_path / "revised"
    revised.mkdir()
    page = json.loads((clean / "data.ndjson").read_text(encoding="utf-8").splitlines()[0])
    envelope = json.loads(page["body"])
    item = envelope["values"][0]
    item["values"][0]["value"] = (item["values"][0]["value"] or 0) + 1.5
    body = json.dumps({**envelope, "values": [item], "count": 1})
    page = {**page, "body": body, "sha256": hashlib.sha256(body.encode()).hexdigest()}
    (revised / "data.ndjson").write_text(json.dumps(page) + "\n", encoding="utf-8")
    third = load_fetch(paths, revised, run_id="r3", as_of=datetime(2026, 12, 2, tzinfo=UTC), **later)
    assert third.published and third.revised == 1 and third.unchanged == len(item["values"]) - 1
    assert _file_state(paths.warehouse)[0] != before[0]

    # nothing changed but a new bad row: published, so the rejection is recorded
    bad = _clean_copy(revised, tmp_path / "bad")
    injected = _append_bad_page(bad)
    fourth = load_fetch(paths, bad, run_id="r4", as_of=datetime(2026, 12, 3, tzinfo=UTC), **later)
    assert fourth.published and fourth.rows_quarantined == injected
    assert (fourth.inserted, fourth.revised, fourth.deleted) == (0, 0, 0)
    con = connect_readonly(paths.warehouse)
    try:
        assert con.sql("SELECT count(*) FROM meta.quarantine WHERE run_id = 'r4'").fetchall() == [(injected,)]
        assert checks.integrity_problems(con) == []
    finally:
        con.close()


def test_a_read_write_opener_of_the_published_file_means_build_not_skip(
    fetch_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check cannot read a file another process holds read-write: the load builds and publishes
    past the holder, as before the check existed."""
    clean = _clean_copy(fetch_dir, tmp_path / "clean")
    paths = Paths(tmp_path, tmp_path / "w.duckdb")
    common = {"flow_name": "test", "scope": {}, "value_scope": None, "watermark": None}
    load_fetch(paths, clean, run_id="r1", as_of=datetime(2026, 11, 1, tzinfo=UTC), **common)

    def held(*args, **kwargs):
        raise WarehouseHeldReadWrite(paths.warehouse, "Conflicting lock is held in /usr/bin/x (PID 12)")

    monkeypatch.setattr("pipeline.nochange.check", held)
    again = load_fetch(paths, clean, run_id="r2", as_of=datetime(2026, 11, 2, tzinfo=UTC), **common)
    assert again.published and "check" not in again.steps_s and again.unchanged == again.rows_loaded
