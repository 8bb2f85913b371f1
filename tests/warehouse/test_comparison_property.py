"""Property: every peer statistic equals the same figure computed in Python from mart.kpi_value.

Values are generated (SYNTHETIC) for the synthetic kommuner of tests/comparison_data: absent rows,
NULL values, ties and arbitrary floats, one KPI (direction higher) and one year.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.reference import apply_reference
from tests import comparison_data as data
from warehouse import history, marts
from warehouse.ddl import ensure_schema

KOMMUNER = [m[0] for m in data.MUNICIPALITIES if m[3] == "kommun"]
COUNTY = {m[0]: m[4] for m in data.MUNICIPALITIES if m[3] == "kommun"}
GROUP = {m[0]: m[5] for m in data.MUNICIPALITIES if m[3] == "kommun"}
LIKNANDE = {"0102", "0103", "0104"}  # G100 (its one version, 2024), chosen for 0101
NETWORK = {"0101", "0102", "0105"}  # trio
ABSENT = "absent"

value = st.one_of(
    st.just(ABSENT),
    st.none(),
    st.sampled_from([0.0, 1.0, 2.5]),  # ties
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_schema(connection)
    data.load_dimensions(connection)
    apply_reference(connection, data.reference_files(Path(tmp_path_factory.mktemp("reference"))))
    yield connection
    connection.close()


def peers_of(municipality: str, set_id: str) -> set[str]:
    """The expected members of each peer set, written out independently of the mart's SQL."""
    members = {
        "riket": set(KOMMUNER),
        f"lan:{COUNTY[municipality]}": {k for k in KOMMUNER if COUNTY[k] == COUNTY[municipality]},
        GROUP[municipality]: {k for k in KOMMUNER if GROUP[k] == GROUP[municipality]},
        "G100:2024": LIKNANDE,
        "network:trio": NETWORK,
    }[set_id]
    return members - {municipality}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({k: value for k in KOMMUNER}))
def test_peer_statistics_match_the_member_values(con: duckdb.DuckDBPyConnection, values: dict) -> None:
    con.execute("DELETE FROM core.kpi_value_history")
    rows = [(data.K1, k, 2020, "T", v) for k, v in values.items() if v != ABSENT]
    if rows:
        history.merge_values(con, data.values_frame(rows), run_id="prop", as_of=data.AS_OF, scope=None)
    marts.rebuild(con, [m for m in marts.MARTS if m.table != "mart.area_summary"])
    kpi_value = dict(con.execute("SELECT municipality_id, value FROM mart.kpi_value").fetchall())
    result = con.execute(
        "SELECT municipality_id, peer_set_id, n_peers, n_peers_with_value, peer_mean, peer_median, "
        "rank_in_peers, n_ranked FROM mart.municipality_comparison"
    ).fetchall()
    expected_sets = {(k, s) for k in kpi_value for s in ("riket", f"lan:{COUNTY[k]}", GROUP[k])}
    expected_sets |= {("0101", "G100:2024")} if "0101" in kpi_value else set()
    expected_sets |= {(k, "network:trio") for k in NETWORK if k in kpi_value}
    assert {(m, s) for m, s, *_ in result} == expected_sets
    for municipality, set_id, n_peers, n_with, mean, median, rank, n_ranked in result:
        peers = peers_of(municipality, set_id)
        peer_values = [kpi_value[p] for p in peers if kpi_value.get(p) is not None]
        own = kpi_value[municipality]
        assert n_peers == len(peers)
        assert n_with == len(peer_values)
        if peer_values:
            assert mean == pytest.approx(statistics.fmean(peer_values), rel=1e-9, abs=1e-6)
            assert median == pytest.approx(statistics.median(peer_values), rel=1e-9, abs=1e-6)
        else:
            assert mean is None and median is None
        assert n_ranked == len(peer_values) + (own is not None)
        assert rank == (None if own is None else 1 + sum(v > own for v in peer_values))
