"""sources.kolada.client and settings against the Kolada replay (real fixture data, real API rules)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from fakes.kolada import ReplayServer
from sources.http import SourceHTTPError
from sources.kolada.client import KoladaClient
from sources.kolada.paging import chunked
from sources.kolada.rawstore import kolada_store, read_pages
from sources.kolada.settings import KoladaSettings
from sources.rawstore import verify_pages

from . import first_pages, metadata, seen

# Value rows of the KPIs below: each has data for 291 of the 312 units (none for the 21 regions).
WITH_DATA_KPIS = ["N02901", "N02903", "N04159"]


@pytest.fixture
def fake(replay: ReplayServer) -> Iterator[ReplayServer]:
    replay.set_page_size(1000)
    yield replay
    # The client must never have provoked the API's own limits (422) nor left out per_page.
    assert not [s for s in seen(replay) if s.status in (400, 422) or "per_page" not in s.args]


@pytest.fixture
def settings(replay: ReplayServer) -> KoladaSettings:
    return KoladaSettings(base_url=replay.base_url + "/", rate=1000.0, backoff_base=0.0, max_attempts=2)


def value_rows(fake: ReplayServer, kpis: list[str], units: list[str] | None = None) -> pl.DataFrame:
    """The replay's value rows (one per gender) of `kpis`, optionally only those of `units`."""
    rows = fake.dataset.values("base").filter(pl.col("kpi").is_in(kpis))
    return rows if units is None else rows.filter(pl.col("municipality").is_in(units))


def item_count(rows: pl.DataFrame) -> int:
    """Items are (kpi, unit, period); each holds its gender rows as values."""
    return rows.select("kpi", "municipality", "period").n_unique()


def make_client(settings: KoladaSettings, tmp_path: Path, progress: Any = None) -> KoladaClient:
    return KoladaClient(settings, kolada_store(tmp_path, "fetch-1"), progress)


def segments_of(path: str) -> dict[str, list[str]]:
    parts = path.split("/")[3:]
    return {name: ids.split(",") for name, ids in zip(parts[::2], parts[1::2], strict=True)}


def test_full_kpi_catalogue_is_paged_and_stored(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path
) -> None:
    progress: list[tuple[str, int]] = []
    client = make_client(settings, tmp_path, lambda ep, n: progress.append((ep, n)))
    result = client.metadata("kpi")
    assert (result.endpoint, result.items, result.pages, result.values) == ("kpi", 6099, 7, 0)
    assert result.missing_ids == {} and len(result.urls) == 7
    assert progress == [("kpi", n) for n in range(1, 8)]
    pages = read_pages(client.store.fetch_dir, "kpi")
    assert pages["url"].to_list() == result.urls
    verify_pages(pages)
    assert client.stats["pages"] == 7 and client.stats["items"] == 6099 and client.stats["requests"] == 7


