"""Benchmark 2: the same synthetic v3 pages through dlt into DuckDB, fed dict rows and fed Arrow tables.

Run: `python -m bench.dlt_peer --values 1000000 --dict-values 200000`. dlt with dict rows is slow, so
it gets a smaller sample; every figure is a rate (values/s), so the ratios compare like with like.
Needs the `bench` extra (dlt[duckdb], pinned in requirements.lock).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from bench.load import run_pipeline
from bench.synthetic import value_frame, write_fetch

ITEM = pl.Struct(
    {
        "kpi": pl.String,
        "municipality": pl.String,
        "period": pl.Int32,
        "values": pl.List(
            pl.Struct(
                {
                    "gender": pl.String,
                    "count": pl.Int64,
                    "status": pl.String,
                    "value": pl.Float64,
                    "isdeleted": pl.Boolean,
                }
            )
        ),
    }
)


def _bodies(pages_ndjson: Path) -> list[str]:
    return pages_ndjson.read_text(encoding="utf-8").splitlines()


def dict_rows(bodies: list[str]) -> Iterator[dict]:
    """What most users write: json.loads per page and one dict per value."""
    for body in bodies:
        for item in json.loads(body)["values"]:
            for entry in item["values"]:
                yield {
                    "kpi": item["kpi"],
                    "municipality": item["municipality"],
                    "period": item["period"],
                    **entry,
                }


def arrow_tables(bodies: list[str]) -> Iterator[object]:
    """dlt's fastest path: one Arrow table per page, flattened with Polars."""
    for body in bodies:
        frame = pl.DataFrame({"body": [body]}).select(
            pl.col("body").str.json_decode(pl.Struct({"values": pl.List(ITEM)})).struct.field("values")
        )
        flat = frame.explode("values").unnest("values").explode("values").unnest("values")
        yield flat.to_arrow()


def run_dlt(data: Iterator, workdir: Path, name: str, loader: str | None) -> float:
    """Run one dlt pipeline into a fresh DuckDB file; return the seconds it took."""
    import dlt

    pipeline = dlt.pipeline(
        pipeline_name=name,
        destination=dlt.destinations.duckdb(str(workdir / f"{name}.duckdb")),
        dataset_name="bench",
        pipelines_dir=str(workdir / "dlt_pipelines"),
    )
    started = time.perf_counter()
    kwargs = {"loader_file_format": loader} if loader else {}
    pipeline.run(data, table_name="kolada_value", **kwargs)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Measure jamfor's pipeline, dlt with Arrow tables, dlt with dict rows (parquet and default loaders)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--dict-values", type=int, default=200_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    with tempfile.TemporaryDirectory(prefix="jamfor-bench-dlt-") as tmp:
        work = Path(tmp)
        big = write_fetch(value_frame(args.values), work / "big")
        small = write_fetch(value_frame(args.dict_values), work / "small")
        rows, ours_s, _, steps = run_pipeline(big, work / "jamfor.duckdb", "bench-dlt")
        ours = rows / ours_s
        # dlt builds no comparison tables: also compare our load without the marts step
        core = rows / (ours_s - steps.get("marts", 0.0))
        arrow = big.values / run_dlt(arrow_tables(_bodies(big.pages_ndjson)), work, "arrow", None)
        dict_parquet = small.values / run_dlt(
            dict_rows(_bodies(small.pages_ndjson)), work, "dicts_pq", "parquet"
        )
        dict_default = small.values / run_dlt(dict_rows(_bodies(small.pages_ndjson)), work, "dicts", None)
    print(f"synthetic v3 pages: {args.values:,} values (dict-row runs: {args.dict_values:,})")
    print(f"  jamfor pipeline (validated, historised, published): {ours / 1e6:.3f} M values/s")
    print(f"  jamfor without the marts step:                      {core / 1e6:.3f} M values/s")
    print(f"  dlt fed Arrow tables:                               {arrow / 1e6:.3f} M values/s")
    print(f"  dlt fed dict rows, parquet loader:                  {dict_parquet / 1e6:.3f} M values/s")
    print(f"  dlt fed dict rows, default loader:                  {dict_default / 1e6:.3f} M values/s")
    print(
        f"  ratios jamfor / dlt: Arrow {ours / arrow:.2f}x, dicts+parquet {ours / dict_parquet:.1f}x, "
        f"dicts default {ours / dict_default:.1f}x"
    )
    print(
        f"  without the marts: Arrow {core / arrow:.2f}x, dicts+parquet {core / dict_parquet:.1f}x, "
        f"dicts default {core / dict_default:.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
