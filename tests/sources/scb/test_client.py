"""ScbClient against a local PxWeb serving the real fixtures: limits from /config, splitting, 429, 400."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from fakes.http import LocalServer
from fakes.scb import V1_TABLE, PxWebReplay, fixture_json
from sources.http_post import SourcePostError
from sources.scb import ScbClient, ScbSettings, population_selection, scb_store
from transforms.files.jsonstat import decode_jsonstat2

FULL_SELECTION_DIMS = ("Region", "Alder", "Kon", "ContentsCode", "Tid")


def full_selection() -> dict[str, list[str]]:
    """Every code of the real TAB6471 data fixture (21 län x 11 ages x 3 x 1 x 4 months = 2,772 cells)."""
    doc = fixture_json("pxweb_v2/TAB6471_data.json")
    return {
        dim: [c for c, _ in sorted(doc["dimension"][dim]["category"]["index"].items(), key=lambda kv: kv[1])]
        for dim in FULL_SELECTION_DIMS
    }


def decoded(files: list[Path]) -> pl.DataFrame:
    frames = [decode_jsonstat2(json.loads(p.read_text("utf-8"))).frame.drop("_cell") for p in files]
    return pl.concat(frames).sort(*FULL_SELECTION_DIMS)


def client(replay: PxWebReplay, tmp_path: Path, **settings: object) -> ScbClient:
    scb = ScbSettings(base_url=replay.base_url, v1_url=replay.v1_url, backoff_base=0.05, **settings)
    return ScbClient(scb, scb_store(tmp_path, "f1"))


def test_real_config_limits_set_rate_and_one_request_fits(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server)
    scb = client(replay, tmp_path)
    limits = scb.limits()
    assert (limits.max_cells, limits.max_calls, limits.window_s) == (150000, 3, 1.0)
    assert scb.http.limiter.rate_per_s == 3.0
    result = scb.data("TAB6471", full_selection())
    assert result.requests == 1 and result.cells == 2772
    expected = decode_jsonstat2(fixture_json("pxweb_v2/TAB6471_data.json")).frame.drop("_cell")
    assert decoded(result.files).equals(expected.sort(*FULL_SELECTION_DIMS))
    manifest = [json.loads(line) for line in scb.store.manifest_path.read_text("utf-8").splitlines()]
    assert [m["file"] for m in manifest] == ["TAB6471-0001.json"] and manifest[0]["status"] == 200


def test_selection_is_split_by_max_cells_and_reassembles_exactly(server: LocalServer, tmp_path: Path) -> None:
    # synthetic limits: 300 cells per call (the server enforces them), 30 calls per second
    replay = PxWebReplay(server, config_overrides={"maxDataCells": 300, "maxCallsPerTimeWindow": 30})
    result = client(replay, tmp_path).data("TAB6471", full_selection())
    assert result.requests == len(replay.bodies) == 12
    assert not replay.rejected
    assert all(
        len(b["selection"][0]["valueCodes"]) * 11 * 3 * len(b["selection"][4]["valueCodes"]) <= 300
        for b in replay.bodies
    )
    expected = decode_jsonstat2(fixture_json("pxweb_v2/TAB6471_data.json")).frame.drop("_cell")
    assert decoded(result.files).equals(expected.sort(*FULL_SELECTION_DIMS))


def test_local_cap_lowers_cells_below_the_server_limit(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server, config_overrides={"maxCallsPerTimeWindow": 30})
    result = client(replay, tmp_path, max_cells=1000).data("TAB6471", full_selection())
    assert result.requests == 4 and result.cells == 2772


def test_server_stricter_than_its_config_gets_429_retried(server: LocalServer, tmp_path: Path) -> None:
    # the config says 30 calls per second but the server allows 2 (synthetic): 429 + Retry-After, then success
    replay = PxWebReplay(
        server, config_overrides={"maxDataCells": 700, "maxCallsPerTimeWindow": 30}, enforce_calls=(2, 1.0)
    )
    scb = client(replay, tmp_path)
    result = scb.data("TAB6471", full_selection())
    assert result.requests == 4
    assert 429 in replay.rejected
    assert scb.http.stats["by_reason"].get("http_429", 0) >= 1
    assert decoded(result.files).height == 2772


def test_too_many_cells_is_a_clear_error(server: LocalServer, tmp_path: Path) -> None:
    # the server enforces fewer cells than its config announces (synthetic): 400, not retried
    replay = PxWebReplay(server, enforce_cells=100)
    with pytest.raises(SourcePostError) as info:
        client(replay, tmp_path).data("TAB6471", full_selection())
    text = str(info.value)
    assert text.startswith("POST ") and "HTTP 400" in text and "Too many cells" in text
    assert info.value.attempts == 1


def test_unknown_code_is_a_clear_error(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server)
    selection = {**full_selection(), "Region": ["0114"]}
    with pytest.raises(SourcePostError, match="Non-existent value 0114"):
        client(replay, tmp_path).data("TAB6471", selection)


def test_metadata_and_population_selection(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server)
    meta = client(replay, tmp_path).metadata("TAB6471")
    selection = population_selection(meta, periods=["2026"])
    assert selection["Region"][0] == "00" and len(selection["Region"]) == 291
    assert all(len(c) == 4 for c in selection["Region"][1:])
    assert selection["Alder"] == ["TotSA"]  # Alder cannot be eliminated in TAB6471
    assert "Kon" not in selection  # Kon can: left out means both sexes
    assert selection["ContentsCode"] == ["000007SF"]
    assert selection["Tid"] == ["2026M01", "2026M02", "2026M03", "2026M04"]
    assert population_selection(meta, by_sex=True)["Kon"] == ["TotSa", "1", "2"]


def test_v1_query_posts_the_real_body_and_stores_the_answer(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server)
    result = client(replay, tmp_path).v1_data(V1_TABLE, fixture_json("pxweb_v1/query_se.json"))
    assert result.requests == 1 and replay.bodies == [fixture_json("pxweb_v1/query_se.json")]
    frame = decode_jsonstat2(json.loads(result.files[0].read_text("utf-8"))).frame
    assert frame["value"].to_list() == [332.8, 343.9, 359.9, 254.6, 263.0, 277.3, 291.9, 301.5, 316.6]


def test_bad_config_is_named(server: LocalServer, tmp_path: Path) -> None:
    replay = PxWebReplay(server, config_overrides={"maxDataCells": 0})
    with pytest.raises(ValueError, match="maxDataCells must be a positive number"):
        client(replay, tmp_path).limits()


def test_an_answer_over_the_byte_ceiling_is_refused_and_not_stored(
    server: LocalServer, tmp_path: Path
) -> None:
    # SCB builds every URL from its settings and follows no links; its answers share Kolada's ceiling
    replay = PxWebReplay(server)
    scb = client(replay, tmp_path, max_response_bytes=4096)
    with pytest.raises(
        SourcePostError, match=r"Content-Length [\d,]+ is over the 4,096-byte ceiling"
    ) as info:
        scb.data("TAB6471", full_selection())
    assert str(info.value).startswith("POST ") and not info.value.transient
    assert not list((tmp_path / "raw").rglob("*.json"))
