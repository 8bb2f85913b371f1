"""jamfor warehouse layer: DuckDB DDL + comments, SCD2 merges, run ledger, marts, build-then-publish.

Typical load (one writer; every frame moves as Arrow, never row by row):

    with building(path, run_id=run_id) as con:
        with transaction(con):
            runs.start_run(con, run_id, flow="kolada", scope={...})
            stats = merge_values(con, values, run_id=run_id, as_of=now, scope=ValueScope([...]))
            quarantine.record(con, rejected, run_id=run_id)
            marts.rebuild(con)
            runs.finish_run(con, run_id, stats.as_counts(), "completed")

The marts are SQL models, models/mart/<name>.sql, built in dependency order by warehouse.marts.

DuckDB connections are not thread-safe: give each thread `con.cursor()` and funnel writes through one task.
"""

from warehouse.history import MergeStats, ValueScope, merge_dimension, merge_values, transaction
from warehouse.publish import WarehouseLocked, building, connect_readonly, default_warehouse_path

__all__ = [
    "MergeStats",
    "ValueScope",
    "WarehouseLocked",
    "building",
    "connect_readonly",
    "default_warehouse_path",
    "merge_dimension",
    "merge_values",
    "transaction",
]
