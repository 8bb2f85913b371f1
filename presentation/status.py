"""`jamfor status`: the published warehouse's last runs, watermarks, row and quarantine counts, and the
run log (failed runs too). Reads only; imports nothing heavier than DuckDB, so it answers at once."""

from __future__ import annotations

import argparse
import json

from settings.config import Paths


def status(args: argparse.Namespace) -> int:
    """Print the last runs (failed ones too), watermarks, row counts and quarantine counts."""
    from settings import runlog
    from warehouse.status import format_summary, summary

    paths = Paths.from_env(args.data_dir, args.warehouse)
    published = summary(paths.warehouse) if paths.warehouse.exists() else None
    recent = runlog.tail(paths.run_log, 10)
    if getattr(args, "format", "table") == "json":
        # the same facts as the table; `warehouse` is null before the first load
        facts = {"warehouse_path": str(paths.warehouse), "warehouse": published, "run_log": recent}
        print(json.dumps(facts, indent=2, ensure_ascii=False, default=str))
        return 0
    if published is not None:
        print(format_summary(published))
    else:
        print(f"no warehouse at {paths.warehouse} yet")
    if recent:
        print("\nLast runs (run log, failed runs included):")
        for rec in recent:
            print(
                f"  {rec.get('started_at', '?')}  {rec.get('flow', '?'):<16} {rec.get('status', '?'):<10} "
                f"{rec.get('message') or ''}"
            )
    return 0
