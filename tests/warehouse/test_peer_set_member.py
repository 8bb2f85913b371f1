"""mart.peer_set_member on real data (tests/peer_versions_data: real Kolada groups in two versions, the real
kommuner, the bundled networks.yaml): one row per peer set version and member kommun, as compared."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from tests import peer_versions_data as real
from warehouse.publish import connect_readonly

IFO = "G36722"  # Liknande kommuner IFO, Åtvidaberg: "…, 2022" in 2024-01, "…, 2024" in 2026-03
NETWORKS = Path(__file__).resolve().parents[2] / "pipeline" / "reference" / "networks.yaml"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect_readonly(real.build(tmp_path_factory.mktemp("peer_set_member")))
    yield connection
    connection.close()


def _members(con: duckdb.DuckDBPyConnection, set_id: str, anchor: bool = False) -> list[str]:
    return [
        m
        for (m,) in con.execute(
            "SELECT municipality_id FROM mart.peer_set_member WHERE peer_set_id = ? AND is_anchor = ? "
            "ORDER BY municipality_id",
            [set_id, anchor],
        ).fetchall()
    ]


def _kommuner(con: duckdb.DuckDBPyConnection, county: str | None = None) -> list[str]:
    return [
        m
        for (m,) in con.execute(
            "SELECT municipality_id FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted "
            "AND kind = 'kommun' AND ($c IS NULL OR county_id = $c) ORDER BY 1",
            {"c": county},
        ).fetchall()
    ]


def test_each_liknande_version_lists_the_members_kolada_published_for_it(
    con: duckdb.DuckDBPyConnection,
) -> None:
    for snapshot, vintage in (("municipality_groups_v2", 2022), ("municipality_groups", 2024)):
        title, members = real.group_members(snapshot, IFO)
        set_id = f"{IFO}:{vintage}"
        assert _members(con, set_id) == members
        assert _members(con, set_id, anchor=True) == [real.ANCHOR]
        [(kind, got_title, got_vintage, group, n_peers, current)] = con.execute(
            "SELECT DISTINCT peer_set_kind, peer_set_title, peer_set_vintage, group_id, n_peers, "
            "replaced_at IS NULL FROM mart.peer_set_member WHERE peer_set_id = ?",
            [set_id],
        ).fetchall()
        assert (kind, got_title, got_vintage, group, n_peers) == (
            "liknande",
            title,
            vintage,
            IFO,
            len(members),
        )
        assert current == (vintage == 2024)  # the 2022 version was replaced by the 2026 load


def test_lan_and_riket_list_every_kommun_once(con: duckdb.DuckDBPyConnection) -> None:
    assert _members(con, "lan:05") == _kommuner(con, "05")
    assert len(_members(con, "lan:05")) == 13  # Östergötland's kommuner
    assert _members(con, "riket") == _kommuner(con)
    assert len(_members(con, "riket")) == 290
    sizes = con.execute(
        "SELECT count(*) - 1, any_value(n_peers), count(DISTINCT n_peers) FROM mart.peer_set_member "
        "WHERE peer_set_id = 'riket'"
    ).fetchall()
    assert sizes == [(289, 289, 1)]


def test_a_network_lists_the_kommuner_of_networks_yaml(con: duckdb.DuckDBPyConnection) -> None:
    [network] = yaml.safe_load(NETWORKS.read_text(encoding="utf-8"))["networks"]
    names = [m.lower() for m in network["members"]]
    titles = con.execute(
        "SELECT lower(municipality_title), peer_set_title, n_peers FROM mart.peer_set_member "
        "WHERE peer_set_id = ? ORDER BY 1",
        ["network:" + network["name"]],
    ).fetchall()
    assert [t for t, _, _ in titles] == sorted(names)
    assert {(title, n) for _, title, n in titles} == {(network["title"], len(names) - 1)}


def test_the_comparison_uses_exactly_these_sets(con: duckdb.DuckDBPyConnection) -> None:
    """Every comparison row's set is one the kommun is in (a Liknande version as its anchor), same n_peers."""
    orphans = con.execute(
        """
        SELECT count(*) FROM mart.municipality_comparison AS c
        WHERE NOT EXISTS (
            SELECT 1 FROM mart.peer_set_member AS s
            WHERE s.peer_set_id = c.peer_set_id AND s.municipality_id = c.municipality_id
              AND s.is_anchor = (c.peer_set_kind = 'liknande') AND s.n_peers = c.n_peers
              AND s.peer_set_kind = c.peer_set_kind)
        """
    ).fetchall()
    assert orphans == [(0,)]
    assert con.execute("SELECT count(*) FROM mart.municipality_comparison").fetchall() != [(0,)]
