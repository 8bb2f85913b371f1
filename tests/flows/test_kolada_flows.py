"""The yearly, monthly and backfill flows end to end against the replay server (real fixture values)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from fakes.kolada.server import ReplayServer
from flows import kolada_flows
from pipeline.scope import load_scope
from settings.config import Paths
from warehouse import checks
from warehouse.publish import WarehouseLocked, connect_readonly, writer_lock

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEARS = "2018-2022"


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(port=0) as server:
        yield server


@pytest.fixture()
def env(replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    replay.reset()
    monkeypatch.setenv("JAMFOR_KOLADA_URL", replay.base_url)
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "200")
    return Paths.from_env(tmp_path / "data")


def _run(flow, paths: Paths, **kwargs) -> dict:
    return flow(scope="demo", warehouse=str(paths.warehouse), data_dir=str(paths.data_dir), **kwargs)


def _query(paths: Paths, sql: str) -> pl.DataFrame:
    con = connect_readonly(paths.warehouse)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def _hashes(paths: Paths) -> dict[str, str]:
    con = connect_readonly(paths.warehouse)
    try:
        return checks.table_hashes(con)
    finally:
        con.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_yearly_twice_changes_nothing(env: Paths) -> None:
    first = _run(kolada_flows.yearly, env, years=YEARS)["summary"]
    assert first.rows_in == first.rows_loaded + first.rows_quarantined
    assert first.inserted == first.rows_loaded and first.rows_quarantined == 0
    before = _hashes(env)
    second = _run(kolada_flows.yearly, env, years=YEARS)["summary"]
    assert (second.inserted, second.revised, second.deleted) == (0, 0, 0)
    assert second.unchanged == first.rows_loaded
    assert _hashes(env) == before
    runs = _query(env, "SELECT status, rows_in, rows_loaded, rows_quarantined FROM meta.load_run")
    assert runs.height == 2 and set(runs["status"]) == {"completed"}
    con = connect_readonly(env.warehouse)
    try:
        assert checks.integrity_problems(con) == []
    finally:
        con.close()


def test_monthly_applies_revisions_and_deletions(env: Paths, replay: ReplayServer) -> None:
    _run(kolada_flows.yearly, env, years=YEARS)
    stat = env.warehouse.stat()
    before = (stat.st_ino, stat.st_mtime_ns, _sha(env.warehouse))
    watermark = _query(env, "SELECT watermark, run_id FROM meta.watermark")
    quiet_run = _run(kolada_flows.monthly, env, years=YEARS)
    quiet = quiet_run["summary"]
    assert (quiet.inserted, quiet.revised, quiet.deleted) == (0, 0, 0), "nothing changed upstream"
    # nothing changed: not republished (same inode, mtime, bytes) but recorded in the run log
    assert not quiet.published and quiet.unchanged == quiet.rows_in > 0
    stat = env.warehouse.stat()
    assert (stat.st_ino, stat.st_mtime_ns, _sha(env.warehouse)) == before
    logged = json.loads(env.run_log.read_text().splitlines()[-1])
    assert logged["run_id"] == quiet_run["run_id"] and logged["flow"] == "kolada-monthly"
    assert logged["status"] == "completed" and logged["published"] is False
    assert "nothing changed" in logged["message"]
    assert _query(env, "SELECT watermark, run_id FROM meta.watermark").equals(watermark)
    assert _query(env, "SELECT count(*) AS n FROM meta.load_run")["n"].item() == 1

    replay.set_dataset("revised")
    result = _run(kolada_flows.monthly, env, years=YEARS)["summary"]
    keys = replay.dataset.revision_keys()
    # the replay serves more KPIs than the demo scope loads: compare within the scope
    in_years = pl.col("period").is_between(2018, 2022) & pl.col("kpi").is_in(list(load_scope("demo").kpis))
    changed = keys.changed.filter(in_years).height
    deleted = keys.deleted.filter(in_years).height
    assert result.revised == changed and result.deleted == deleted

    history = _query(
        env,
        "SELECT kpi_id, municipality_id, year, gender, count(*) AS versions "
        "FROM core.kpi_value_history GROUP BY ALL HAVING count(*) > 1",
    )
    assert history.height == changed + deleted
    revised_values = replay.dataset.values("revised").filter(in_years & ~pl.col("isdeleted"))
    mart = _query(env, "SELECT kpi_id, municipality_id, year, gender, value FROM mart.kpi_value")
    assert mart.height == revised_values.height
    joined = mart.join(
        revised_values.select(
            kpi_id="kpi",
            municipality_id="municipality",
            year=pl.col("period").cast(pl.Int32),
            gender="gender",
            expected="value",
        ),
        on=["kpi_id", "municipality_id", "year", "gender"],
    )
    assert joined.height == mart.height
    assert joined.filter(pl.col("value").ne_missing(pl.col("expected"))).height == 0


def test_failure_mid_load_leaves_published_file_untouched(
    env: Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run(kolada_flows.yearly, env, years=YEARS)
    before = _sha(env.warehouse)

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure in the middle of the merge")

    with monkeypatch.context() as patch:
        patch.setattr("warehouse.history.merge_values_from", boom)
        with pytest.raises(RuntimeError, match="injected") as failure:
            _run(kolada_flows.yearly, env, years=YEARS)
    # Prefect keeps the failed state's exception; dropping its frames lets DuckDB objects die before exit
    exc: BaseException | None = failure.value
    while exc is not None:
        exc.__traceback__ = None
        exc = exc.__context__
    assert _sha(env.warehouse) == before
    assert not list(env.warehouse.parent.glob("*.build-*"))
    log = [json.loads(line) for line in env.run_log.read_text().splitlines()]
    assert log[-1]["status"] == "failed" and "injected" in log[-1]["message"]

    assert _run(kolada_flows.yearly, env, years=YEARS)["summary"].inserted == 0


def test_reader_in_another_process_during_loads(env: Paths, replay: ReplayServer) -> None:
    _run(kolada_flows.yearly, env, years="2021-2022")
    reader = textwrap.dedent(
        f"""
        import duckdb, time, sys
        seen = set()
        deadline = time.time() + 60
        while time.time() < deadline:
            con = duckdb.connect({str(env.warehouse)!r}, read_only=True)
            seen.add(con.execute("SELECT count(*) FROM mart.kpi_value").fetchone()[0])
            con.close()
            if len(seen) > 1:
                break
            time.sleep(0.01)
        print(sorted(seen))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", reader], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _run(kolada_flows.yearly, env, years="2018-2022")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    counts = json.loads(out)
    final = _query(env, "SELECT count(*) AS n FROM mart.kpi_value")["n"][0]
    assert set(counts) <= {counts[0], final}, "a reader must only ever see a complete publish"


def test_second_writer_is_refused_clearly(env: Paths) -> None:
    with (
        writer_lock(env.warehouse, run_id="someone-else"),
        pytest.raises(WarehouseLocked, match="someone-else"),
    ):
        _run(kolada_flows.yearly, env, years=YEARS)


def test_monthly_without_watermark_says_what_to_do(env: Paths) -> None:
    with pytest.raises(kolada_flows.NoWatermarkError, match="yearly"):
        _run(kolada_flows.monthly, env, years=YEARS)


def test_backfill_leaves_watermark_and_other_years(env: Paths) -> None:
    _run(kolada_flows.yearly, env, years="2021-2022")
    watermark = _query(env, "SELECT watermark, run_id FROM meta.watermark")
    backfill = _run(kolada_flows.backfill, env, years="2018-2019")["summary"]
    assert backfill.inserted > 0 and backfill.deleted == 0
    assert _query(env, "SELECT watermark, run_id FROM meta.watermark").equals(watermark)
    years = _query(env, "SELECT DISTINCT year FROM mart.kpi_value ORDER BY year")["year"].to_list()
    assert years == [2018, 2019, 2021, 2022]
