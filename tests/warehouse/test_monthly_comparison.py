"""mart.monthly_comparison on the real Socialstyrelsen page (ekonomiskt bistånd, antal hushåll, Jan-Aug
2017) and on a network file with months whose values are SYNTHETIC (made up for this test).

Every expected peer figure is recomputed here from the loaded values in plain Python, independently of
the mart's SQL, for a couple of kommuner and months.
"""

from __future__ import annotations

import hashlib
import statistics
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.files import load_files
from tests.monthly_data import BISTAND_MEASURE, BISTAND_PAGE, INRIKES, NETWORK_CSV, with_units
from warehouse import marts
from warehouse.publish import building

SKL_IFO = ["0561", "0860", "0821", "0834", "0760", "0884"]  # networks.yaml: Åtvidaberg and its 5 peers


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("monthly")
    path = with_units(root / "jamfor.duckdb")
    network = root / "natverk_manad.csv"
    network.write_text(NETWORK_CSV, encoding="utf-8")
    report = load_files([BISTAND_PAGE, network], warehouse=path)
    assert report.summary is not None and report.summary.rows_quarantined == 0
    return path


def query(path: Path, sql: str, params: dict | None = None) -> pl.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql, params=params).pl()
    finally:
        con.close()


def mart_row(path: Path, kommun: str, period: str, peer_set: str, source: str, breakdown: str) -> dict:
    rows = query(
        path,
        "SELECT * FROM mart.monthly_comparison WHERE municipality_id = $m AND period = $p "
        "AND peer_set_id = $s AND source = $src AND breakdown = $b",
        {"m": kommun, "p": period, "s": peer_set, "src": source, "b": breakdown},
    )
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def register_values(path: Path, period: str, breakdown: str) -> dict[str, float | None]:
    """Every kommun's loaded value of the page for one month and breakdown (None = X or --)."""
    rows = query(
        path,
        "SELECT municipality_id, value FROM core.register_value WHERE valid_to IS NULL AND period = $p "
        "AND breakdown = $b AND measure = $m AND municipality_id NOT LIKE '00%'",
        {"p": period, "b": breakdown, "m": BISTAND_MEASURE},
    )
    return dict(rows.iter_rows())


def by_hand(values: dict[str, float | None], own: str, members: list[str], lower_is_better: bool) -> dict:
    """Peer mean, median, rank and n of `own` among `members`, computed without SQL."""
    mine = values[own]
    peers = [values[m] for m in members if m != own and m in values and values[m] is not None]
    better = [v for v in peers if (v < mine if lower_is_better else v > mine)] if mine is not None else []
    return {
        "peer_mean": sum(peers) / len(peers),
        "peer_median": statistics.median(peers),
        "rank_in_peers": None if mine is None else 1 + len(better),
        "n_ranked": len(peers) + (mine is not None),
        "n_peers_with_value": len(peers),
    }


def test_atvidaberg_january_against_lan_riket_and_its_network(warehouse: Path) -> None:
    values = register_values(warehouse, "2017-01", INRIKES)
    assert values["0561"] == 72.0  # the page: Åtvidaberg, Inrikes födda, Januari 2017
    groups = {
        "lan:05": [k for k in values if k.startswith("05")],
        "riket": list(values),
        "network:skl-ifo": SKL_IFO,
    }
    for peer_set, members in groups.items():
        row = mart_row(warehouse, "0561", "2017-01", peer_set, "socialstyrelsen", INRIKES)
        expected = by_hand(values, "0561", members, lower_is_better=False)
        assert row["peer_mean"] == pytest.approx(expected["peer_mean"], rel=1e-12)
        assert row["peer_median"] == pytest.approx(expected["peer_median"])
        for key in ("rank_in_peers", "n_ranked", "n_peers_with_value"):
            assert row[key] == expected[key], (peer_set, key)
        assert row["direction"] == "neutral" and row["rank_order"] == "1 = högst värde"
        assert row["value"] == 72.0 and row["status"] == "ok"
        # the page has no 2016: no change from a year earlier can be computed
        assert row["value_prev_year"] is None and row["delta_prev_year"] is None
    riket = mart_row(warehouse, "0561", "2017-01", "riket", "socialstyrelsen", INRIKES)
    assert riket["n_peers"] == 289
    assert riket["set_published_value"] is None  # the page's Riket row is "--" in January and February
    march = mart_row(warehouse, "0561", "2017-03", "riket", "socialstyrelsen", INRIKES)
    assert (
        march["set_published_value"]
        == query(
            warehouse,
            "SELECT value FROM core.register_value WHERE municipality_id = '0000' AND period = '2017-03' "
            "AND breakdown = $b AND status = 'ok'",
            {"b": INRIKES},
        ).item()
    )
    assert "Källa: Socialstyrelsen" in riket["source_note"] and "Egen bearbetning" in riket["source_note"]


