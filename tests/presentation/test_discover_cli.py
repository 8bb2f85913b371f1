"""`jamfor kpi`, `municipality`, `peers` on a warehouse loaded from the Kolada replay with the demo scope
(real values and the real 6,099-KPI catalogue), and their one-line errors on bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from tests.flows.discovery_data import build_demo_warehouse
from warehouse.publish import connect_readonly


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_warehouse(tmp_path_factory.mktemp("discover"))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def sql(warehouse: Path, query: str, params: dict | None = None) -> list[tuple]:
    con = connect_readonly(warehouse)
    try:
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2 and err.count("\n") == 1 and err.startswith("jamfor: error:"), err
    for needle in needles:
        assert needle in err, err


def test_kpi_search_ignores_case_and_diacritics(warehouse: Path, tmp_path: Path, capsys) -> None:
    common = ["--format", "json", "--warehouse", str(warehouse), "--data-dir", str(tmp_path)]
    code, out, _ = run(["kpi", "search", "Väntetid", "försörjningsstöd", *common], capsys)
    assert code == 0
    rows = json.loads(out)
    _, plain_out, _ = run(["kpi", "search", "VANTETID forsorjningsstod", *common], capsys)
    assert json.loads(plain_out) == rows
    by_id = {r["kpi_id"]: r for r in rows}
    # U31402 is in the demo load (values up to 2022); U31403 is in the catalogue only
    assert by_id["U31402"] == {
        "kpi_id": "U31402",
        "title": "Väntetid i antal dagar från ansökan vid nybesök till beslut inom försörjningsstöd, "
        "medelvärde",
        "operating_area": "Individ- och familjeomsorg",
        "direction": "lower",
        "newest_year": 2022,
        "in_scope": True,
    }
    assert by_id["U31403"]["newest_year"] is None and rows[0]["kpi_id"] == "U31402"
    assert all("väntetid" in r["title"].lower() and "försörjningsstöd" in r["title"] for r in rows)


def test_kpi_search_by_id_and_scope_flag(warehouse: Path, tmp_path: Path, capsys) -> None:
    common = ["--warehouse", str(warehouse), "--data-dir", str(tmp_path)]
    code, out, _ = run(["kpi", "search", "n00945", "--format", "csv", *common], capsys)
    assert code == 0
    frame = pl.read_csv(io.StringIO(out))
    assert frame.row(0, named=True)["kpi_id"] == "N00945"
    assert frame.row(0, named=True)["in_scope"] is False  # Arbetsmarknad: not in the default scope
    code, out, _ = run(["kpi", "search", "hemlöshet", *common], capsys)
    assert code == 0 and "N30466" in out and "Individ- och familjeomsorg" in out


def test_kpi_search_no_match(warehouse: Path, capsys) -> None:
    code, _, err = run(["kpi", "search", "zzqxnothing", "--warehouse", str(warehouse)], capsys)
    one_line_error(code, err, "zzqxnothing")


def test_kpi_show_matches_the_warehouse(warehouse: Path, tmp_path: Path, capsys) -> None:
    common = ["--warehouse", str(warehouse), "--data-dir", str(tmp_path)]
    code, out, _ = run(["kpi", "show", "u30446", "--format", "json", *common], capsys)
    assert code == 0
    info = json.loads(out)
    years = sql(
        warehouse,
        "SELECT year, count(DISTINCT municipality_id) FROM mart.kpi_value WHERE kpi_id = 'U30446' "
        "AND value IS NOT NULL AND municipality_kind = 'kommun' GROUP BY year ORDER BY year",
    )
    (direction,) = sql(
        warehouse, "SELECT direction, basis, rule FROM core.ref_kpi_direction WHERE kpi_id = 'U30446'"
    )
    assert info["years_with_values"] == [y for y, _ in years] and info["newest_year"] == 2022
    assert info["kommuner_newest_year"] == years[-1][1] > 250
    assert (info["direction"], info["direction_basis"], info["direction_rule"]) == direction
    assert info["operating_area"] == "Individ- och familjeomsorg" and info["in_scope"] is True
    (coding,) = [c for c in info["oj_coding"] if c["kpi_group_id"] == "GKPI255"]
    assert coding["coding"] == "Överskott=2, Balans=1, Underskott=0" and coding["best_label"] == "Överskott"
    assert any(g.startswith("GKPI255 ") for g in info["kpi_groups"])
    code, text, _ = run(["kpi", "show", "U30446", *common], capsys)
    assert code == 0 and "Bostadsmarknadsläge" in text and "in the scheduled scope: yes" in text
    assert f"{years[-1][1]} in the newest year" in text and "ÖJ GKPI255" in text


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["kpi", "show", "N99999"], "no KPI N99999"),
        (["kpi", "show", "X1"], "malformed KPI ids"),
        (["kpi", "show", "N31807", "U21468"], "takes one KPI id"),
        (["municipality", "search", "Xyzzyby"], "Xyzzyby"),
        (["peers", "Atlantis"], "Atlantis"),
        (["peers", "Sal"], "ambiguous"),  # Sala, Salem
    ],
)
def test_bad_input_is_one_line_exit_2(warehouse: Path, argv: list[str], needle: str, capsys) -> None:
    code, _, err = run([*argv, "--warehouse", str(warehouse)], capsys)
    one_line_error(code, err, needle)


def test_missing_warehouse_is_one_line(tmp_path: Path, capsys) -> None:
    code, _, err = run(["peers", "0561", "--warehouse", str(tmp_path / "none.duckdb")], capsys)
    one_line_error(code, err, "no warehouse at", "jamfor load yearly")


def test_municipality_search(warehouse: Path, capsys) -> None:
    code, out, _ = run(
        ["municipality", "search", "atvidaberg", "--format", "csv", "--warehouse", str(warehouse)], capsys
    )
    assert code == 0
    frame = pl.read_csv(io.StringIO(out), schema_overrides={"municipality_id": pl.String})
    assert frame.to_dicts() == [
        {
            "municipality_id": "0561",
            "title": "Åtvidaberg",
            "lan": "Östergötlands läns kommuner",
            "kommungrupp": "Pendlingskommun nära större stad",
        }
    ]
    code, out, _ = run(["municipality", "search", "--format", "json", "--warehouse", str(warehouse)], capsys)
    assert code == 0 and len(json.loads(out)) == 290


def test_peers_lists_every_set_with_its_members(warehouse: Path, capsys) -> None:
    code, out, _ = run(["peers", "Åtvidaberg", "--format", "json", "--warehouse", str(warehouse)], capsys)
    assert code == 0
    sets = {s["peer_set_id"]: s for s in json.loads(out)}
    assert {s["kind"] for s in sets.values()} == {"liknande", "network", "kommungrupp", "lan", "riket"}
    ifo = [s for s in sets.values() if s["kind"] == "liknande" and s["area"] == "IFO"]
    (ifo,) = ifo
    members = sql(
        warehouse,
        "SELECT m.member_id FROM core.municipality_group_member AS m WHERE m.group_id = $g "
        "AND m.valid_to IS NULL AND NOT m.is_deleted ORDER BY 1",
        {"g": ifo["peer_set_id"].split(":")[0]},
    )
    assert sorted(m[-5:-1] for m in ifo["members"]) == [m for (m,) in members] and ifo["n_members"] == 7
    assert ifo["vintage"] == 2024 and ifo["peer_set_id"].endswith(":2024")
    assert "0561" not in str(ifo["members"])
    network = sets["network:skl-ifo"]
    assert network["n_members"] == 6 and "Åtvidaberg (0561)" in network["members"]
    assert sets["riket"]["n_members"] == 290 and sets["lan:05"]["n_members"] == 13
    code, text, _ = run(["peers", "0561", "--warehouse", str(warehouse)], capsys)
    assert code == 0 and "Peer sets of Åtvidaberg (0561)" in text and "vintage 2024" in text
    assert "Hultsfred (0860)" in text and "290 members" in text


def test_scope_add_remove_feeds_the_scheduled_default_scope(warehouse: Path, tmp_path: Path, capsys) -> None:
    from flows.kolada_flows import _request
    from pipeline.scope import SCOPES_DIR, load_scope

    common = ["--warehouse", str(warehouse), "--data-dir", str(tmp_path)]
    code, out, _ = run(["scope", "show", *common], capsys)
    assert code == 0 and f"default scope: {SCOPES_DIR / 'default.yaml'}" in out
    code, out, _ = run(["scope", "add", "N00945", "u21468", *common], capsys)
    user_file = tmp_path / "scope.yaml"
    assert code == 0 and f"default scope: {user_file}" in out and user_file.is_file()
    # U31402 is selected by its operating area: removing it excludes it
    assert run(["scope", "remove", "U31402", *common], capsys)[0] == 0
    scope = load_scope("default", data_dir=tmp_path)
    assert {"N00945", "U21468", "N01951"} <= set(scope.kpis) and scope.exclude_kpis == ("U31402",)
    assert scope.operating_areas == load_scope(SCOPES_DIR / "default.yaml").operating_areas
    # the yearly and monthly flows resolve "default" to the user's file
    request = _request("monthly", "default", None, None, None, str(warehouse), str(tmp_path), None)
    assert request.scope == scope
    _, out, _ = run(["kpi", "search", "N00945", "--format", "json", *common], capsys)
    assert json.loads(out)[0]["in_scope"] is True
    _, out, _ = run(["kpi", "search", "U31402", "--format", "json", *common], capsys)
    assert json.loads(out)[0]["in_scope"] is False
    assert run(["scope", "add", "U31402", *common], capsys)[0] == 0
    assert load_scope("default", data_dir=tmp_path).exclude_kpis == ()


def test_scope_file_from_the_environment(warehouse: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    from pipeline.scope import load_scope

    target = tmp_path / "config" / "jamfor-scope.yaml"
    monkeypatch.setenv("JAMFOR_SCOPE_FILE", str(target))
    assert run(["scope", "add", "N00945", "--warehouse", str(warehouse)], capsys)[0] == 0
    assert "N00945" in target.read_text("utf-8") and "N00945" in load_scope("default").kpis


def test_unknown_kpi_ids_stop_scope_fetch_and_load(
    warehouse: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    common = ["--warehouse", str(warehouse), "--data-dir", str(tmp_path)]
    code, _, err = run(["scope", "add", "N31807", "N99999", "U00001", *common], capsys)
    one_line_error(code, err, "unknown KPI ids N99999, U00001")
    assert not (tmp_path / "scope.yaml").exists()
    code, _, err = run(["scope", "remove", "N00945", *common], capsys)
    one_line_error(code, err, "not in the default scope: N00945")
    code, _, err = run(["scope", "add", *common], capsys)
    one_line_error(code, err, "needs at least one KPI id")
    # the port is closed: a check that came after the first request would fail with exit 1 instead
    dead = ["--kolada-url", "http://127.0.0.1:9"]
    code, _, err = run(["load", "yearly", "--kpi", "N31807,N99999", *common, *dead], capsys)
    one_line_error(code, err, "unknown KPI id N99999")
    monkeypatch.setenv("JAMFOR_WAREHOUSE", str(warehouse))
    code, _, err = run(
        ["fetch", "--kpi", "N99999", "--years", "2020", "--data-dir", str(tmp_path), *dead], capsys
    )
    one_line_error(code, err, "unknown KPI id N99999")
    assert not (tmp_path / "raw").exists()


def test_a_load_stops_on_kpi_ids_the_fetched_catalogue_lacks(warehouse: Path) -> None:
    """No published catalogue yet: the flow checks --kpi ids against the catalogue it just fetched."""
    from flows.tasks import resolve_scope
    from pipeline.scope import Scope, ScopeError, load_scope, with_overrides

    fetch_dir = warehouse.parent / "raw" / "kolada" / "demo"  # the real catalogue pages of the load
    adhoc = with_overrides(load_scope("demo"), kpis="N31807,U99998")
    with pytest.raises(ScopeError, match=r"unknown KPI id U99998: not in Kolada's KPI catalogue"):
        resolve_scope.fn(adhoc, fetch_dir)
    assert resolve_scope.fn(with_overrides(adhoc, kpis="N31807"), fetch_dir) == ["N31807"]
    # a scope file's own ids are not checked: a KPI Kolada retires must not stop the scheduled load
    named = Scope(name="mine", kpis=("N31807", "U99998"))
    assert resolve_scope.fn(named, fetch_dir) == ["N31807", "U99998"]


def test_scope_add_without_a_catalogue_warns(tmp_path: Path, capsys) -> None:
    code, out, err = run(["scope", "add", "N31807", "--data-dir", str(tmp_path)], capsys)
    assert code == 0 and "ids not checked" in err and "N31807" in (tmp_path / "scope.yaml").read_text("utf-8")
    assert "KPIs: N01951, N31807" in out
