"""Benchmark 1: synthetic v3 pages → validated, historised, published warehouse, against DuckDB's ceiling.

Run: `python -m bench.load --values 1000000` (add `--keep DIR` to keep the files). Each measured step
runs in a fresh subprocess so its peak RSS is its own. Prints values/s and the ratio to the ceiling:
DuckDB `read_json_objects` + `from_json` of the same page bodies + two `unnest`s into one flat
on-disk table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.synthetic import SyntheticFetch

# Each measured child reports its own peak RSS as VmHWM: ru_maxrss would also count the parent's, which
# Linux carries into a child started with vfork + exec (the synthetic pages make the parent large).
PEAK = """
def peak_kib():
    with open("/proc/self/status") as fh:
        return int(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))
"""

CEILING = (
    PEAK
    + """
import duckdb, sys, time
pages, db = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
t = time.perf_counter()
# read_json_objects + from_json is DuckDB's fastest route for large page objects (read_json with a
# nested `columns` spec was ~10x slower on 1 MB lines here)
con.execute(f\'\'\'
    CREATE TABLE flat AS
    WITH items AS (
        SELECT unnest(from_json(json, '{{"values":[{{"kpi":"VARCHAR","municipality":"VARCHAR",
            "period":"INTEGER","values":[{{"gender":"VARCHAR","count":"INTEGER","status":"VARCHAR",
            "value":"DOUBLE","isdeleted":"BOOLEAN"}}]}}]}}')."values") AS i
        FROM read_json_objects('{pages}', format='newline_delimited')
    )
    SELECT i.kpi, i.municipality, i.period, unnest(i."values", recursive := true) FROM items
\'\'\')
con.execute("CHECKPOINT")
n = con.execute("SELECT count(*) FROM flat").fetchone()[0]
con.close()
print(n, time.perf_counter() - t, peak_kib())
"""
)

PIPELINE = (
    PEAK
    + """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from settings.config import Paths
from pipeline.kolada import load_fetch
from warehouse.history import ValueScope
fetch_dir, warehouse, kpis, years = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(","), sys.argv[4]
first, last = (int(y) for y in years.split("-"))
t = time.perf_counter()
summary = load_fetch(Paths(warehouse.parent, warehouse), fetch_dir, run_id=sys.argv[5], flow_name="bench",
                     scope={}, as_of=datetime.now(UTC), watermark=None,
                     value_scope=ValueScope(kpi_ids=kpis, years=list(range(first, last + 1))))
import json
values = summary.entities["core.kpi_value_history"]["rows_in"]
print("STEPS", json.dumps(summary.steps_s))
print(values, time.perf_counter() - t, peak_kib())
"""
)


def run_step(code: str, *args: str) -> tuple[int, float, float]:
    """Run a step in a fresh interpreter: (rows, seconds, peak RSS MiB of that child, as it reports)."""
    rows, seconds, rss, _ = run_step_with_steps(code, *args)
    return rows, seconds, rss


def run_step_with_steps(code: str, *args: str) -> tuple[int, float, float, dict[str, float]]:
    """As run_step, plus the load's seconds per step when the child prints a `STEPS {json}` line."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark step failed: {out.stderr.strip().splitlines()[-3:]}")
    steps = next((json.loads(line[6:]) for line in out.stdout.splitlines() if line.startswith("STEPS ")), {})
    rows, seconds, peak_kib = out.stdout.split()[-3:]
    return int(rows), float(seconds), int(peak_kib) / 1024, steps


def run_pipeline(
    fetch: SyntheticFetch, warehouse: Path, run_id: str
) -> tuple[int, float, float, dict[str, float]]:
    """Load a synthetic fetch as a full refresh of its KPIs and years in a fresh interpreter (see
    run_step_with_steps for what comes back)."""
    years = f"{fetch.years[0]}-{fetch.years[-1]}"
    return run_step_with_steps(
        PIPELINE, str(fetch.fetch_dir), str(warehouse), ",".join(fetch.kpi_ids), years, run_id
    )


def measure(n_values: int, workdir: Path) -> dict[str, float]:
    """Generate the pages, run the ceiling and the pipeline, return the figures."""
    from bench.synthetic import value_frame, write_fetch

    fetch = write_fetch(value_frame(n_values), workdir)
    for stale in (workdir / "ceiling.duckdb", workdir / "jamfor.duckdb"):
        stale.unlink(missing_ok=True)  # a kept work directory from an earlier run
    ceiling_rows, ceiling_s, ceiling_rss = run_step(
        CEILING, str(fetch.pages_ndjson), str(workdir / "ceiling.duckdb")
    )
    rows, seconds, rss, steps = run_pipeline(fetch, workdir / "jamfor.duckdb", "bench-1")
    if rows != ceiling_rows or rows != fetch.values:
        raise RuntimeError(
            f"row counts differ: pipeline {rows}, ceiling {ceiling_rows}, generated {fetch.values}"
        )
    core_s = seconds - steps.get("marts", 0.0)
    return {
        "values": rows,
        "pages": fetch.pages,
        "steps_s": steps,
        "core_s": core_s,
        "core_values_per_s": rows / core_s,
        "core_ratio_to_ceiling": (rows / core_s) / (ceiling_rows / ceiling_s),
        "pipeline_s": seconds,
        "pipeline_values_per_s": rows / seconds,
        "pipeline_peak_rss_mib": rss,
        "ceiling_s": ceiling_s,
        "ceiling_values_per_s": ceiling_rows / ceiling_s,
        "ceiling_peak_rss_mib": ceiling_rss,
        "ratio_to_ceiling": (rows / seconds) / (ceiling_rows / ceiling_s),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: --values N [--keep DIR] [--json]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jamfor-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        figures = measure(args.values, workdir)
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"synthetic v3 pages: {figures['values']:,} values in {figures['pages']} pages")
        print(
            f"  jamfor pipeline (validated, historised, published): {figures['pipeline_s']:.2f} s, "
            f"{figures['pipeline_values_per_s'] / 1e6:.2f} M values/s, peak RSS "
            f"{figures['pipeline_peak_rss_mib']:.0f} MiB"
        )
        print("  steps: " + ", ".join(f"{name} {sec:.2f} s" for name, sec in figures["steps_s"].items()))
        print(
            f"  without the marts (validated, historised, published core): {figures['core_s']:.2f} s, "
            f"{figures['core_values_per_s'] / 1e6:.2f} M values/s, "
            f"{figures['core_ratio_to_ceiling']:.2f}x the ceiling"
        )
        print(
            f"  DuckDB read_json_objects + 2 unnests (ceiling):     {figures['ceiling_s']:.2f} s, "
            f"{figures['ceiling_values_per_s'] / 1e6:.2f} M values/s"
        )
        print(
            f"  ratio pipeline / ceiling: {figures['ratio_to_ceiling']:.2f}  "
            f"(bench total {time.perf_counter() - started:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
