"""KoladaClient end to end against the ReplayServer (real values, real API limits, injected faults)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from fakes.kolada import ReplayServer
from sources.http import HttpClient, RateLimiter, RetryPolicy, SourceHTTPError
from sources.kolada.client import KoladaClient
from sources.kolada.rawstore import kolada_store, read_pages
from sources.kolada.settings import KoladaSettings
from sources.rawstore import verify_pages

from . import metadata

FAST_FAULTS = ("429", "500", "502", "503", "504", "truncate", "drop", "html200")


def settings_for(replay: ReplayServer, **overrides: float) -> KoladaSettings:
    values = {
        "rate": 500.0,
        "max_attempts": 8,
        "backoff_base": 0.001,
        "backoff_max": 0.01,
        "read_timeout": 2.0,
    }
    return KoladaSettings(base_url=replay.base_url, **{**values, **overrides})


def test_full_data_fetch_survives_faults_and_matches_the_dataset(
    replay: ReplayServer, tmp_path: Path
) -> None:
    replay.set_faults(0.15, kinds=FAST_FAULTS, seed=7, retry_after=0.01)
    base = replay.dataset.values("base")
    kpis = base["kpi"].unique().sort().to_list()
    munis = [m["id"] for m in metadata("municipality")]
    years = list(range(1994, 2023))
    client = KoladaClient(settings_for(replay), kolada_store(tmp_path, "replay-1"))
    result = client.data(kpi=kpis, municipality=munis, year=years)

    wanted = base.filter(pl.col("period").is_between(1994, 2022))
    keys = wanted.select("kpi", "municipality", "period").unique()
    assert (result.items, result.values) == (keys.height, wanted.height)
    seen_munis, seen_years = set(keys["municipality"].to_list()), set(keys["period"].to_list())
    expected_missing = {
        "municipality": [m for m in munis if m not in seen_munis],
        "year": [str(y) for y in years if y not in seen_years],
    }
    assert result.missing_ids == {seg: ids for seg, ids in expected_missing.items() if ids}

    log = replay.request_log
    faulted = [r for r in log if r.fault]
    assert faulted and client.stats["retries"] == len(faulted)
    assert all(r.status in (200, None) or r.fault for r in log), "the client provoked an API error"
    for record in log:
        split = urlsplit(record.path)
        assert all(len(seg.split(",")) <= 25 for seg in split.path.split("/")[4::2])
        assert parse_qs(split.query)["per_page"] == ["5000"]

    pages = read_pages(tmp_path / "raw" / "kolada" / "replay-1", "data")
    verify_pages(pages)
    assert pages.height == result.pages == len(log) - len(faulted) >= 26
    assert sum(len(json.loads(body)["values"]) for body in pages["body"]) == result.items


def test_slow_reply_times_out_and_is_retried(replay: ReplayServer, tmp_path: Path) -> None:
    replay.set_faults(0.0, slow_seconds=0.5)
    replay.fail_next(1, "slow")
    client = KoladaClient(settings_for(replay, read_timeout=0.2), kolada_store(tmp_path, "slow"))
    result = client.metadata("municipality")
    assert result.items == 312 and client.stats["by_reason"] == {"timeout": 1}


def test_retry_after_from_the_replay_is_honoured(replay: ReplayServer, tmp_path: Path) -> None:
    replay.set_faults(0.0, retry_after=1.5)
    replay.fail_next(2, "429")
    sleeps: list[float] = []
    s = settings_for(replay)
    http = HttpClient(
        RateLimiter(s.rate), RetryPolicy(s.max_attempts, 0.001, 0.01), 2.0, 2.0, "t", sleeps.append
    )
    result = KoladaClient(s, kolada_store(tmp_path, "r"), http=http).metadata("kpi", ids=["N00003", "N00005"])
    assert result.items == 2 and len(sleeps) == 2 and min(sleeps) >= 1.5


def test_persistent_503_raises_after_max_attempts(replay: ReplayServer, tmp_path: Path) -> None:
    replay.fail_next(10, "503")
    client = KoladaClient(settings_for(replay, max_attempts=3), kolada_store(tmp_path, "f"))
    with pytest.raises(SourceHTTPError) as info:
        client.metadata("municipality")
    assert info.value.status == 503 and info.value.attempts == 3 and len(replay.request_log) == 3
    assert "503 Service Temporarily Unavailable" in str(info.value)


def test_rate_limit_holds_at_the_replay_server(replay: ReplayServer, tmp_path: Path) -> None:
    ids = [k["id"] for k in metadata("kpi")[:500]]
    client = KoladaClient(settings_for(replay, rate=20.0), kolada_store(tmp_path, "rate"))
    result = client.metadata("kpi", ids=ids)
    assert result.items == 500 and result.pages == 20
    arrivals = [r.arrived_monotonic for r in replay.request_log]
    assert max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals) <= 20
