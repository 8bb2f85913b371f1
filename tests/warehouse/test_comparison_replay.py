"""Real data: our Liknande kommuner peer means equal Kolada-style group values from the replay server.

The replay server answers a G-id in the municipality segment with the unweighted mean of the group's
members and count = members with a value, as Kolada does. Kolada's Liknande groups list the 7 similar
kommuner without the anchor, so that group value is exactly our peer mean (the anchor excluded).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from fakes.kolada.server import ReplayServer
from pipeline.kolada import load_fetch
from pipeline.reference import apply_reference
from settings.config import Paths
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store, read_pages
from sources.kolada.settings import KoladaSettings
from transforms.kolada.values import flatten_values
from warehouse import marts
from warehouse.history import ValueScope
from warehouse.publish import building, connect_readonly

KPIS = ["N31807", "U33401"]  # ekonomiskt bistånd (T only) and IFO (T, K, M; direction lower)
YEARS = [str(y) for y in range(1998, 2023)]  # Knivsta (0330) first appears in N31807 in 2001
ANCHORS = ["0561", "1984", "0180", "1440", "2584"]  # Åtvidaberg, Arboga, Stockholm, Ale, Kiruna


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, pl.DataFrame]]:
    """A warehouse loaded by the real pipeline, and the replay server's values for the anchors' groups."""
    root = tmp_path_factory.mktemp("replay")
    paths = Paths(root, root / "jamfor.duckdb")
    with ReplayServer(port=0) as server:
        settings = KoladaSettings(base_url=server.base_url, rate=500.0)
        store = kolada_store(root, "load")
        client = KoladaClient(settings, store)
        for entity in ("kpi", "municipality", "municipality_groups", "kpi_groups"):
            client.metadata(entity)
        client.data(kpi=KPIS, year=YEARS)
        load_fetch(
            paths,
            store.fetch_dir,
            run_id="replay-load",
            flow_name="test",
            scope={},
            as_of=datetime.now(UTC),
            value_scope=ValueScope(KPIS, [int(y) for y in YEARS]),
            watermark=None,
        )
        with building(paths.warehouse, run_id="replay-reference") as con:
            apply_reference(con)
            marts.rebuild(con)
        con = connect_readonly(paths.warehouse)
        try:
            groups = [
                g
                for (g,) in con.execute(
                    "SELECT group_id FROM core.municipality_group WHERE valid_to IS NULL "
                    "AND family = 'liknande' AND list_contains($anchors, anchor_municipality_id)",
                    {"anchors": ANCHORS},
                ).fetchall()
            ]
        finally:
            con.close()
        group_store = kolada_store(root, "groups")
        KoladaClient(settings, group_store).data(kpi=KPIS, municipality=groups, year=YEARS)
    kolada = flatten_values(read_pages(group_store.fetch_dir, "data"), None).valid
    yield paths.warehouse, kolada


def test_liknande_groups_list_seven_kommuner_without_the_anchor(warehouse) -> None:
    con = connect_readonly(warehouse[0])
    try:
        sizes = con.execute(
            "SELECT count(*) AS n, bool_or(m.member_id = g.anchor_municipality_id) AS has_anchor "
            "FROM core.municipality_group AS g JOIN core.municipality_group_member AS m USING (group_id) "
            "WHERE g.family = 'liknande' AND g.valid_to IS NULL AND m.valid_to IS NULL GROUP BY g.group_id"
        ).fetchall()
    finally:
        con.close()
    assert len(sizes) == 3542
    assert {n for n, _ in sizes} == {7}
    assert not any(has_anchor for _, has_anchor in sizes)


def test_peer_mean_equals_koladas_group_value(warehouse) -> None:
    path, kolada = warehouse
    con = connect_readonly(path)
    try:
        ours = con.sql(
            "SELECT municipality_id, kpi_id, year, gender, peer_set_id, peer_set_vintage, n_peers, "
            "n_peers_with_value, peer_mean FROM mart.municipality_comparison "
            "WHERE peer_set_kind = 'liknande' AND list_contains($anchors, municipality_id)",
            params={"anchors": ANCHORS},
        ).pl()
    finally:
        con.close()
    group_values = kolada.select(
        "kpi_id", "year", "gender", peer_set_id="municipality_id", kolada_value="value", kolada_count="count"
    )
    # Kolada serves only each group's current version, so every year is compared within it
    ours = ours.with_columns(peer_set_id=pl.col("peer_set_id").str.split(":").list.first())
    versions = ours.group_by("peer_set_id").agg(pl.col("peer_set_vintage").n_unique())
    assert (versions["peer_set_vintage"] == 1).all()
    joined = ours.join(group_values, on=["kpi_id", "year", "gender", "peer_set_id"], how="left")
    assert set(joined["kpi_id"]) == set(KPIS)
    assert set(joined["municipality_id"]) == set(ANCHORS)
    assert (joined["n_peers"] == 7).all()
    answered = joined.filter(pl.col("kolada_count") > 0)
    assert answered.height > 100
    assert (answered["n_peers_with_value"] == answered["kolada_count"]).all()
    diff = (answered["peer_mean"] - answered["kolada_value"]).abs() / answered["kolada_value"].abs().clip(1.0)
    assert diff.max() < 1e-9
    # no Kolada group row (or count 0): no peer had a value that year
    assert (joined.filter(pl.col("kolada_count").fill_null(0) == 0)["n_peers_with_value"] == 0).all()


def test_a_kommun_absent_in_early_years_gets_no_rows_and_is_no_peer(warehouse) -> None:
    con = connect_readonly(warehouse[0])
    try:
        first = con.execute(
            "SELECT min(year) FROM mart.kpi_value WHERE municipality_id = '0330' AND kpi_id = 'N31807'"
        ).fetchall()[0][0]
        compared = con.execute(
            "SELECT min(year) FROM mart.municipality_comparison "
            "WHERE municipality_id = '0330' AND kpi_id = 'N31807'"
        ).fetchall()[0][0]
        counts = con.execute(
            "SELECT c.n_peers, c.n_peers_with_value, c.n_national, "
            "(SELECT count(value) FROM mart.kpi_value WHERE kpi_id = 'N31807' AND year = 2000 "
            " AND municipality_kind = 'kommun') "
            "FROM mart.municipality_comparison AS c WHERE c.municipality_id = '0180' AND c.kpi_id = 'N31807' "
            "AND c.year = 2000 AND c.peer_set_id = 'riket'"
        ).fetchall()[0]
    finally:
        con.close()
    assert first == compared == 2001
    n_peers, with_value, n_national, kommun_values = counts
    assert n_peers == 289  # every other current kommun, Knivsta included
    assert n_national == kommun_values and with_value == kommun_values - 1  # absent: no value, not ranked
