"""mart.municipality_comparison: an earlier commit's SQL against the working tree's, on one warehouse.

Run: `python -m bench.comparison_diff --values 1000000 --against <commit>` (a synthetic warehouse, not
timed) or `--warehouse FILE` (copied first, never changed). Builds the mart with the SQL at `--against`
(git show: models/mart/municipality_comparison.sql, or before the SQL models the builder registered by
`warehouse/comparison.py` and `warehouse/network_comparison.py`) and with the working tree's
`marts.rebuild`, in KPI chunks as a load does, then prints each build's wall and CPU
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
from collections.abc import Callable
from pathlib import Path

import duckdb

import warehouse
from settings.config import Tuning
from warehouse import marts

TABLE = "mart.municipality_comparison"


OldSelect = Callable[[str], str]
MODEL = "models/mart/municipality_comparison.sql"
# the temp table of KPIs the old SQL reads (a model names mart_kpis itself)
OLD_KPIS = "mart_kpis"


def _git_show(commit: str, path: str) -> str | None:
    """The file at `commit`, or None when it has no such file."""
    shown = subprocess.run(["git", "show", f"{commit}:{path}"], capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def old_builder(commit: str) -> OldSelect:
    """The comparison mart's SQL at `commit` as a function of the temp table of KPIs to build."""
    model = _git_show(commit, MODEL)
    if model is not None:
        return lambda kpis: model
    return _registered_builder(commit)


def _registered_builder(commit: str) -> OldSelect:
    """Before the SQL models: the builder warehouse/comparison.py registered with warehouse/marts.py,
    each executed from git show into a module of its own (the working tree's modules stay as they are)."""
    names = ("marts", "network_comparison", "comparison")
    # `from warehouse import marts` reads the package's attribute, `from warehouse.x import` sys.modules
    saved = {name: (sys.modules.get(f"warehouse.{name}"), getattr(warehouse, name, None)) for name in names}
    modules: dict[str, types.ModuleType] = {}
    try:
        for name in names:
            path = f"warehouse/{name}.py"
            text = _git_show(commit, path)
            if text is None:
                raise SystemExit(f"{commit} has neither {MODEL} nor {path}")
            # registered under its own name first: a dataclass looks its module up in sys.modules
            module = types.ModuleType(f"warehouse.{name}")
            modules[name] = sys.modules[f"warehouse.{name}"] = module
            setattr(warehouse, name, module)
            exec(compile(text, f"old {path}", "exec"), module.__dict__)
    finally:
        for name, (module, attribute) in saved.items():
            if module is None:
                sys.modules.pop(f"warehouse.{name}", None)
            else:
                sys.modules[f"warehouse.{name}"] = module
            if attribute is None and hasattr(warehouse, name):
                delattr(warehouse, name)
            elif attribute is not None:
                setattr(warehouse, name, attribute)
    builder = modules["comparison"].municipality_comparison
    return lambda kpis: builder(None, only=kpis)


def _timed(action) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(con: duckdb.DuckDBPyConnection, commit: str, chunk_values: int) -> dict[str, float]:
    """Build the old mart into mart._old_comparison and the new one in place; return the figures."""
    builder = old_builder(commit)
    mart = next(m for m in marts.MARTS if m.table == TABLE)
    # a warehouse from before mart.peer_set_member gets it (not timed): the new SQL reads it
    marts.rebuild(con, [m for m in marts.missing(con) if m.table != TABLE])

    def build_old() -> None:
        for n, chunk in enumerate(marts.kpi_chunks(con, None, chunk_values)):
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {OLD_KPIS} AS SELECT unnest($k::VARCHAR[]) AS kpi_id",
                {"k": chunk},
            )
            sql = builder(OLD_KPIS)
            if n == 0:
                con.execute(f"CREATE OR REPLACE TABLE mart._old_comparison AS {sql}")
            else:
                con.execute(f"INSERT INTO mart._old_comparison {sql}")
        con.execute(f"DROP TABLE IF EXISTS {OLD_KPIS}")

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
