"""Careless network files through `jamfor load files` and `jamfor compare` on a real (replay) warehouse.

Two networks deliver the same measure id for the same kommun and year (made-up values): each keeps its
own value, a correction from one leaves the other's alone, and each network's comparison shows its
own. A file that names no network gets the only network listing its kommuner (the report says so) or
is refused; a formula-like measure name is defused in CSV and kept in JSON; loading again changes
nothing.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from settings.config import Paths

from .support import hashes, load, query

NETWORKS = """networks:
  - name: skl-ifo
    title: SKL:s jämförelsenätverk inom IFO
    members: ["0561", "0860", "0821", "0834", "0760", "0884"]
  - name: annat
    title: Ett annat nätverk
    members: ["0561", "0580", "0581"]
"""
FORMULA = "=cmd|' /C calc'!A0"
SKL = (
    "nätverk;kommun;mått;måttnamn;period;värde;riktning\n"
    f"skl-ifo;0561;VNB1;{FORMULA};2023;{{v}};lägre\n"
    f"skl-ifo;0860;VNB1;{FORMULA};2023;10;lägre\n"
    f"skl-ifo;0821;VNB1;{FORMULA};2023;14;lägre\n"
)
ANNAT = (
    "kommun;mått;måttnamn;period;värde;riktning\n"
    "0561;VNB1;Väntetid nybesök;2023;99;lägre\n"
    "0580;VNB1;Väntetid nybesök;2023;50;lägre\n"
    "0581;VNB1;Väntetid nybesök;2023;70;lägre\n"
)


@pytest.fixture
def warehouse(published: Path, seed_fetch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed warehouse reloaded with the two networks (a Kolada load writes core.ref_network)."""
    networks = tmp_path / "networks.yaml"
    networks.write_text(NETWORKS, encoding="utf-8")
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(networks))
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(published, data / "jamfor.duckdb")
    load(Paths(data, data / "jamfor.duckdb"), seed_fetch, run_id="networks", step=3)
    return data / "jamfor.duckdb"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _compare(wh: Path, network: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = _run(
        [
            "compare",
            "0561",
            "--peers",
            f"network:{network}",
            "--format",
            fmt,
            "--warehouse",
            str(wh),
        ],
        capsys,
    )
    assert code == 0, err
    return out


def _vnb1(wh: Path, network: str, capsys: pytest.CaptureFixture[str]) -> tuple[float, float, int]:
    (row,) = [r for r in json.loads(_compare(wh, network, "json", capsys)) if r["kpi_id"] == "VNB1"]
    assert row["peer_set_id"] == f"network:{network}" and row["year"] == 2023
    return row["value"], row["peer_mean"], row["n_peers"]


def test_two_networks_one_measure_id_then_a_correction(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = ["--warehouse", str(warehouse)]
    skl, annat = _file(tmp_path, "skl.csv", SKL.format(v=12)), _file(tmp_path, "annat.csv", ANNAT)
    code, out, err = _run(["load", "files", skl, annat, *wh], capsys)
    assert code == 0, err
    # the note is a line of its own right below the file's line (see pipeline.file_report)
    lines = out.splitlines()
    below_annat = lines[next(i for i, line in enumerate(lines) if line.endswith(f" {annat}")) + 1]
    assert below_annat == (
        "  annat.csv: network 'annat' assumed: the file names no network (no or empty 'nätverk' column), "
        "and it is the only network in networks.yaml listing all 3 kommuner of the file"
    )
    current = (
        "SELECT network, value FROM core.network_measure WHERE municipality_id = '0561' AND valid_to IS NULL"
    )
    assert sorted(query(warehouse, current).rows()) == [("annat", 99.0), ("skl-ifo", 12.0)]
    assert _vnb1(warehouse, "skl-ifo", capsys) == (12.0, 12.0, 5)
    assert _vnb1(warehouse, "annat", capsys) == (99.0, 60.0, 2)

    # run twice: the same files again are skipped and nothing in the warehouse changes
    before = hashes(warehouse, ("core", "mart", "meta"))
    code, out, _ = _run(["load", "files", skl, annat, *wh], capsys)
    assert code == 0 and out.count("skipped") == 3 and "0 loaded, 2 skipped" in out
    assert hashes(warehouse, ("core", "mart", "meta")) == before

    # skl-ifo corrects 0561: its value gets a new version, annat's stays as it was
    fixed = _file(tmp_path, "skl_rättad.csv", SKL.format(v=13))
    code, out, err = _run(["load", "files", fixed, *wh], capsys)
    assert code == 0 and "supersedes" in out, (out, err)
    assert sorted(query(warehouse, current).rows()) == [("annat", 99.0), ("skl-ifo", 13.0)]
    versions = "SELECT network, count(*) FROM core.network_measure WHERE municipality_id = '0561' GROUP BY 1"
    assert sorted(query(warehouse, versions).rows()) == [("annat", 1), ("skl-ifo", 2)]
    assert _vnb1(warehouse, "skl-ifo", capsys) == (13.0, 12.0, 5)
    assert _vnb1(warehouse, "annat", capsys) == (99.0, 60.0, 2)


def test_a_file_that_names_no_network_and_fits_two_is_refused(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = hashes(warehouse)
    only_0561 = _file(tmp_path, "utan_natverk.csv", "kommun;mått;period;värde\n0561;VNB1;2023;5\n")
    code, _, err = _run(["load", "files", only_0561, "--warehouse", str(warehouse)], capsys)
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert (
        "utan_natverk.csv: the file names no network (no or empty 'nätverk' column) and 2 networks "
        "(annat, skl-ifo) in networks.yaml list all its 1 kommuner; add a nätverk column naming the network"
    ) in err
    assert hashes(warehouse) == before


def test_csv_defuses_a_formula_like_measure_name_json_keeps_it(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["load", "files", _file(tmp_path, "skl.csv", SKL.format(v=12)), "--warehouse", str(warehouse)])
        == 0
    )
    capsys.readouterr()
    text = _compare(warehouse, "skl-ifo", "csv", capsys)
    frame = pl.read_csv(io.StringIO(text), schema_overrides={"municipality_id": pl.String}).filter(
        pl.col("kpi_id") == "VNB1"
    )
    assert frame["kpi_title"].to_list() == ["'" + FORMULA]
    assert frame["value"].dtype == pl.Float64 and frame["delta_prev_year"].dtype in (pl.Float64, pl.String)
    (row,) = [r for r in json.loads(_compare(warehouse, "skl-ifo", "json", capsys)) if r["kpi_id"] == "VNB1"]
    assert row["kpi_title"] == FORMULA


def test_quarantine_current_follows_the_newest_delivery_of_a_file(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = SKL.format(v="tolv")  # 0561's value is not a number
    wh = ["--warehouse", str(warehouse)]
    current = "SELECT natural_key, failed_check FROM meta.quarantine_current WHERE source = 'network'"
    for _ in range(3):  # the same file three times: loaded once, then skipped
        assert main(["load", "files", _file(tmp_path, "skl.csv", bad), *wh]) == 0
    assert query(warehouse, current).rows() == [
        (
            "skl-ifo/VNB1/0561/2023",
            "skl.csv, row 2: column 'värde': not a number or status marker (got 'tolv')",
        )
    ]
    assert main(["load", "files", _file(tmp_path, "skl_rättad.csv", SKL.format(v=12)), *wh]) == 0
    assert query(warehouse, current).rows() == []
    assert query(warehouse, "SELECT count(*) FROM meta.quarantine WHERE source = 'network'").rows() == [(1,)]
    capsys.readouterr()


def test_report_of_a_network_member_shows_each_networks_own_measure(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After two networks' files load, the member's report names each network's own VNB1 (no KeyError)."""
    from html.parser import HTMLParser

    from warehouse.comparison_query import ComparisonFilter
    from warehouse.report_query import report_data

    wh = ["--warehouse", str(warehouse)]
    skl, annat = _file(tmp_path, "skl.csv", SKL.format(v=12)), _file(tmp_path, "annat.csv", ANNAT)
    assert _run(["load", "files", skl, annat, *wh], capsys)[0] == 0
    for network, members in (("skl-ifo", {"0561": 12.0, "0860": 10.0, "0821": 14.0}), ("annat", None)):
        data = report_data(warehouse, "0561", ComparisonFilter(peer_kind="network", network=network))
        peers = data.peers.filter(pl.col("kpi_id") == "VNB1")
        assert peers["peer_set_id"].unique().to_list() == [f"network:{network}"]
        values = dict(zip(peers["municipality_id"], peers["value"], strict=True))
        assert values == (members or {"0561": 99.0, "0580": 50.0, "0581": 70.0})
        assert peers.filter(pl.col("is_selected"))["municipality_id"].to_list() == ["0561"]
        out = tmp_path / f"report-{network}.html"
        code, _, err = _run(
            ["report", "0561", "--peers", f"network:{network}", "--out", str(out), *wh], capsys
        )
        assert code == 0, err
        page = out.read_text(encoding="utf-8")
        HTMLParser().feed(page)  # parses
        assert "VNB1" in page and "Källa: nätverkets egen fil" in page
        title = "Väntetid nybesök" if network == "annat" else "=cmd|"
        assert title in page.replace("&#x27;", "'").replace("&#39;", "'")


def test_compare_table_shows_each_networks_own_measure_beside_the_kpis(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Side by side, a network's own VNB1 is a row per network (its own value), only that network's
    column group filled; Kolada's KPIs keep every group; nothing crashes."""
    wh = ["--warehouse", str(warehouse)]
    skl, annat = _file(tmp_path, "skl.csv", SKL.format(v=12)), _file(tmp_path, "annat.csv", ANNAT)
    assert _run(["load", "files", skl, annat, *wh], capsys)[0] == 0
    code, out, err = _run(["compare", "0561", *wh], capsys)
    assert code == 0, err
    lines = out.splitlines()
    groups = next(line for line in lines if "Liknande" in line and "Riket" in line).split()
    assert groups == ["Liknande", "annat", "skl-ifo", "Kommungrupp", "Län", "Riket"]
    vnb1 = [line for line in lines if line.startswith(" VNB1 ")]
    assert len(vnb1) == 2  # one row per network: the two values are each network's own
    by_value = {line.split()[line.split().index("2023") + 1]: line for line in vnb1}
    assert set(by_value) == {"12.0", "99.0"}
    # skl-ifo's row: 12 against 10 and 14 (lower is better) → 2 av 3; every other group '–'
    assert len(re.findall(r"\d+ av \d+", by_value["12.0"])) == 1 and " 2 av 3 " in by_value["12.0"]
    assert len(re.findall(r"\d+ av \d+", by_value["99.0"])) == 1 and " 3 av 3 " in by_value["99.0"]
    kolada = [line for line in lines if re.match(r" [NU]\d{5} ", line)]
    assert kolada and all(len(re.findall(r"\d+ av \d+", line)) >= 4 for line in kolada)
    assert "Källa: nätverkets egen fil" in out and "Källa: Kolada" in out
