"""PxWeb limits from /config, selection splitting, v1 query splitting, settings from JAMFOR_SCB_*."""

from __future__ import annotations

import itertools

import pytest

from fakes.scb import fixture_json
from sources.scb import ApiLimits, PxWebConfigError, ScbSettings, cell_count, split_selection, split_v1_query


def test_limits_from_the_real_v2_config() -> None:
    limits = ApiLimits.from_v2_config(fixture_json("pxweb_v2/config.json"))
    assert (limits.max_cells, limits.max_calls, limits.window_s, limits.rate_per_s) == (150000, 3, 1.0, 3.0)
    assert limits.cells(1000) == 1000 and limits.cells(10**9) == 150000 and limits.cells(None) == 150000
    assert limits.rate(1.0) == 1.0 and limits.rate(50.0) == 3.0


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "expected a JSON object"),
        ({"maxDataCells": 10, "maxCallsPerTimeWindow": 3}, "timeWindow must be a positive number"),
        ({"maxDataCells": "10", "maxCallsPerTimeWindow": 3, "timeWindow": 1}, "maxDataCells"),
        ({"maxDataCells": True, "maxCallsPerTimeWindow": 3, "timeWindow": 1}, "maxDataCells"),
    ],
)
def test_bad_config_names_the_field(config: object, message: str) -> None:
    with pytest.raises(PxWebConfigError, match=message):
        ApiLimits.from_v2_config(config, "http://x/config")


def test_v1_config_fields() -> None:
    limits = ApiLimits.from_v1_config({"maxValues": 110000, "maxCalls": 30, "timeWindow": 10})
    assert (limits.max_cells, limits.rate_per_s) == (110000, 3.0)


def _union(chunks: list[dict[str, list[str]]]) -> set[tuple[str, ...]]:
    cells: set[tuple[str, ...]] = set()
    for chunk in chunks:
        cells |= set(itertools.product(*chunk.values()))
    return cells


@pytest.mark.parametrize("max_cells", [1, 7, 50, 330, 2772, 10**6])
def test_split_covers_every_cell_once_within_the_limit(max_cells: int) -> None:
    sel = {
        "Region": [f"{i:02d}" for i in range(21)],
        "Alder": list("abcdefghijk"),
        "Kon": ["1", "2", "T"],
        "ContentsCode": ["c"],
        "Tid": ["m1", "m2", "m3", "m4"],
    }
    chunks = split_selection(sel, max_cells)
    assert all(cell_count(c) <= max_cells for c in chunks)
    assert sum(cell_count(c) for c in chunks) == cell_count(sel) == 2772
    assert _union(chunks) == set(itertools.product(*sel.values()))
    if max_cells >= 2772:
        assert chunks == [sel]


def test_split_cuts_time_first_then_region() -> None:
    sel = {"Region": ["01", "03", "04"], "Tid": ["2020", "2021"], "Kon": ["1", "2"]}
    chunks = split_selection(sel, 6)
    assert [c["Tid"] for c in chunks] == [["2020"], ["2021"]]
    chunks = split_selection(sel, 2)
    assert all(len(c["Tid"]) == 1 and len(c["Region"]) == 1 for c in chunks)


def test_split_rejects_empty_values_and_bad_limits() -> None:
    with pytest.raises(ValueError, match="no values"):
        split_selection({"Region": []}, 10)
    with pytest.raises(ValueError, match="max_cells"):
        split_selection({"Region": ["01"]}, 0)


def test_v1_query_with_valueset_is_sent_whole() -> None:
    query = fixture_json("pxweb_v1/query_se.json")
    assert list(split_v1_query(query, 2)) == [(query, 0)]


def test_v1_item_query_is_split() -> None:
    query = {
        "query": [
            {"code": "Tid", "selection": {"filter": "item", "values": ["2020", "2021", "2022"]}},
            {"code": "Kon", "selection": {"filter": "item", "values": ["1", "2"]}},
        ],
        "response": {"format": "csv"},
    }
    parts = list(split_v1_query(query, 2))
    assert [cells for _, cells in parts] == [2, 2, 2]
    assert all(body["response"] == {"format": "json-stat2"} for body, _ in parts)


def test_settings_from_env_and_errors() -> None:
    env = {
        "JAMFOR_SCB_URL": "http://localhost:1/api/v2/",
        "JAMFOR_SCB_MAX_CELLS": "500",
        "JAMFOR_SCB_RATE": "2.5",
        "JAMFOR_SCB_TIMEOUT": "3,30",
        "JAMFOR_SCB_RETRIES": "2",
    }
    s = ScbSettings.from_env(env)
    assert (s.base_url, s.max_cells, s.rate, s.connect_timeout, s.read_timeout, s.max_attempts) == (
        "http://localhost:1/api/v2",
        500,
        2.5,
        3.0,
        30.0,
        2,
    )
    assert ScbSettings.from_env({}, lang="en").lang == "en"
    with pytest.raises(ValueError, match="JAMFOR_SCB_MAX_CELLS='x' is invalid"):
        ScbSettings.from_env({"JAMFOR_SCB_MAX_CELLS": "x"})
    with pytest.raises(ValueError, match="JAMFOR_SCB_URL"):
        ScbSettings.from_env({"JAMFOR_SCB_URL": "ftp://x"})
    with pytest.raises(TypeError, match="unknown ScbSettings fields"):
        ScbSettings.from_env({}, nope=1)