def test_metadata_by_ids_chunks_and_reports_missing_ids(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    real = [k["id"] for k in metadata("kpi")[:60]]
    absent = next(
        f"N{n:05d}" for n in range(99999, 0, -1) if f"N{n:05d}" not in {k["id"] for k in metadata("kpi")}
    )
    with caplog.at_level(logging.WARNING, logger="jamfor.kolada"):
        result = make_client(settings, tmp_path).metadata("kpi", ids=[*real, absent, real[0]])
    assert result.items == 60 and result.missing_ids == {"kpi": [absent]}
    assert sorted(len(s.path.split("/")[3].split(",")) for s in seen(fake)) == [11, 25, 25]
    (warning,) = [r for r in caplog.records if r.name == "jamfor.kolada" and r.levelno == logging.WARNING]
    assert absent in warning.getMessage()


def test_title_search_is_url_encoded(fake: ReplayServer, settings: KoladaSettings, tmp_path: Path) -> None:
    needle = "Brukarbedömning hemtjänst äldreomsorg"
    result = make_client(settings, tmp_path).metadata("kpi", title=needle)
    expected = [k for k in metadata("kpi") if needle.lower() in k["title"].lower()]
    assert result.items == len(expected) > 0
    assert seen(fake)[0].args["title"] == needle
    assert " " not in result.urls[0] and "Brukarbed%C3%B6mning%20hemtj%C3%A4nst" in result.urls[0]


def test_ou_by_municipality_filter_is_chunked(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path
) -> None:
    munis = [m["id"] for m in metadata("municipality") if not m["id"].startswith("00")][:40]
    result = make_client(settings, tmp_path).metadata("ou", municipality=munis)
    expected = [o for o in metadata("ou") if o["municipality"] in set(munis)]
    assert result.items == len(expected) > 1000
    assert sorted(len(s.args["municipality"].split(",")) for s in first_pages(fake)) == [15, 25]


def test_data_chunks_every_segment_and_requests_the_cartesian_product_once(
    fake: ReplayServer,
    settings: KoladaSettings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.set_page_size(40)
    years = list(range(1995, 2022))
    rows = value_rows(fake, WITH_DATA_KPIS).filter(pl.col("period").is_in(years))
    units = set(rows["municipality"].to_list())
    served_kpis = set(fake.dataset.values("base")["kpi"].to_list())
    kpis = WITH_DATA_KPIS + [k["id"] for k in metadata("kpi") if k["id"] not in served_kpis][:27]
    with_data_munis = [m["id"] for m in metadata("municipality") if m["id"] in units][:11]
    munis = with_data_munis + [m["id"] for m in metadata("municipality") if m["id"] not in units][:19]
    assert (len(kpis), len(munis), len(years)) == (30, 30, 27)
    progress: list[int] = []
    with caplog.at_level(logging.WARNING, logger="jamfor.kolada"):
        result = make_client(settings, tmp_path, lambda _ep, n: progress.append(n)).data(kpis, munis, years)

    assert all(s.args["per_page"] == "5000" for s in seen(fake))
    assert all(len(ids) <= 25 for s in seen(fake) for ids in segments_of(s.path).values())
    requested = [tuple(tuple(v) for v in segments_of(s.path).values()) for s in first_pages(fake)]
    expected = {
        (tuple(k), tuple(m), tuple(y))
        for k in chunked(kpis, 25)
        for m in chunked(munis, 25)
        for y in chunked([str(y) for y in years], 25)
    }
    assert len(requested) == 8 and set(requested) == expected

    wanted = value_rows(fake, kpis, munis).filter(pl.col("period").is_in(years))
    assert result.items == item_count(wanted) == 391 and result.values == wanted.height == 698
    assert result.pages == len(seen(fake)) > 8 and progress == list(range(1, result.pages + 1))
    seen_years = {str(y) for y in wanted["period"].to_list()}
    assert result.missing_ids == {
        "kpi": kpis[len(WITH_DATA_KPIS) :],
        "municipality": munis[len(with_data_munis) :],
        **({"year": [str(y) for y in years if str(y) not in seen_years]} if len(seen_years) < 27 else {}),
    }
    (warning,) = [r for r in caplog.records if r.name == "jamfor.kolada" and r.levelno == logging.WARNING]
    assert "kpi=" + kpis[-27] in warning.getMessage() and "more)" in warning.getMessage()
    stored = read_pages(tmp_path / "raw" / "kolada" / "fetch-1", "data")
    assert stored.height == result.pages and sorted(stored["url"].to_list()) == sorted(result.urls)


def test_two_segment_forms_and_from_date(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path
) -> None:
    fake.set_page_size(5)
    client = make_client(settings, tmp_path)
    munis = ["0180", "1280", "1480"]
    result = client.data(kpi="N02901", municipality=munis, from_date=date(2024, 1, 31))
    # every base value counts as updated on the scrape date (2024-08-30), after from_date
    changed = value_rows(fake, ["N02901"], munis).filter(pl.col("updated") > date(2024, 1, 31))
    assert result.items == item_count(changed) == 45 and result.missing_ids == {}
    assert result.values == changed.height == 135
    assert seen(fake)[0].path == "/v3/data/kpi/N02901/municipality/0180,1280,1480"
    assert len(seen(fake)) == 9 and all(s.args["from_date"] == "2024-01-31" for s in seen(fake))
    by_year = client.data(kpi="N02901", year=2010)
    in_2010 = value_rows(fake, ["N02901"]).filter(pl.col("period") == 2010)
    assert seen(fake)[-1].path == "/v3/data/kpi/N02901/year/2010"
    assert by_year.items == item_count(in_2010) == 291


def test_oudata_path_form(fake: ReplayServer, settings: KoladaSettings, tmp_path: Path) -> None:
    ous = [o["id"] for o in metadata("ou") if o["id"].startswith("V21E")][:3]
    result = make_client(settings, tmp_path).oudata(kpi=["U21468"], ou=ous, year=[2022, 2023])
    assert seen(fake)[0].path == f"/v3/oudata/kpi/U21468/ou/{','.join(ous)}/year/2022,2023"
    # The fixtures hold no OU values, so the replay answers every /oudata request with no items.
    assert (result.endpoint, result.items, result.values) == ("oudata", 0, 0)
    assert result.missing_ids == {"kpi": ["U21468"], "ou": ous, "year": ["2022", "2023"]}


def test_oudata_items_are_counted_and_nothing_is_missing(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path
) -> None:
    """The real fixtures hold no OU values, so the replay serves canned SYNTHETIC ones (one value per
    OU and year, in the v3 item shape) to check the counting that test_oudata_path_form cannot."""
    ous = [o["id"] for o in metadata("ou") if o["id"].startswith("V21E")][:3]
    items = [
        {
            "kpi": "U21468",
            "ou": ou,
            "period": year,
            "values": [{"gender": "T", "count": 1, "status": "", "value": 1.0}],
        }
        for ou in ous
        for year in (2022, 2023)
    ]
    fake.set_canned({"oudata": [items]})
    try:
        result = make_client(settings, tmp_path).oudata(kpi=["U21468"], ou=ous, year=[2022, 2023])
    finally:
        fake.set_canned(None)
    assert (result.endpoint, result.items, result.values, result.missing_ids) == ("oudata", 6, 6, {})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.data(kpi=["N00945", "X1", "n00001"], year=[2020]), r"invalid kpi ids .*X1, n00001"),
        (lambda c: c.data(kpi="N00945", municipality=["180", "0180"]), "invalid municipality ids .*180"),
        (lambda c: c.data(kpi="N00945", year=["20x0"]), "invalid year ids .*20x0"),
        (lambda c: c.oudata(kpi="N00945", ou=["V1E"]), "invalid ou ids .*V1E"),
        (lambda c: c.data(kpi="N00945"), "at least two"),
        (lambda c: c.data(kpi=[], year=2020), "empty id list"),
        (lambda c: c.data(kpi="N00945", year=2020, from_date="2024-01-01"), "from_date"),
        (lambda c: c.metadata("kpis"), "unknown Kolada entity"),
        (lambda c: c.metadata("kpi_groups", ids=["GKPI-1"]), "invalid kpi_groups ids"),
        (lambda c: c.metadata("municipality_groups", ids=["0180"]), "invalid municipality_groups ids"),
        (lambda c: c.metadata("kpi", municipality=["0180"]), "only applies to entity 'ou'"),
    ],
)
def test_invalid_arguments_fail_before_any_request(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(make_client(settings, tmp_path))
    assert seen(fake) == []


def test_a_failing_path_raises_and_stops_the_fetch(
    fake: ReplayServer, settings: KoladaSettings, tmp_path: Path
) -> None:
    fake.fail_path("N03703", "500")
    client = make_client(settings, tmp_path)
    with pytest.raises(SourceHTTPError) as info:
        client.data(kpi=["N03702", "N03703"] + [f"N0{n}" for n in range(1000, 1024)], year=2015)
    assert info.value.status == 500 and info.value.attempts == 2 and "N03703" in info.value.url
    assert client.stats["retries"] >= 1 and client.stats["by_reason"]["http_500"] == 2


def test_settings_defaults() -> None:
    s = KoladaSettings()
    assert (s.base_url, s.rate, s.concurrency, s.connect_timeout, s.read_timeout) == (
        "https://api.kolada.se/v3",
        5.0,
        4,
        10.0,
        60.0,
    )
    assert (s.max_attempts, s.backoff_base, s.backoff_max, s.per_page, s.max_ids) == (5, 0.5, 30.0, 5000, 25)
    assert s.user_agent == "jamfor/0.1 (+https://github.com/jamfor)"


def test_settings_from_env_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_KOLADA_URL", "http://localhost:8080/v3/")
    monkeypatch.setenv("JAMFOR_KOLADA_RATE", "2.5")
    monkeypatch.setenv("JAMFOR_KOLADA_CONCURRENCY", "8")
    monkeypatch.setenv("JAMFOR_KOLADA_TIMEOUT", "5, 30")
    monkeypatch.setenv("JAMFOR_KOLADA_RETRIES", "3")
    s = KoladaSettings.from_env(rate=None, concurrency=2)
    assert (s.base_url, s.rate, s.concurrency) == ("http://localhost:8080/v3", 2.5, 2)
    assert (s.connect_timeout, s.read_timeout, s.max_attempts) == (5.0, 30.0, 3)
    single = KoladaSettings.from_env({"JAMFOR_KOLADA_TIMEOUT": "7"})
    assert (single.connect_timeout, single.read_timeout, single.base_url) == (
        7.0,
        7.0,
        "https://api.kolada.se/v3",
    )


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("JAMFOR_KOLADA_RATE", "fast"),
        ("JAMFOR_KOLADA_RATE", "0"),
        ("JAMFOR_KOLADA_CONCURRENCY", "1.5"),
        ("JAMFOR_KOLADA_CONCURRENCY", "0"),
        ("JAMFOR_KOLADA_TIMEOUT", "10,60,90"),
        ("JAMFOR_KOLADA_TIMEOUT", "10,-1"),
        ("JAMFOR_KOLADA_RETRIES", "none"),
        ("JAMFOR_KOLADA_URL", "ftp://api.kolada.se/v3"),
    ],
)
def test_settings_from_env_errors_name_the_variable(var: str, value: str) -> None:
    with pytest.raises(ValueError, match=var):
        KoladaSettings.from_env({var: value})


def test_settings_invalid_overrides() -> None:
    with pytest.raises(ValueError, match="max_ids"):
        KoladaSettings.from_env({}, max_ids=26)
    with pytest.raises(ValueError, match="per_page"):
        KoladaSettings(per_page=5001)
    with pytest.raises(TypeError, match="unknown KoladaSettings fields"):
        KoladaSettings.from_env({}, retries=3)
