"""sources.rawstore for Kolada pages and SCB answers: round trips, sha256, dtypes, concurrency, errors.

Stores written by the two store classes that came before sources.rawstore still read, and the same
answers written now give the same bytes (tests/sources/data/rawstore_v1).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from sources.http import JsonResponse
from sources.kolada.rawstore import iter_pages, kolada_store, read_pages
from sources.rawstore import (
    PAGES_SCHEMA,
    RawStoreEscapeError,
    RawStoreIntegrityError,
    new_fetch_id,
    verify_pages,
)
from sources.scb.store import scb_store

from .kolada import metadata

# written by the old sources/kolada/rawstore.py RawStore and sources/scb/store.py ResponseStore
OLD_STORES = Path(__file__).parent / "data" / "rawstore_v1"


def page(
    values: list[dict], url: str, fetched_at: datetime | None = None, pretty: bool = False
) -> JsonResponse:
    """A page as the API would send it; `pretty` adds newlines and indentation to the body bytes."""
    envelope = {"values": values, "count": len(values), "next_url": None, "previous_url": None}
    body = json.dumps(envelope, ensure_ascii=False, indent=2 if pretty else None).encode("utf-8")
    when = fetched_at or datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)
    return JsonResponse(url, 200, body, envelope, when, 1)


def test_round_trip_is_byte_identical_with_the_specified_dtypes(tmp_path: Path) -> None:
    municipalities = metadata("municipality")
    kpis = metadata("kpi")[:200]
    # An eccentric but valid body: U+2028 must survive NDJSON (it is not a line break there).
    odd = [{"id": "N00003", "title": 'line\u2028separator "quoted" \\ back', "emoji": "\u00e5\u00e4\u00f6"}]
    pages = [
        page(municipalities, "https://api.kolada.se/v3/municipality?per_page=5000", pretty=True),
        page(
            kpis,
            "https://api.kolada.se/v3/kpi?per_page=5000",
            datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
        ),
        page(odd, "https://api.kolada.se/v3/kpi?page=2&per_page=5000"),
    ]
    store = kolada_store(tmp_path, "20261122T100000Z-abc123")
    for p in pages:
        store.write("kpi", p)
    assert store.fetch_dir == tmp_path / "raw" / "kolada" / "20261122T100000Z-abc123"
    assert len((store.fetch_dir / "kpi.ndjson").read_text("utf-8").split("\n")) == 4  # 3 lines + final ""

    df = read_pages(store.fetch_dir, "kpi")
    assert df.schema == PAGES_SCHEMA
    assert [b.encode("utf-8") for b in df["body"]] == [p.body for p in pages]
    assert df["sha256"].to_list() == [hashlib.sha256(p.body).hexdigest() for p in pages]
    assert df["fetched_at"].to_list() == [p.fetched_at.astimezone(UTC) for p in pages]
    assert df["url"].to_list() == [p.url for p in pages]
    assert df["status"].to_list() == [200, 200, 200] and df["endpoint"].unique().to_list() == ["kpi"]
    verify_pages(df)
    # The design's bulk decode works on the stored bodies.
    decoded = df.select(pl.col("body").str.json_decode(pl.Struct({"count": pl.Int64})).struct.field("count"))
    assert decoded["count"].to_list() == [len(municipalities), 200, 1]
    assert store.manifest()["kpi"]["pages"] == 3
    assert store.manifest()["kpi"]["bytes"] == sum(len(p.body) for p in pages)


def test_verify_pages_detects_a_changed_body(tmp_path: Path) -> None:
    store = kolada_store(tmp_path, new_fetch_id())
    store.write("municipality", page(metadata("municipality"), "https://h/v3/municipality"))
    store.write("municipality", page(metadata("municipality")[:5], "https://h/v3/municipality?page=2"))
    df = read_pages(store.fetch_dir, "municipality")
    tampered = df.with_columns(
        pl.when(pl.col("url").str.ends_with("page=2"))
        .then(pl.col("body").str.replace("Stockholm", "Stockholms"))
        .otherwise(pl.col("body"))
    )
    with pytest.raises(RawStoreIntegrityError, match=r"1 of 2 raw pages .*page=2"):
        verify_pages(tampered)


def test_missing_file_gives_an_empty_frame_with_the_schema(tmp_path: Path) -> None:
    df = read_pages(tmp_path / "nothing-here", "data")
    assert df.height == 0 and df.schema == PAGES_SCHEMA
    (tmp_path / "data.ndjson").touch()
    assert read_pages(tmp_path, "data").schema == PAGES_SCHEMA


def test_concurrent_writes_give_whole_lines(tmp_path: Path) -> None:
    store = kolada_store(tmp_path, new_fetch_id())
    kpis = metadata("kpi")[:50]

    def writer(worker: int) -> None:
        for n in range(25):
            store.write("data", page(kpis, f"https://h/v3/data/{worker}/{n}"))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    df = read_pages(store.fetch_dir, "data")
    assert df.height == 200 and df["url"].n_unique() == 200
    verify_pages(df)
    assert store.manifest() == {
        "data": {"pages": 200, "bytes": 200 * len(page(kpis, "x").body), "file": str(store.path("data"))}
    }


def test_rejects_unknown_endpoints_bad_fetch_ids_and_non_utf8_bodies(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown Kolada endpoint"):
        kolada_store(tmp_path, "f1").write("values", page([], "u"))
    with pytest.raises(ValueError, match="unknown Kolada endpoint"):
        read_pages(tmp_path, "../etc")
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="invalid fetch_id"):
            kolada_store(tmp_path, bad)
    latin1 = JsonResponse("u", 200, '{"values": ["Malmö"]}'.encode("latin-1"), {}, datetime.now(UTC), 1)
    with pytest.raises(UnicodeDecodeError):
        kolada_store(tmp_path, "f2").write("kpi", latin1)


def test_new_fetch_id_is_timestamped_and_unique() -> None:
    ids = {new_fetch_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{12}", i) for i in ids)


def test_iter_pages_batches_equal_read_pages(tmp_path: Path) -> None:
    """Batches of 2 pages concatenate to exactly what read_pages returns (order, values, dtypes)."""
    store = kolada_store(tmp_path, "batched")
    for n in range(5):
        store.write("data", page([{"kpi": "N00003", "n": n}], f"https://api.kolada.se/v3/data?page={n}"))
    batches = list(iter_pages(store.fetch_dir, "data", 2))
    assert [b.height for b in batches] == [2, 2, 1]
    assert pl.concat(batches).equals(read_pages(store.fetch_dir, "data"))
    assert list(iter_pages(tmp_path / "absent", "data", 2)) == []
    with pytest.raises(ValueError, match="at least 1"):
        list(iter_pages(store.fetch_dir, "data", 0))


def _stored(line: dict, body: bytes) -> JsonResponse:
    """The answer a stored line was written from."""
    return JsonResponse(
        line["url"], line["status"], body, None, datetime.fromisoformat(line["fetched_at"]), 1
    )


def test_a_kolada_store_written_by_the_old_code_reads_and_is_written_the_same_today(tmp_path: Path) -> None:
    (old,) = (OLD_STORES / "raw" / "kolada").iterdir()
    for endpoint in ("kpi", "data"):
        df = read_pages(old, endpoint)
        assert df.schema == PAGES_SCHEMA and df.height == 1
        verify_pages(df)
        assert df["fetched_at"].to_list() == [datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=UTC)]
        store = kolada_store(tmp_path, old.name)
        # split("\n"), not splitlines(): U+2028 inside a body is no line break in NDJSON
        for line in (old / f"{endpoint}.ndjson").read_text("utf-8").split("\n")[:-1]:
            record = json.loads(line)
            store.write(endpoint, _stored(record, record["body"].encode("utf-8")))
        assert store.path(endpoint).read_bytes() == (old / f"{endpoint}.ndjson").read_bytes()
    assert "\u2028" in read_pages(old, "kpi")["body"][0]


def test_an_scb_store_written_by_the_old_code_reads_and_is_written_the_same_today(tmp_path: Path) -> None:
    (old,) = (OLD_STORES / "raw" / "scb").iterdir()
    lines = [json.loads(line) for line in (old / "manifest.ndjson").read_text("utf-8").splitlines()]
    assert [m["file"] for m in lines] == ["TAB6471-0001.json"]
    store = scb_store(tmp_path, old.name)
    for line in lines:
        body = (old / line["file"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == line["sha256"]
        kept = store.write_file("TAB6471", _stored(line, body), line["request"])
        assert kept.name == line["file"] and kept.read_bytes() == body
    assert store.manifest_path.read_bytes() == (old / "manifest.ndjson").read_bytes()
    assert store.fetch_dir == tmp_path / "raw" / "scb" / old.name


def test_scb_answers_are_numbered_files_with_manifest_lines(tmp_path: Path) -> None:
    store = scb_store(tmp_path, "f1")
    answers = [page([{"n": n}], f"https://scb/api/v2/tables/TAB6471/data?n={n}") for n in range(3)]
    files = [store.write_file("TAB6471", a, {"n": n}) for n, a in enumerate(answers)]
    assert [f.name for f in files] == ["TAB6471-0001.json", "TAB6471-0002.json", "TAB6471-0003.json"]
    assert store.files == files and [f.read_bytes() for f in files] == [a.body for a in answers]
    manifest = [json.loads(line) for line in store.manifest_path.read_text("utf-8").splitlines()]
    assert [m["request"] for m in manifest] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert [m["sha256"] for m in manifest] == [hashlib.sha256(a.body).hexdigest() for a in answers]
    with pytest.raises(ValueError, match="invalid scb name"):
        store.write_file("../TAB", answers[0])
    with pytest.raises(ValueError, match="pages cannot go there"):
        store.write("manifest", answers[0])


def test_a_planted_symlink_is_refused_for_every_source(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = tmp_path / "data"
    (data / "raw").mkdir(parents=True)
    for source, make in (("kolada", kolada_store), ("scb", scb_store)):
        (data / "raw" / source).symlink_to(outside)
        with pytest.raises(RawStoreEscapeError, match="remove the symbolic link"):
            make(data, "f1")
        (data / "raw" / source).unlink()
    store = scb_store(data, "f2")
    store.manifest_path.symlink_to(outside / "elsewhere.ndjson")
    with pytest.raises(OSError, match="symbolic links"):
        store.write_file("TAB6471", page([], "u"))
    assert not (outside / "elsewhere.ndjson").exists()
