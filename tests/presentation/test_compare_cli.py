"""`jamfor compare` and `jamfor export` on a small SYNTHETIC warehouse (tests/comparison_data)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from flows.cli import main
from models.catalogue import TABLES
from presentation.compare import print_demo_comparison, print_tables
from tests import comparison_data as data
from warehouse.comparison_query import ComparisonFilter
from warehouse.comparison_query import compare as query
from warehouse.publish import connect_readonly


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.publish(tmp_path_factory.mktemp("compare"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_table_shows_rank_with_n_and_attribution(warehouse: Path, capsys) -> None:
    code, out, _ = run(
        ["compare", "aby", "--peers", "liknande", "--year", "2020", "--warehouse", str(warehouse)], capsys
    )
    assert code == 0
    assert "Liknande kommuner IFO, Aby, 2024" in out
    assert "2 av 4" in out  # K1: A 50 against 70, 50, 30
    assert "Källa: Kolada" in out and "Egen bearbetning" in out


def test_default_year_is_the_latest_with_a_value(warehouse: Path, capsys) -> None:
    code, out, _ = run(
        [
            "compare",
            "0101",
            "--kpi",
            data.K1,
            "--peers",
            "riket",
            "--format",
            "json",
            "--warehouse",
            str(warehouse),
        ],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["kpi_id"], r["year"], r["value"]) for r in rows] == [(data.K1, 2021, 55.0)]


def test_csv_and_json_parse(warehouse: Path, capsys) -> None:
    argv = ["compare", "Aby", "--year", "2020", "--area", "IFO", "--warehouse", str(warehouse)]
    _, csv_out, _ = run([*argv, "--format", "csv"], capsys)
    _, json_out, _ = run([*argv, "--format", "json"], capsys)
    frame = pl.read_csv(io.StringIO(csv_out), schema_overrides={"municipality_id": pl.String})
    records = json.loads(json_out)
    assert frame.height == len(records) > 0
    assert set(frame["peer_set_kind"]) == {"liknande", "kommungrupp", "lan", "riket", "network"}
    assert set(frame["municipality_id"]) == {"0101"}
    assert {"rank_in_peers", "n_ranked", "colour_band", "source_note"} <= set(records[0])


def test_network_peers_by_name(warehouse: Path, capsys) -> None:
    code, out, _ = run(
        [
            "compare",
            "Bby",
            "--peers",
            "network:TRIO",
            "--year",
            "2020",
            "--format",
            "json",
            "--warehouse",
            str(warehouse),
        ],
        capsys,
    )
    assert code == 0 and {r["peer_set_id"] for r in json.loads(out)} == {"network:trio"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "Atlantis"], "no kommun has the code or name 'Atlantis'"),
        (["compare", "Öst"], "'Öst' is ambiguous: Östby (0201), Östbyn (0202)"),
        (["compare", "Aby", "--peers", "network:nope"], "no network 'nope'; networks: trio"),
        (["compare", "Aby", "--peers", "friends"], "unknown peer set kind 'friends'"),
        (["compare", "Aby", "--area", "skola"], "no area 'skola'"),
        (["compare", "Aby", "--kpi", "X1"], "malformed KPI ids"),
        (["compare", "Aby", "--kpi", "N31807"], "no comparison rows for KPI N31807"),
        (["compare", "Aby", "--kpi", "U00001", "--area", "IFO"], "not allowed with argument"),
        (["compare", "Aby", "--format", "xml"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(warehouse: Path, capsys, argv: list[str], message: str) -> None:
    try:
        code = main([*argv, "--warehouse", str(warehouse)])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1, err


def test_accent_free_name_and_code_resolve(warehouse: Path, capsys) -> None:
    for name in ("ostby", "0201"):
        code, out, _ = run(["compare", name, "--format", "json", "--warehouse", str(warehouse)], capsys)
        assert code == 0 and {r["municipality_title"] for r in json.loads(out)} == {"Östby"}


def test_export_writes_one_parquet_per_mart(warehouse: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "out"
    code, out, _ = run(["export", "parquet", str(target), "--warehouse", str(warehouse)], capsys)
    assert code == 0
    files = sorted(p.name for p in target.iterdir())
    assert files == sorted(f"{t.name}.parquet" for t in TABLES if t.kind == "mart")
    assert {"municipality_comparison.parquet", "area_summary.parquet", "kpi_value.parquet"} <= set(files)
    con = connect_readonly(warehouse)
    try:
        for name in files:
            expected = con.execute(f"SELECT count(*) FROM mart.{name.removesuffix('.parquet')}").fetchall()[
                0
            ][0]
            assert pl.read_parquet(target / name).height == expected
    finally:
        con.close()
    assert str(target) in out


def test_demo_closing_tables(warehouse: Path) -> None:
    console = Console(file=io.StringIO(), width=200)
    print_demo_comparison(warehouse, console, "0101")
    text = console.file.getvalue()
    assert "Syntetiskt nätverk (network)" in text
    assert "Liknande kommuner IFO, Aby, 2024 (liknande)" in text


def test_neutral_kpi_is_ranked_by_value_without_colour(warehouse: Path, capsys) -> None:
    argv = ["compare", "aby", "--peers", "riket", "--year", "2020", "--warehouse", str(warehouse)]
    code, out, _ = run([*argv, "--kpi", data.K3], capsys)
    assert code == 0
    # K3 (neutral): Aby 100 against Bby 200 → second in value order, never "best", no colour word;
    # side by side the KPI's "1 =" column says what rank 1 means, the Riket group has the rank
    line = next(row for row in out.splitlines() if data.K3 in row)
    assert re.search(r"\s2020\s+100\.0\s+högst värde\s+–\s", line) and " 2 av 2 " in line
    assert "neutral" not in line and "bäst" not in line
    assert "1 = högst värde" in out and "no colour" in out
    # the per-set tables (the demo's) say it in the rank cell
    console = Console(file=io.StringIO(), width=200)
    wanted = ComparisonFilter(kpis=[data.K3], peer_kind="riket", year=2020)
    print_tables(console, "Aby", "0101", query(warehouse, "aby", wanted)[2])
    line = next(row for row in console.file.getvalue().splitlines() if data.K3 in row)
    assert "2 av 2 (1 = högst värde)" in line and "neutral" not in line and "bäst" not in line
    # a directional KPI keeps its plain rank and its colour
    _, directional, _ = run([*argv, "--kpi", data.K1], capsys)
    line = next(row for row in directional.splitlines() if data.K1 in row)
    assert "högst värde" not in line and "yellow" in line
    _, json_out, _ = run([*argv, "--format", "json"], capsys)
    order = {r["kpi_id"]: r["rank_order"] for r in json.loads(json_out)}
    assert (order[data.K3], order[data.K1], order[data.K2]) == ("1 = högst värde", "1 = bäst", "1 = bäst")
    _, csv_out, _ = run([*argv, "--kpi", data.K3, "--format", "csv"], capsys)
    assert pl.read_csv(io.StringIO(csv_out))["rank_order"].to_list() == ["1 = högst värde"]


def test_preliminary_value_is_marked_with_its_footer(warehouse: Path, capsys) -> None:
    # Aby's K1 2021 (55) was preliminary when fetched (comparison_data: every 2021 value)
    argv = ["compare", "aby", "--kpi", data.K1, "--warehouse", str(warehouse)]
    code, out, _ = run(argv, capsys)
    assert code == 0
    line = next(row for row in out.splitlines() if data.K1 in row)
    assert re.search(r"\s2021\s+55\.0\s+prel\.\s+bäst\s", line)
    assert "prel.: the value was preliminary in Kolada when fetched." in out
    _, final, _ = run([*argv, "--year", "2020"], capsys)
    assert "prel." not in final
