"""`make demo`: the yearly flow on the demo scope against the local replay of Kolada v3."""

from __future__ import annotations

import os
import time

from rich.console import Console
from rich.table import Table

from settings.config import Paths

DEMO_MUNICIPALITY = "0561"  # Åtvidaberg, the example of the comparison network in networks.yaml
# requests per second to the local replay: Kolada's own API gets JAMFOR_KOLADA_RATE (default 5), a
# replay on this machine needs no such care; a JAMFOR_KOLADA_RATE the user set still wins
DEMO_REPLAY_RATE = 100.0


def replay_rate() -> tuple[float | None, str]:
    """The demo's kolada_rate override (None: the user's JAMFOR_KOLADA_RATE applies) and its label."""
    user_rate = os.environ.get("JAMFOR_KOLADA_RATE", "").strip()
    return (None, user_rate) if user_rate else (DEMO_REPLAY_RATE, f"{DEMO_REPLAY_RATE:g}")


def run_demo(paths: Paths, console: Console) -> int:
    """Start the replay server, run the yearly load of the demo scope, print a few mart rows, the
    comparison and write the report."""
    from flows.server_start import TemporaryServer
    from presentation.svg import SvgRenderer, warm_up

    # first the slow starts, so that they overlap the imports, the replay server's start and each
    # other: the temporary Prefect server (seconds, more on a fresh PREFECT_HOME) and the report's
    # chart renderer processes
    prefect_server = TemporaryServer.start()
    with SvgRenderer() as renderer:
        from fakes.kolada.server import ReplayServer
        from flows import kolada_flows
        from pipeline.scope import load_scope

        started = time.perf_counter()
        with ReplayServer(port=0) as server:
            console.print(f"demo: replay of Kolada v3 (real values, bundled snapshot) at {server.base_url}")
            n_kpis = len(load_scope("demo").kpis)
            rate, rate_text = replay_rate()
            console.print(
                f"demo: running the yearly flow on the demo scope ({n_kpis} KPIs, all units, all years); "
                f"the local replay is fetched at up to {rate_text} requests/s"
            )
            warm_up()  # this process's chart renderer, while the Prefect server is still starting
            with prefect_server.used():
                result = kolada_flows.yearly(
                    scope="demo",
                    kolada_url=server.base_url,
                    kolada_rate=rate,
                    warehouse=str(paths.warehouse),
                    data_dir=str(paths.data_dir),
                )
        summary = result["summary"]
        console.print(result["report"])
        console.print(sample_table(paths, n_kpis))
        total = time.perf_counter() - started
        console.print(
            f"demo: published {paths.warehouse} — {summary.rows_loaded:,} rows loaded, "
            f"{summary.rows_quarantined:,} quarantined; load {summary.elapsed_s:.1f} s of {total:.1f} s "
            f"wall. Query it read-only: duckdb -readonly {paths.warehouse}"
        )
        from presentation.compare import print_demo_comparison

        print_demo_comparison(paths.warehouse, console, DEMO_MUNICIPALITY)
        from presentation.report import write_demo_report

        write_demo_report(paths, console, DEMO_MUNICIPALITY, renderer)  # data/report-0561.html
    return 0


def sample_table(paths: Paths, n_kpis: int) -> Table:
    """The demo kommun's latest total per KPI of the scope, from mart.kpi_value."""
    from warehouse.query import kpi_value_sample

    rows = kpi_value_sample(paths.warehouse, municipality_id=DEMO_MUNICIPALITY, limit=n_kpis)
    table = Table(
        title=f"mart.kpi_value: Åtvidaberg ({DEMO_MUNICIPALITY}), latest year, totals — Källa: Kolada"
    )
    table.add_column("kpi", no_wrap=True, min_width=6)
    table.add_column("title", no_wrap=True, max_width=40, overflow="ellipsis")
    table.add_column("year", justify="right", min_width=4)
    table.add_column("value", justify="right", no_wrap=True, min_width=9)
    table.add_column("prel.", min_width=5)
    for row in rows.iter_rows(named=True):  # a handful of display rows, not a data path
        value = "" if row["value"] is None else f"{row['value']:,.6g}"
        table.add_row(
            row["kpi_id"],
            row["kpi_title"] or "",
            str(row["year"]),
            value,
            "yes" if row["is_preliminary"] else "",
        )
    return table
