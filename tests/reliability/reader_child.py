"""A reader process for suite 4: reads the published warehouse continuously while loads publish.

Run as `python -m tests.reliability.reader_child ARGS_JSON` with keys `warehouse`, `stop_file`,
`clients`, `max_seconds` and `pause_seconds` (between rounds of reads). Clients:

- "duckdb": `duckdb.connect(path, read_only=True)`, one query, close — every read a fresh connection;
- "sqlalchemy": duckdb-engine with `duckdb:///<path>?access_mode=read_only` and NullPool, so every
  read opens a fresh connection too;
- "held": one read-only connection opened at the start and kept: it must keep its snapshot.

Prints one JSON line whenever a client sees a counts tuple it has not seen before (the parent waits
for these), one line per error, and a summary line at the end. Bounded by `max_seconds` and a read cap.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import duckdb
import sqlalchemy
from sqlalchemy.pool import NullPool

# One statement, so the counts come from one snapshot: runs, history rows, mart rows, live history rows.
COUNTS_SQL = (
    "SELECT (SELECT count(*) FROM meta.load_run), (SELECT count(*) FROM core.kpi_value_history), "
    "(SELECT count(*) FROM mart.kpi_value), "
    "(SELECT count(*) FROM core.kpi_value_history WHERE valid_to IS NULL AND NOT is_deleted)"
)
MAX_READS = 1_000_000

Reader = Callable[[], tuple[int, ...]]


def emit(**record: object) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def duckdb_reader(path: str) -> Reader:
    def read() -> tuple[int, ...]:
        con = duckdb.connect(path, read_only=True)
        try:
            return tuple(con.execute(COUNTS_SQL).fetchone())
        finally:
            con.close()

    return read


def sqlalchemy_reader(path: str) -> Reader:
    engine = sqlalchemy.create_engine(f"duckdb:///{path}?access_mode=read_only", poolclass=NullPool)

    def read() -> tuple[int, ...]:
        with engine.connect() as con:
            return tuple(con.execute(sqlalchemy.text(COUNTS_SQL)).one())

    return read


def held_reader(path: str) -> Reader:
    con = duckdb.connect(path, read_only=True)
    return lambda: tuple(con.execute(COUNTS_SQL).fetchone())


FACTORIES = {"duckdb": duckdb_reader, "sqlalchemy": sqlalchemy_reader, "held": held_reader}


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    stop = Path(args["stop_file"])
    readers = {name: FACTORIES[name](args["warehouse"]) for name in args["clients"]}
    seen: dict[str, Counter[tuple[int, ...]]] = {name: Counter() for name in readers}
    errors: Counter[str] = Counter()
    deadline = time.monotonic() + float(args["max_seconds"])
    pause = float(args.get("pause_seconds", 0.0))
    reads = 0
    emit(event="ready")
    while reads < MAX_READS and time.monotonic() < deadline and not stop.exists():
        for name, read in readers.items():
            reads += 1
            try:
                counts = read()
            except Exception as exc:  # noqa: BLE001 - every error is the finding; report it and go on
                errors[name] += 1
                emit(event="error", client=name, error=f"{type(exc).__name__}: {exc}".splitlines()[0])
                continue
            if counts not in seen[name]:
                emit(event="new", client=name, counts=counts)
            seen[name][counts] += 1
        time.sleep(pause)
    emit(
        event="summary",
        reads=reads,
        errors=dict(errors),
        seen={name: [[list(k), n] for k, n in c.items()] for name, c in seen.items()},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
