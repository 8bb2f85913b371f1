"""Benchmark 3: a monthly run with nothing changed upstream, as the warehouse grows (1 M, 5 M, 10 M values).

Run: `python -m bench.monthly --sizes 1000000,5000000,10000000`. For each size a warehouse is built from
synthetic pages (one yearly-style full load, not timed), then the monthly path is timed: an incremental
load of an empty changes-only fetch (what `from_date` returns when nothing changed) through the same
load_fetch as a real run: it decides against the published file that nothing changed and publishes
nothing (the run asserts that). Then, unless `--changed-kpis 0`, a monthly run whose changes-only fetch
revises 1 % of the values of that many KPIs: it publishes, patching the by-KPI marts and testing those
KPIs' rows. Prefect start-up is excluded (it is constant).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl

from bench.load import PEAK, run_pipeline, run_step_with_steps
from bench.synthetic import value_frame, write_fetch

MONTHLY = (
    PEAK
    + """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from settings.config import Paths
from pipeline.kolada import load_fetch
fetch_dir, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
t = time.perf_counter()
summary = load_fetch(Paths(warehouse.parent, warehouse), fetch_dir, run_id=sys.argv[3],
                     flow_name="bench-monthly",
                     scope={}, as_of=datetime.now(UTC), value_scope=None, watermark=None)
if sys.argv[4] == "unchanged":
    assert summary.inserted == summary.revised == summary.deleted == 0, summary
    assert not summary.published, "a no-change monthly run must not copy and publish the warehouse"
else:
    assert summary.revised > 0 and summary.published, summary
import json
values = summary.entities["core.kpi_value_history"]["rows_in"]
print("STEPS", json.dumps(summary.steps_s))
print(values, time.perf_counter() - t, peak_kib())
"""
)


Run = tuple[float, float, dict[str, float]]


def measure(n_values: int, workdir: Path, changed_kpis: int) -> tuple[Run, Run | None, float]:
    """(the no-change monthly run, the run changing `changed_kpis` KPIs or None, warehouse size MiB)
    for a warehouse of n values; a run is (seconds, peak RSS MiB, seconds per load step)."""
    frame = value_frame(n_values)
    full = write_fetch(frame, workdir / "full")
    warehouse = workdir / "jamfor.duckdb"
    run_pipeline(full, warehouse, "bench-full")
    size = warehouse.stat().st_size / 2**20
    empty = write_fetch(value_frame(0), workdir / "empty", fetch_id="monthly")
    _, seconds, rss, steps = run_step_with_steps(
        MONTHLY, str(empty.fetch_dir), str(warehouse), "bench-monthly", "unchanged"
    )
    if not changed_kpis:
        return (seconds, rss, steps), None, size
    kpis = frame.get_column("kpi").unique(maintain_order=True).head(changed_kpis)
    revised = value_frame(n_values, revision=1).filter(pl.col("kpi").is_in(kpis.implode()))
    changes = write_fetch(revised, workdir / "changes", fetch_id="monthly-changes")
    _, c_seconds, c_rss, c_steps = run_step_with_steps(
        MONTHLY, str(changes.fetch_dir), str(warehouse), "bench-monthly-changes", "changed"
    )
    return (seconds, rss, steps), (c_seconds, c_rss, c_steps), size


def main(argv: list[str] | None = None) -> int:
    """Print the no-change monthly time per warehouse size and the ratio largest / smallest."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,5000000,10000000")
    parser.add_argument("--changed-kpis", type=int, default=1, help="KPIs a second monthly run revises")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="jamfor-bench-monthly-") as tmp:
            unchanged, changed, size = measure(n, Path(tmp), args.changed_kpis)
        results.append(unchanged[0])
        print(f"  warehouse of {n:>12,} values ({size:,.0f} MiB):")
        for label, run in (("no-change monthly", unchanged), (f"{args.changed_kpis} KPIs changed", changed)):
            if run is not None:
                seconds, rss, steps = run
                print(
                    f"    {label}: {seconds:.2f} s, peak RSS {rss:,.0f} MiB; "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())
                )
    print(f"  ratio largest / smallest: {results[-1] / results[0]:.2f} (flat = 1.0; target < 5 s each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
