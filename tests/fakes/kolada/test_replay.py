"""The Kolada v3 replay server, checked over HTTP against expectations computed from the raw fixtures."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import requests

from fakes.kolada import ALL_FAULTS, ReplayServer, load_dataset
from fakes.kolada.dataset import REVISION_DELTA, REVISION_SEED, build_revision
from fakes.kolada.faults import FaultPlan
from sources.fixtures import fixtures_dir

KOLADA = fixtures_dir() / "kolada"
DUMP = KOLADA / "opennumbers_ddf_kolada_dump"
# the IFO folder writes Riket "0", regions "01", gender k/m and other column orders (its PROVENANCE.md)
IFO_DUMP = KOLADA / "opennumbers_ddf_kolada_dump_ifo"
DUMPS = (DUMP, IFO_DUMP)
SYSDATA = KOLADA / "rkolada_sysdata"
REPO_ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 30
Key = tuple[str, str, int, str]


def get(http: requests.Session, server: ReplayServer, path: str, **kw: object) -> requests.Response:
    return http.get(server.base_url + path, timeout=TIMEOUT, **kw)  # type: ignore[arg-type]


def fetch_all(http: requests.Session, url: str) -> list[dict]:
    """Follow next_url to the end, like a careful client (cycle guard included)."""
    items: list[dict] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        assert next_url not in seen
        seen.add(next_url)
        response = http.get(next_url, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["count"] == len(page["values"])
        items.extend(page["values"])
        next_url = page["next_url"]
    return items


def _kolada_unit(geo: str) -> str:
    """The IFO folder's "0" and "01" as Kolada's "0000" and "0001"; 4-digit ids unchanged."""
    return geo if len(geo) == 4 else geo.zfill(4)


def csv_values(kpi: str) -> dict[Key, float | None]:
    """(kpi, municipality, year, gender) → value, read with the csv module and Python float."""
    out: dict[Key, float | None] = {}
    for dump in DUMPS:
        total = dump / "datapoints--by--geo--year" / f"ddf--datapoints--{kpi.lower()}--by--geo--year.csv"
        by_gender = (
            dump
            / "datapoints--by--geo--gender--year"
            / f"ddf--datapoints--{kpi.lower()}--by--geo--gender--year.csv"
        )
        for path in (total, by_gender):
            if not path.exists():
                continue
            with path.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    text = row[kpi.lower()]
                    key = (kpi, _kolada_unit(row["geo"]), int(row["year"]), row.get("gender", "T").upper())
                    out[key] = float(text) if text else None
    return out


def flatten(items: list[dict], unit: str = "municipality") -> dict[Key, dict]:
    return {(i["kpi"], i[unit], i["period"], v["gender"]): v for i in items for v in i["values"]}


def wait_for_log(server: ReplayServer, n: int) -> None:
    """Wait until the server has logged `n` requests (a slow reply is logged when it is sent)."""
    deadline = time.monotonic() + TIMEOUT
    while len(server.request_log) < n:
        assert time.monotonic() < deadline, f"server logged {len(server.request_log)} of {n} requests"
        time.sleep(0.02)


def same_float(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.hex() == b.hex())


def test_kpi_catalogue_needs_two_pages_with_absolute_links(
    server: ReplayServer, http: requests.Session
) -> None:
    first = get(http, server, "/kpi?per_page=5000").json()
    assert first["count"] == 5000 and first["previous_url"] is None
    assert first["next_url"].startswith(server.base_url + "/kpi?")
    assert "page=2" in first["next_url"] and "per_page=5000" in first["next_url"]
    second = http.get(first["next_url"], timeout=TIMEOUT).json()
    assert second["count"] == 1099 and second["next_url"] is None
    assert second["previous_url"].startswith(server.base_url + "/kpi?") and "page=1" in second["previous_url"]
    ids = [k["id"] for k in first["values"] + second["values"]]
    expected = json.loads((SYSDATA / "rkolada_v3_2026-03-23_kpi.json").read_text(encoding="utf-8"))
    assert ids == [k["id"] for k in expected] and len(set(ids)) == 6099
    assert first["values"][0] == expected[0] and list(first["values"][0]) == list(expected[0])


def test_default_per_page_is_5000_and_small_pages_concatenate(
    server: ReplayServer, http: requests.Session
) -> None:
    assert get(http, server, "/kpi").json()["count"] == 5000
    small = fetch_all(http, server.base_url + "/municipality?per_page=100")
    assert small == get(http, server, "/municipality").json()["values"]
    assert [m["id"] for m in small] == sorted(m["id"] for m in small) and len(small) == 312


@pytest.mark.parametrize("query", ["per_page=5001", "per_page=0", "per_page=abc", "page=0", "page=x"])
def test_bad_paging_is_422_with_json(server: ReplayServer, http: requests.Session, query: str) -> None:
    response = get(http, server, f"/kpi?{query}")
    assert response.status_code == 422
    assert "detail" in response.json()


def test_more_than_25_ids_is_422(server: ReplayServer, http: requests.Session) -> None:
    munis = [m["id"] for m in get(http, server, "/municipality").json()["values"]][:26]
    too_many = get(http, server, f"/data/kpi/N31807/municipality/{','.join(munis)}/year/2020")
    assert too_many.status_code == 422 and "too many ids" in too_many.json()["detail"]
    ok = get(http, server, f"/data/kpi/N31807/municipality/{','.join(munis[:25])}/year/2020")
    assert ok.status_code == 200 and ok.json()["count"] == 25
    years = ",".join(str(y) for y in range(1994, 2020))
    assert get(http, server, f"/data/kpi/N31807/year/{years}").status_code == 422
    assert get(http, server, f"/kpi/{','.join(['N31807'] * 26)}").status_code == 422
    assert get(http, server, f"/ou?municipality={','.join(munis)}").status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/data?kpi=N31807&municipality=0180&year=2020", "/data/?kpi_id=N31807&municipality_id=0180&year=2020"],
)
def test_query_parameter_form_is_an_empty_200(
    server: ReplayServer, http: requests.Session, path: str
) -> None:
    response = get(http, server, path)
    assert response.status_code == 200
    assert response.json() == {"values": [], "count": 0, "next_url": None, "previous_url": None}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/data/kpi/N31807", 404),
        ("/data/year/2020", 404),
        ("/data/year/2020/kpi/N31807", 404),
        ("/data/kpi/N31807/ou/V15E144001301", 404),
        ("/nothing", 404),
        ("/kpi/N31807/extra", 404),
        ("/data/kpi/N31807/year/20x1", 400),
        ("/data/kpi/N31807,/year/2020", 400),
        ("/data/kpi/N31807/year/2020?from_date=2024-13-01", 400),
        ("/data/kpi/N31807/year/2020?from_date=yesterday", 400),
    ],
)
def test_route_errors(server: ReplayServer, http: requests.Session, path: str, status: int) -> None:
    response = get(http, server, path)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "detail" in response.json()


def test_unknown_ids_are_an_empty_200(server: ReplayServer, http: requests.Session) -> None:
    for path in ("/kpi/N00001", "/data/kpi/N00001/year/2020", "/data/kpi/N31807/municipality/9999/year/2020"):
        response = get(http, server, path)
        assert response.status_code == 200 and response.json()["values"] == []


def test_post_to_the_api_is_405(server: ReplayServer, http: requests.Session) -> None:
    assert http.post(server.base_url + "/kpi", timeout=TIMEOUT).status_code == 405


def test_values_equal_the_csv_bit_exactly(server: ReplayServer, http: requests.Session) -> None:
    expected = csv_values("U30452")
    items = fetch_all(
        http, server.base_url + "/data/kpi/U30452/year/" + ",".join(map(str, range(2016, 2023)))
    )
    got = flatten(items)
    assert got.keys() == expected.keys()
    assert all(same_float(got[k]["value"], v) for k, v in expected.items())
    assert any(v is None for v in expected.values()) and {k[3] for k in got} == {"T", "K", "M"}
    for item in items:
        genders = [v["gender"] for v in item["values"]]
        assert genders == sorted(genders, key="TKM".index)
        assert all(v["count"] == 1 and v["status"] == "" and v["isdeleted"] is False for v in item["values"])
    keys = [(i["kpi"], i["period"], i["municipality"]) for i in items]
    assert keys == sorted(keys) and len(keys) == len(set(keys))


def test_leading_zero_ids_and_type_a_units(server: ReplayServer, http: requests.Session) -> None:
    items = get(http, server, "/data/kpi/N31807/year/2020").json()["values"]
    units = {i["municipality"] for i in items}
    assert {"0000", "0001", "0114"} <= units and len(units) == 312
    assert not any(u.startswith("G") for u in units)


def test_ifo_folder_is_served_with_kolada_ids_and_genders(
    server: ReplayServer, http: requests.Session
) -> None:
    # U31402 väntetid: Enköping's own published 42 and 37 days (PROVENANCE); k/m become K/M
    items = get(http, server, "/data/kpi/U31402/municipality/0381/year/2016,2017").json()["values"]
    got = {(i["period"], v["gender"]): v["value"] for i in items for v in i["values"]}
    assert got == {
        (2016, "T"): 42.0,
        (2016, "K"): 46.0,
        (2016, "M"): 40.0,
        (2017, "T"): 37.0,
        (2017, "K"): 35.0,
        (2017, "M"): 38.0,
    }
    # N01984 has Riket as "0" and Region Stockholm as "01" in the folder: served as 0000 and 0001
    items = get(http, server, "/data/kpi/N01984/year/2022").json()["values"]
    values = {i["municipality"]: i["values"][0]["value"] for i in items}
    assert (values["0000"], values["0001"]) == (10.041144, 8.85307) and all(len(u) == 4 for u in values)


def group_expectation(kpi: str, group_id: str) -> dict[tuple[int, str], tuple[float | None, int]]:
    """Independent unweighted member mean per (year, gender) and the number of contributors."""
    groups = json.loads(
        (SYSDATA / "rkolada_v3_2026-03-23_municipality_groups.json").read_text(encoding="utf-8")
    )
    members = {m["member_id"] for g in groups if g["id"] == group_id for m in g["members"]}
    cells: dict[tuple[int, str], list[float | None]] = {}
    for (_, unit, year, gender), value in csv_values(kpi).items():
        if unit in members:
            cells.setdefault((year, gender), []).append(value)
    out = {}
    for cell, values in cells.items():
        present = [v for v in values if v is not None]
        out[cell] = (sum(present) / len(present) if present else None, len(present))
    return out


@pytest.mark.parametrize("group_id", ["G36002", "G92787", "G36453"])
def test_group_ids_answer_the_unweighted_member_mean(
    server: ReplayServer, http: requests.Session, group_id: str
) -> None:
    expected = group_expectation("U30452", group_id)
    items = get(http, server, f"/data/kpi/U30452/municipality/{group_id}").json()["values"]
    got = {(k[2], k[3]): (v["value"], v["count"]) for k, v in flatten(items).items()}
    assert got.keys() == expected.keys()
    for cell, (mean, count) in expected.items():
        assert got[cell][1] == count
        assert got[cell][0] == (None if mean is None else pytest.approx(mean, rel=1e-12))
    if group_id == "G36002":
        assert any(count == 0 for _, count in expected.values())


def collect_all_values(http: requests.Session, server: ReplayServer, query: str = "") -> dict[Key, dict]:
    every = sorted({p.name.split("--")[2].upper() for d in DUMPS for p in d.glob("datapoints--*/*.csv")})
    got: dict[Key, dict] = {}
    for start in range(0, len(every), 25):  # at most 25 ids per request
        kpis = ",".join(every[start : start + 25])
        for years in (range(1994, 2019), range(2019, 2023)):
            url = f"{server.base_url}/data/kpi/{kpis}/year/{','.join(map(str, years))}{query}"
            got.update(flatten(fetch_all(http, url)))
    return got


def test_from_date_sees_exactly_the_synthetic_revision(server: ReplayServer, http: requests.Session) -> None:
    assert collect_all_values(http, server, "?from_date=2025-01-01") == {}
    everything = collect_all_values(http, server, "?from_date=2024-01-01&per_page=3000")
    assert len(everything) == server.dataset.base.height
    server.set_dataset("revised")
    changed = collect_all_values(http, server, "?from_date=2025-01-01")
    keys = server.dataset.revision_keys()
    as_set = lambda frame: {(k, m, p, g) for k, m, p, g in frame.iter_rows()}  # noqa: E731
    assert changed.keys() == as_set(keys.changed) | as_set(keys.deleted)
    assert not as_set(keys.changed) & as_set(keys.deleted)
    base = {k: v for kpi in {k[0] for k in changed} for k, v in csv_values(kpi).items()}
    for key in as_set(keys.changed):
        assert key[3] == "T" and changed[key]["isdeleted"] is False
        assert same_float(changed[key]["value"], base[key] + REVISION_DELTA)
    assert all(changed[k]["isdeleted"] is True and changed[k]["value"] is None for k in as_set(keys.deleted))


def test_revision_is_seeded_and_sized(server: ReplayServer) -> None:
    base = server.dataset.base
    keys = server.dataset.revision_keys()
    again = build_revision(base, REVISION_SEED)[1]
    assert keys.changed.equals(again.changed) and keys.deleted.equals(again.deleted)
    non_null_t = base.filter((pl.col("gender") == "T") & pl.col("value").is_not_null()).height
    items = base.select("kpi", "municipality", "period").unique().height
    deleted_items = keys.deleted.select("kpi", "municipality", "period").unique().height
    assert 0.008 * non_null_t < keys.changed.height < 0.012 * non_null_t
    assert 0.004 * items < deleted_items < 0.006 * items


def test_dataset_is_cached_and_missing_fixtures_fail_loudly(tmp_path: Path) -> None:
    assert load_dataset() is load_dataset(fixtures_dir())
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset().values("other")


def test_metadata_filters(server: ReplayServer, http: requests.Session) -> None:
    lower = get(http, server, "/municipality?title=stockholm").json()["values"]
    upper = get(http, server, "/municipality?title=STOCKHOLM").json()["values"]
    assert lower == upper and {m["id"] for m in lower} == {"0001", "0180"}
    assert get(http, server, "/municipality?type=L").json()["count"] == 22
    ou_file = json.loads((KOLADA / "pykolada_v2_2024-01_ou" / "ou.json").read_text(encoding="utf-8"))
    stockholm = fetch_all(http, server.base_url + "/ou?municipality=0180,1280&per_page=500")
    assert stockholm == [o for o in ou_file if o["municipality"] in ("0180", "1280")]
    picked = get(http, server, "/kpi/N31807,N00003").json()["values"]
    assert [k["id"] for k in picked] == ["N00003", "N31807"]
    groups = json.loads((KOLADA / "pykolada_v2_2024-01" / "kpi_groups.json").read_text(encoding="utf-8"))
    served = get(http, server, "/kpi_groups/GKPI251").json()["values"]
    assert served == [g for g in groups if g["id"] == "GKPI251"] and list(served[0]) == [
        "id",
        "members",
        "title",
    ]


def test_oudata_answers_empty_for_valid_requests(server: ReplayServer, http: requests.Session) -> None:
    assert get(http, server, "/oudata/kpi/U28112/ou/V25E100063/year/2020").json()["values"] == []
    assert get(http, server, "/oudata/ou/V25E100063/year/2020").status_code == 200
    assert get(http, server, "/oudata/kpi/U28112").status_code == 404
    assert get(http, server, f"/oudata/kpi/U28112/ou/{','.join(['V25E1'] * 26)}").status_code == 422


def test_bodies_are_utf8_with_exact_length(server: ReplayServer, http: requests.Session) -> None:
    response = get(http, server, "/municipality/2321")
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert "Åre".encode() in response.content
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"


def test_stable_order_across_requests(server: ReplayServer, http: requests.Session) -> None:
    path = "/data/municipality/0180,1280,0001/year/2018,2019"
    first, second = get(http, server, path).content, get(http, server, path).content
    assert first == second
    keys = [(i["kpi"], i["period"], i["municipality"]) for i in json.loads(first)["values"]]
    assert keys == sorted(keys)


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504"])
def test_error_status_faults(server: ReplayServer, http: requests.Session, kind: str) -> None:
    server.fail_next(1, kind)
    response = get(http, server, "/kpi/N31807")
    assert response.status_code == int(kind)
    if kind == "429":
        assert response.headers["Retry-After"] == "1"
    assert get(http, server, "/kpi/N31807").status_code == 200
    log = server.request_log
    assert [(r.status, r.fault) for r in log] == [(int(kind), kind), (200, None)]


def test_retry_after_may_be_fractional(server: ReplayServer, http: requests.Session) -> None:
    server.set_faults(0.0, retry_after=0.1)
    server.fail_next(1, "429")
    assert get(http, server, "/kpi/N31807").headers["Retry-After"] == "0.1"


def test_truncate_drop_slow_and_html200(server: ReplayServer, http: requests.Session) -> None:
    server.fail_next(1, "truncate")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        get(http, server, "/municipality")
    server.fail_next(1, "drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        get(http, server, "/municipality")
    server.set_faults(0.0, slow_seconds=0.5)
    server.fail_next(1, "slow")
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(server.base_url + "/municipality", timeout=(5, 0.05))
    wait_for_log(server, 3)
    server.fail_next(1, "html200")
    html = get(http, server, "/municipality")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        html.json()
    assert get(http, server, "/municipality").json()["count"] == 312
    assert [(r.fault, r.status) for r in server.request_log] == [
        ("truncate", 200),
        ("drop", None),
        ("slow", 200),
        ("html200", 200),
        (None, 200),
    ]


def test_random_faults_are_seeded(server: ReplayServer, http: requests.Session) -> None:
    def run() -> list[int]:
        server.set_faults(0.5, kinds=["500", "503"], seed=7)
        return [get(http, server, "/kpi/N31807").status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500, 503}


def test_fault_settings_are_validated(server: ReplayServer) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        server.set_faults(0.1, kinds=["418"])
    with pytest.raises(ValueError):
        server.set_faults(1.5)
    with pytest.raises(ValueError):
        server.fail_next(1, "teapot")
    with pytest.raises(ValueError):
        server.set_dataset("latest")
    with pytest.raises(ValueError):
        server.set_latency(-1)
    plan = FaultPlan()
    plan.configure(1.0, kinds=ALL_FAULTS, seed=3)
    assert {plan.draw() for _ in range(200)} == set(ALL_FAULTS)


def test_control_endpoints(server: ReplayServer, http: requests.Session) -> None:
    control = server.base_url.removesuffix("/v3") + "/_replay"
    state = http.post(f"{control}/faults", json={"rate": 1.0, "kinds": ["503"], "seed": 1}, timeout=TIMEOUT)
    assert state.status_code == 200 and state.json()["faults"]["rate"] == 1.0
    assert get(http, server, "/kpi/N31807").status_code == 503
    assert http.get(f"{control}/log", timeout=TIMEOUT).status_code == 200
    assert http.post(f"{control}/reset", timeout=TIMEOUT).json()["faults"]["rate"] == 0.0
    assert http.post(f"{control}/fail_next", json={"n": 1, "kind": "500"}, timeout=TIMEOUT).ok
    assert get(http, server, "/kpi/N31807").status_code == 500
    assert http.post(f"{control}/latency", json={"seconds": 0.0}, timeout=TIMEOUT).ok
    assert (
        http.post(f"{control}/dataset", json={"name": "revised"}, timeout=TIMEOUT).json()["dataset"]
        == "revised"
    )
    assert server.dataset_name == "revised"
    log = http.get(f"{control}/log", timeout=TIMEOUT).json()
    assert [(r["path"], r["status"]) for r in log] == [("/v3/kpi/N31807", 500)]
    assert http.post(f"{control}/dataset", json={"name": "nope"}, timeout=TIMEOUT).status_code == 400
    assert http.post(f"{control}/faults", data=b"{not json", timeout=TIMEOUT).status_code == 400
    assert http.post(f"{control}/unknown", json={}, timeout=TIMEOUT).status_code == 404


def test_request_log_and_reset(server: ReplayServer, http: requests.Session) -> None:
    server.set_latency(0.01)
    for path in ("/kpi/N31807", "/municipality?type=K", "/nothing"):
        get(http, server, path)
    log = server.request_log
    assert [(r.method, r.path, r.status, r.fault) for r in log] == [
        ("GET", "/v3/kpi/N31807", 200, None),
        ("GET", "/v3/municipality?type=K", 200, None),
        ("GET", "/v3/nothing", 404, None),
    ]
    assert [r.arrived_monotonic for r in log] == sorted(r.arrived_monotonic for r in log)
    server.reset_log()
    assert server.request_log == []


def test_module_runs_in_foreground_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakes.kolada", "--port", "0", "--dataset", "revised"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = line.split()[3]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v3")
        assert requests.get(base_url + "/kpi/N31807", timeout=TIMEOUT).json()["count"] == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
