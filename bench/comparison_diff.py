"""mart.municipality_comparison: an earlier commit's SQL against the working tree's, on one warehouse.

Run: `python -m bench.comparison_diff --values 1000000 --against <commit>` (a synthetic warehouse, not
timed) or `--warehouse FILE` (copied first, never changed). Builds the mart with the SQL of
`warehouse/comparison.py` and `warehouse/network_comparison.py` at `--against` (git show) and with the
working tree's `marts.rebuild`, in KPI chunks as a load does, then prints each build's wall and CPU
seconds (CPU = all DuckDB threads), the row counts, the rows of EXCEPT ALL both ways (both must be 0)
and the rows whose position differs (POSITIONAL JOIN; 0 = the same row order).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import duckdb

from settings.config import Tuning
from warehouse import marts

TABLE = "mart.municipality_comparison"


def old_builder(commit: str) -> marts.MartSelect:
    """The comparison mart's builder at `commit` (executed from git show; registers nothing)."""

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
        ).stdout

    saved_marts, saved_module = list(marts.MARTS), sys.modules.get("warehouse.network_comparison")
    try:
        network = types.ModuleType("_old_network_comparison")
        code = compile(source("warehouse/network_comparison.py"), "old network_comparison", "exec")
        exec(code, network.__dict__)
        sys.modules["warehouse.network_comparison"] = network
        comparison = types.ModuleType("_old_comparison")
        exec(compile(source("warehouse/comparison.py"), "old comparison", "exec"), comparison.__dict__)
    finally:
        marts.MARTS[:] = saved_marts
        if saved_module is not None:
            sys.modules["warehouse.network_comparison"] = saved_module
    return comparison.municipality_comparison


def _timed(action) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(con: duckdb.DuckDBPyConnection, commit: str, chunk_values: int) -> dict[str, float]:
    """Build the old mart into mart._old_comparison and the new one in place; return the figures."""
    builder = old_builder(commit)
    mart = next(m for m in marts.MARTS if m.table == TABLE)

    def build_old() -> None:
        for n, chunk in enumerate(marts.kpi_chunks(con, None, chunk_values)):
            marts._only(con, chunk)
            sql = builder(con, only=marts.ONLY_KPIS)
            if n == 0:
                con.execute(f"CREATE OR REPLACE TABLE mart._old_comparison AS {sql}")
            else:
                con.execute(f"INSERT INTO mart._old_comparison {sql}")
        con.execute(f"DROP TABLE IF EXISTS {marts.ONLY_KPIS}")

    old_wall, old_cpu = _timed(build_old)
    con.execute("CHECKPOINT")
    new_wall, new_cpu = _timed(lambda: marts.rebuild(con, [mart], chunk_values=chunk_values))
    con.execute("CHECKPOINT")

    def count(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    columns = [r[0] for r in con.execute(f"DESCRIBE {TABLE}").fetchall()]
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in columns)
    return {
        "old_wall_s": old_wall,
        "old_cpu_s": old_cpu,
        "new_wall_s": new_wall,
        "new_cpu_s": new_cpu,
        "old_rows": count("SELECT count(*) FROM mart._old_comparison"),
        "new_rows": count(f"SELECT count(*) FROM {TABLE}"),
        "old_except_new": count(f"SELECT count(*) FROM (FROM mart._old_comparison EXCEPT ALL FROM {TABLE})"),
        "new_except_old": count(f"SELECT count(*) FROM (FROM {TABLE} EXCEPT ALL FROM mart._old_comparison)"),
        "moved_rows": count(
            f"SELECT count(*) FROM (SELECT {', '.join(f'o.{c}' for c in columns[:1])} FROM "
            f"(FROM mart._old_comparison) AS o POSITIONAL JOIN (FROM {TABLE}) AS n WHERE {differs})"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the old and new build times and the differences."""
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--values", type=int)
    source.add_argument("--warehouse", type=Path)
    parser.add_argument("--against", required=True, help="commit of the old SQL")
    parser.add_argument("--chunk-values", type=int, default=Tuning.from_env().mart_chunk_values)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="jamfor-bench-diff-") as tmp:
        warehouse = Path(tmp) / "jamfor.duckdb"
        if args.warehouse is not None:
            shutil.copyfile(args.warehouse, warehouse)
        else:
            from bench.load import run_pipeline
            from bench.synthetic import value_frame, write_fetch

            run_pipeline(write_fetch(value_frame(args.values), Path(tmp)), warehouse, "bench-diff")
        con = duckdb.connect(str(warehouse), config=Tuning.from_env().duckdb_config())
        try:
            figures = compare(con, args.against, args.chunk_values)
        finally:
            con.close()
    for name, value in figures.items():
        print(f"  {name:<16} {value:>14,.2f}" if isinstance(value, float) else f"  {name:<16} {value:>14,}")
    same = figures["old_except_new"] == 0 and figures["new_except_old"] == 0
    print(f"  EXCEPT ALL both ways empty: {same}; same row order: {figures['moved_rows'] == 0}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
