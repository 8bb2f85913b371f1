"""Benchmark 5: mart rebuild time on a loaded warehouse, and one municipality's comparison query latency.

Run: `python -m bench.marts --values 1000000`. Builds a warehouse from synthetic pages (not timed), then
times `marts.rebuild` per mart and the median latency of `jamfor compare`'s query for one kommun over
20 repeats on a read-only connection.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from bench.load import run_pipeline
from bench.synthetic import value_frame, write_fetch
from settings.config import Tuning
from warehouse import marts
from warehouse.publish import connect_readonly

QUERY = """
SELECT kpi_id, year, gender, peer_set_kind, value, peer_mean, rank_in_peers, n_ranked, colour_band
FROM mart.municipality_comparison WHERE municipality_id = $m AND year = $y AND gender = 'T'
ORDER BY kpi_id, peer_set_kind
"""


def main(argv: list[str] | None = None) -> int:
    """Print rebuild seconds per mart and the comparison query latency."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jamfor-bench-marts-") as tmp:
        work = Path(tmp)
        fetch = write_fetch(value_frame(args.values), work)
        warehouse = work / "jamfor.duckdb"
        run_pipeline(fetch, warehouse, "bench-marts")
        con = duckdb.connect(str(warehouse), config=Tuning.from_env().duckdb_config())
        total = 0.0
        for mart in marts.MARTS:
            started = time.perf_counter()
            rows = marts.rebuild(con, [mart])[mart.table]
            seconds = time.perf_counter() - started
            total += seconds
            print(f"  {mart.table:<32} {rows:>12,} rows  {seconds:6.2f} s")
        con.close()
        print(f"  all marts: {total:.2f} s for {args.values:,} values (target < 10 s for the full scope)")
        reader = connect_readonly(warehouse)
        latencies = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            reader.execute(QUERY, {"m": "0561", "y": fetch.years[-1]}).fetchall()
            latencies.append(time.perf_counter() - started)
        reader.close()
    print(
        f"  one kommun's comparison query: median {statistics.median(latencies) * 1000:.1f} ms over "
        f"{args.repeats} runs (target < 50 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
