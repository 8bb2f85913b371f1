"""How many KPIs of a scope each direction rule decides, and the share left unknown.

`python -m pipeline.reference.coverage --warehouse data/jamfor.duckdb --scope default` reads the KPI
catalogue and KPI groups from a warehouse (read-only; any load fetches all metadata, `make demo`
too), applies the directions file (JAMFOR_DIRECTIONS_FILE or the bundled one) and prints one line per
rule, then the unknowns.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from pipeline.reference.config import ReferenceFiles, read_directions
from pipeline.scope import ScopeError, load_scope, resolve_kpis
from transforms.comparison.directions import derive_directions
from warehouse.publish import connect_readonly
from warehouse.reference import ReferenceInputs, read_inputs


def direction_coverage(inputs: ReferenceInputs, scope_name: str, directions_file: Path) -> pl.DataFrame:
    """One row per (basis, rule, direction) over the scope's catalogue KPIs: n and share of the scope."""
    rules, overrides = read_directions(directions_file)
    decided = derive_directions(inputs.kpis, rules, overrides, override_source=str(directions_file))
    members = inputs.kpi_group_members.select("kpi_group_id", "kpi_id")
    wanted = resolve_kpis(load_scope(scope_name), inputs.kpis, members)
    # group members missing from the catalogue have no title, so no rule can see them: not counted
    in_scope = decided.filter(pl.col("kpi_id").is_in(wanted))
    return (
        in_scope.group_by("basis", "rule", "direction")
        .len("n")
        .with_columns(share=pl.col("n") / in_scope.height)
        .sort("n", "rule", descending=[True, False])
    )


def main(argv: list[str] | None = None) -> int:
    """Print the rule counts and the unknown share; exit 2 with one line on a bad scope or warehouse."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.reference.coverage", description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=Path("data/jamfor.duckdb"))
    parser.add_argument("--scope", default="default")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        print(
            f"coverage: error: no warehouse at {args.warehouse} (run `make demo` or a load first)",
            file=sys.stderr,
        )
        return 2
    con = connect_readonly(args.warehouse)
    try:
        inputs = read_inputs(con)
    finally:
        con.close()
    try:
        counts = direction_coverage(inputs, args.scope, ReferenceFiles.from_env().directions)
    except ScopeError as exc:
        print(f"coverage: error: {exc}", file=sys.stderr)
        return 2
    total = int(counts["n"].sum())
    print(f"scope {args.scope}: {total} KPIs in the catalogue")
    for row in counts.iter_rows(named=True):  # a few dozen rule lines
        print(
            f"{row['basis']:8} {row['rule'] or '-':24} {row['direction']:8} {row['n']:5} {row['share']:6.1%}"
        )
    unknown = int(counts.filter(pl.col("basis") == "unknown")["n"].sum())
    print(f"unknown: {unknown} of {total} ({unknown / total:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