def test_a_suppressed_month_has_a_status_and_no_rank(warehouse: Path) -> None:
    utrikes = "Inrikes- eller utrikesfödda hushåll=En av sökande/sambo utrikesfödd"
    row = mart_row(warehouse, "0561", "2017-01", "lan:05", "socialstyrelsen", utrikes)
    assert row["value"] is None and row["status"] == "suppressed"  # "X" on the page
    assert row["rank_in_peers"] is None
    values = register_values(warehouse, "2017-01", utrikes)
    expected = by_hand(values, "0561", [k for k in values if k.startswith("05")], lower_is_better=False)
    assert (
        row["peer_mean"] == pytest.approx(expected["peer_mean"]) and row["n_ranked"] == expected["n_ranked"]
    )


def test_a_second_kommun_and_month(warehouse: Path) -> None:
    values = register_values(warehouse, "2017-08", INRIKES)
    row = mart_row(warehouse, "0580", "2017-08", "lan:05", "socialstyrelsen", INRIKES)  # Linköping
    expected = by_hand(values, "0580", [k for k in values if k.startswith("05")], lower_is_better=False)
    assert {k: row[k] for k in expected} == pytest.approx(expected)
    assert row["peer_set_title"].startswith("Kommuner i län 05")


def test_grain_and_coverage(warehouse: Path) -> None:
    counts = query(
        warehouse,
        "SELECT source, peer_set_kind, count(*) AS n, count(DISTINCT municipality_id) AS kommuner, "
        "count(DISTINCT period) AS months FROM mart.monthly_comparison GROUP BY ALL ORDER BY ALL",
    )
    assert counts.rows() == [
        ("network:skl-ifo", "network", 8, 4, 2),  # 4 kommuner x 2 Marches
        ("socialstyrelsen", "lan", 290 * 2 * 8, 290, 8),
        ("socialstyrelsen", "network", 6 * 2 * 8, 6, 8),
        ("socialstyrelsen", "riket", 290 * 2 * 8, 290, 8),
    ]
    key = "source, measure_id, breakdown, municipality_id, period, peer_set_id"
    assert (
        query(warehouse, f"SELECT count(*) - count(DISTINCT ({key})) FROM mart.monthly_comparison").item()
        == 0
    )


def test_network_months_with_year_on_year_change(warehouse: Path) -> None:
    """SYNTHETIC values of NETWORK_CSV; worked out by hand in the comments."""
    row = mart_row(warehouse, "0561", "2024-03", "network:skl-ifo", "network:skl-ifo", "")
    # peers 14 and 10 (Torsås X): mean 12, median 12; lower is better, 10 ties Högsby for 1st of 3
    assert (row["peer_mean"], row["peer_median"], row["rank_in_peers"], row["n_ranked"]) == (12.0, 12.0, 1, 3)
    assert (row["n_peers"], row["n_peers_with_value"], row["rank_order"]) == (3, 2, "1 = bäst")
    # March 2023: 16 against 12, 9, 11 (mean 32/3, 4th of 4); the change is 10 - 16 and 12 - 32/3
    assert row["value_prev_year"] == 16.0 and row["delta_prev_year"] == -6.0
    assert row["peer_mean_delta_prev_year"] == pytest.approx(12 - 32 / 3)
    before = mart_row(warehouse, "0561", "2023-03", "network:skl-ifo", "network:skl-ifo", "")
    assert (before["rank_in_peers"], before["n_ranked"]) == (4, 4)
    torsas = mart_row(warehouse, "0834", "2024-03", "network:skl-ifo", "network:skl-ifo", "")
    assert torsas["status"] == "suppressed" and torsas["rank_in_peers"] is None
    assert torsas["peer_mean"] == pytest.approx(34 / 3)
    # a network's measure is compared within that network only, and its yearly row stays out
    sets = query(
        warehouse, "SELECT DISTINCT peer_set_id FROM mart.monthly_comparison WHERE source LIKE 'network:%'"
    )
    assert sets["peer_set_id"].to_list() == ["network:skl-ifo"]
    assert "nätverkets egen fil" in row["source_note"]


def test_rebuilding_the_same_data_changes_nothing(warehouse: Path, tmp_path: Path) -> None:
    def digest(path: Path) -> str:
        frame = query(path, "SELECT * FROM mart.monthly_comparison")
        return hashlib.sha256(frame.write_csv().encode()).hexdigest()

    copy = tmp_path / "again.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    before = digest(copy)
    with building(copy, run_id="again") as con:
        marts.rebuild(con)
    assert digest(copy) == before
    again = load_files([BISTAND_PAGE], warehouse=copy)
    assert again.run_id is None  # already loaded: nothing written
    assert digest(copy) == before
