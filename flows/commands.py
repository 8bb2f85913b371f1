"""What each `jamfor` sub-command does; argument parsing lives in flows.cli."""

from __future__ import annotations

import argparse
import re
import time
from datetime import date

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from flows.load_scb import load_scb
from pipeline.scope import ScopeError, parse_kpis, parse_years
from presentation.discover import check_kpi_flag
from settings.config import Paths

# soft_wrap: a message is one line in logs and pipes, never cut at 80 columns by rich
console = Console(stderr=True, soft_wrap=True)
MUNICIPALITY_ID = re.compile(r"^(\d{4}|G\d+)$")


def _ids(text: str | None, pattern: re.Pattern[str], what: str) -> list[str] | None:
    if not text:
        return None
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not pattern.match(i)]
    if bad or not ids:
        raise ScopeError(f"malformed {what} ids: {', '.join(bad) or text!r}")
    return ids


def _from_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ScopeError(f"malformed --from-date {text!r}: use YYYY-MM-DD") from exc


def fetch(args: argparse.Namespace) -> int:
    """Fetch metadata and/or values into the raw store with a progress bar and a closing summary."""
    from sources.kolada.client import KoladaClient
    from sources.kolada.rawstore import kolada_store
    from sources.kolada.settings import KoladaSettings
    from sources.rawstore import new_fetch_id

    kpis = list(parse_kpis(args.kpi)) if args.kpi else None
    years = [str(y) for y in parse_years(args.years)] if args.years else None
    municipalities = _ids(args.municipality, MUNICIPALITY_ID, "municipality")
    from_date = _from_date(args.from_date)
    if not args.metadata and sum(x is not None for x in (kpis, years, municipalities)) < 2:
        raise ScopeError("give --metadata, or at least two of --kpi, --years, --municipality")
    paths = Paths.from_env(args.data_dir)
    check_kpi_flag(args.kpi, paths.warehouse)
    settings = KoladaSettings.from_env(base_url=args.kolada_url)
    store = kolada_store(paths.data_dir, new_fetch_id())
    started = time.perf_counter()
    results = []
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} pages"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bars: dict[str, TaskID] = {}

        def on_page(endpoint: str, pages: int) -> None:
            if endpoint not in bars:
                bars[endpoint] = progress.add_task(endpoint, total=None)
            progress.update(bars[endpoint], completed=pages)

        client = KoladaClient(settings, store, progress=on_page)
        if args.metadata:
            for entity in ("kpi", "municipality", "municipality_groups", "kpi_groups", "ou"):
                results.append(client.metadata(entity))
        if kpis or years or municipalities:
            results.append(
                client.data(kpi=kpis, municipality=municipalities, year=years, from_date=from_date)
            )
    elapsed = time.perf_counter() - started
    stats = client.stats
    pages = sum(r.pages for r in results)
    rows = sum(r.values or r.items for r in results)
    console.print(
        f"fetched {pages} pages, {rows:,} rows, {stats.get('retries', 0)} retries in {elapsed:.1f} s "
        f"({pages / elapsed if elapsed else 0:.1f} pages/s) into {store.fetch_dir}"
    )
    for result in results:
        for segment, missing in result.missing_ids.items():
            if missing:
                console.print(
                    f"[yellow]warning:[/] {result.endpoint}: {len(missing)} {segment} ids came back "
                    f"empty: {', '.join(missing[:20])}{' …' if len(missing) > 20 else ''}"
                )
    return 0


def prefect_target() -> str:
    """Where the flow run is recorded: the configured Prefect API (reused) or a temporary server."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if url:
        return f"on the Prefect server at {url} (PREFECT_API_URL)"
    return (
        "on a temporary Prefect server (no PREFECT_API_URL set; to reuse a running server, e.g. the one "
        "`jamfor serve` reports to, set PREFECT_API_URL)"
    )


def load(args: argparse.Namespace) -> int:
    """Run a load flow and print its report; a failure exits non-zero with the reason on one line."""
    if args.mode == "files":
        return load_files(args)
    if getattr(args, "paths", None):
        raise ScopeError(f"PATH arguments only apply to `load files`, not `load {args.mode}`")
    if args.mode == "scb":
        return load_scb(args)
    if args.mode == "backfill" and not args.years:
        raise ScopeError("backfill needs --years, e.g. --years 2015-2020")
    from pipeline.scope import load_scope, with_overrides

    with_overrides(load_scope(args.scope, data_dir=args.data_dir), kpis=args.kpi, years=args.years)
    check_kpi_flag(args.kpi, Paths.from_env(args.data_dir, args.warehouse).warehouse)
    from flows import kolada_flows
    from flows.logs import quiet_terminal

    quiet_terminal()
    flow_fn = {"yearly": kolada_flows.yearly, "monthly": kolada_flows.monthly}.get(args.mode)
    common = {
        "scope": args.scope,
        "kpis": args.kpi,
        "kolada_url": args.kolada_url,
        "warehouse": args.warehouse,
        "data_dir": args.data_dir,
        "lock_wait": args.wait,
    }
    console.print(f"jamfor: starting the {args.mode} load {prefect_target()}")
    try:
        if flow_fn is None:
            result = kolada_flows.backfill(years=args.years, **common)
        else:
            result = flow_fn(years=args.years, **common)
    except kolada_flows.InboxFilesFailed as exc:
        print(exc.report)  # what was published; the reason follows as the last line
        raise
    print(result["report"])
    return 0


def load_files(args: argparse.Namespace) -> int:
    """`jamfor load files PATH...`: load delivered files and print one line per file."""
    if not args.paths:
        raise ScopeError("load files needs at least one PATH")
    from flows.logs import quiet_terminal
    from pipeline.files import load_files as run

    quiet_terminal()
    report = run(args.paths, warehouse=args.warehouse, data_dir=args.data_dir, lock_wait=args.wait)
    print(report.format())
    return 0


def docs(args: argparse.Namespace) -> int:
    """Print the data dictionary of the warehouse (or of an empty one when none exists yet)."""
    from warehouse.docs import data_dictionary_for

    paths = Paths.from_env(args.data_dir, args.warehouse)
    print(data_dictionary_for(paths.warehouse))
    return 0


def replay(args: argparse.Namespace) -> int:
    """Serve the replay Kolada v3 API in the foreground until interrupted."""
    from fakes.kolada.server import ReplayServer

    server = ReplayServer(port=args.port).start()
    server.set_dataset(args.dataset)
    if args.faults:
        server.set_faults(args.faults, seed=args.seed)
    console.print(
        f"replay Kolada v3 at {server.base_url} (dataset {args.dataset}, faults {args.faults:.0%}); "
        "Ctrl-C stops"
    )
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()


def demo(args: argparse.Namespace) -> int:
    """The main job on the bundled snapshot: yearly load of the demo scope, then a look at the marts."""
    from flows.demo import run_demo
    from flows.logs import quiet_terminal

    quiet_terminal()

    return run_demo(Paths.from_env(args.data_dir, args.warehouse), console)


def serve(args: argparse.Namespace) -> int:
    """Serve the scheduled deployments from this process (`prefect.yaml` is the declarative route)."""
    from flows.deployments import serve_all

    serve_all(args.scope)
    return 0
