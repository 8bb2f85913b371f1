"""The `jamfor` command line: fetch, load, status, docs, replay, demo, serve, compare, report, export,
kpi, municipality, peers, scope."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from flows.deployments import prefect_defaults
from settings.config import EXIT_FAILED, EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit with status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


def _common(parser: argparse.ArgumentParser, *, warehouse: bool = True, kolada: bool = True) -> None:
    parser.add_argument("--data-dir", help="raw store and run log directory (JAMFOR_DATA_DIR, default data)")
    if warehouse:
        parser.add_argument("--warehouse", help="published DuckDB file (JAMFOR_WAREHOUSE)")
    if kolada:
        parser.add_argument("--kolada-url", help="Kolada v3 base URL (JAMFOR_KOLADA_URL)")


def _version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jamfor")
    except PackageNotFoundError:
        return "unknown (not installed: run `make venv`)"


def _discovery(sub: argparse._SubParsersAction, load: argparse.ArgumentParser) -> None:
    """kpi, municipality, peers and scope, and `load scb`'s options (presentation.discover)."""
    load.add_argument("--table", default="TAB638", help="scb mode: SCB table id (default TAB638)")
    load.add_argument(
        "--select", action="append", metavar="VAR=CODES", help="scb mode: replace a variable's codes"
    )
    load.add_argument("--scb-url", help="scb mode: SCB PxWeb v2 base URL (JAMFOR_SCB_URL)")
    fmt = {"choices": ["table", "csv", "json"], "default": "table"}
    kpi = sub.add_parser("kpi", help="search the KPI catalogue, or show everything about one KPI")
    kpi.add_argument("action", choices=["search", "show"])
    kpi.add_argument("text", nargs="+", metavar="TEXT|ID", help="words of the title or id; show: one KPI id")
    kpi.add_argument("--format", **fmt)
    kpi.add_argument("--limit", type=int, default=40, help="table rows shown (0 = all)")
    _common(kpi, kolada=False)
    muni = sub.add_parser("municipality", help="search kommuner by code or name: län and kommungrupp")
    muni.add_argument("action", choices=["search"])
    muni.add_argument("text", nargs="*", metavar="TEXT", help="part of the name or code (none = all)")
    muni.add_argument("--format", **fmt)
    _common(muni, kolada=False)
    peers = sub.add_parser("peers", help="every peer set of a kommun with kind, vintage and members")
    peers.add_argument("municipality", help="kommun code or name, e.g. 0561 or Åtvidaberg")
    peers.add_argument("--format", **fmt)
    _common(peers, kolada=False)
    scope = sub.add_parser("scope", help="add or remove KPIs in your default scope (JAMFOR_SCOPE_FILE)")
    scope.add_argument("action", choices=["add", "remove", "show"])
    scope.add_argument("ids", nargs="*", metavar="ID", help="KPI ids, e.g. N31807 U21468")
    _common(scope, kolada=False)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the tests)."""
    parser = _Parser(prog="jamfor", description=__doc__)
    parser.add_argument("--version", action="version", version=f"jamfor {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    fetch = sub.add_parser("fetch", help="fetch a scope's raw pages into the raw store")
    fetch.add_argument("--kpi", help="comma-separated KPI ids, e.g. N31807,U21468")
    fetch.add_argument("--years", help="YYYY, YYYY-YYYY or YYYY- (open end = this year)")
    fetch.add_argument("--municipality", help="comma-separated municipality ids (default: all)")
    fetch.add_argument("--metadata", action="store_true", help="fetch all metadata catalogues")
    fetch.add_argument("--from-date", help="only values changed after YYYY-MM-DD")
    _common(fetch, warehouse=False)

    load = sub.add_parser("load", help="run a load flow into the warehouse")
    load.add_argument("mode", choices=["yearly", "monthly", "backfill", "files", "scb"])
    load.add_argument("paths", nargs="*", metavar="PATH", help="files mode: the files to load")
    load.add_argument("--scope", default="default", help="scope name (default, demo) or YAML file")
    load.add_argument("--kpi", help="comma-separated KPI ids (replaces the scope's selection)")
    load.add_argument("--years", help="YYYY-YYYY (required for backfill)")
    load.add_argument(
        "--wait", type=float, metavar="SECONDS", help="wait for a running load (JAMFOR_LOCK_WAIT, default 0)"
    )
    _common(load)
    _discovery(sub, load)

    status = sub.add_parser("status", help="last runs, watermarks, row and quarantine counts")
    status.add_argument("--format", choices=["table", "json"], default="table")
    _common(status, kolada=False)
    docs = sub.add_parser("docs", help="print the data dictionary (table and column comments) as Markdown")
    _common(docs, kolada=False)

    replay = sub.add_parser("replay", help="serve the bundled real data as a local Kolada v3 API")
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--faults", type=float, default=0.0, help="share of requests that fail (0..1)")
    replay.add_argument("--dataset", choices=["base", "revised"], default="base")
    replay.add_argument("--seed", type=int, default=1, help="seed of the fault RNG")

    demo = sub.add_parser("demo", help="run the yearly flow on the demo scope against the replay server")
    _common(demo, kolada=False)
    serve = sub.add_parser("serve", help="serve the yearly and monthly deployments (schedules)")
    serve.add_argument("--scope", default="default")

    compare = sub.add_parser("compare", help="a kommun against its peer sets: mean, rank, colour, Δ year")
    compare.add_argument("municipality", help="kommun code or name, e.g. 0561 or Åtvidaberg")
    which = compare.add_mutually_exclusive_group()
    which.add_argument("--kpi", help="comma-separated KPI ids (default: all)")
    which.add_argument("--area", help="Liknande kommuner area (IFO, LSS, ...) or the KPIs' operating area")
    compare.add_argument(
        "--peers", help="liknande, kommungrupp, lan, riket, network or network:NAME (default: all)"
    )
    compare.add_argument("--year", type=int, help="data year (default: each KPI's latest year with a value)")
    compare.add_argument("--gender", choices=["T", "K", "M"], default="T")
    compare.add_argument("--format", choices=["table", "csv", "json"], default="table")
    compare.add_argument(
        "--monthly",
        action="store_true",
        help="month by month against län, Riket and networks (with --peers, --year)",
    )
    _common(compare, kolada=False)
    report = sub.add_parser("report", help="one self-contained HTML page for a kommun, with charts")
    report.add_argument("municipality", help="kommun code or name, e.g. 0561 or Åtvidaberg")
    report.add_argument("--area", help="Liknande kommuner area (IFO, LSS, ...) or the KPIs' operating area")
    report.add_argument("--peers", help="liknande, kommungrupp, lan, riket, network or network:NAME")
    report.add_argument("--year", type=int, help="data year (default: each KPI's latest year with a value)")
    report.add_argument("--out", help="the .html file to write (default: <data-dir>/report-<code>.html)")
    _common(report, kolada=False)
    export = sub.add_parser("export", help="write every mart as a Parquet file into DIR")
    export.add_argument("format", choices=["parquet"])
    export.add_argument("directory", metavar="DIR")
    _common(export, kolada=False)
    return parser


# command -> (module, function): only the module of the command that runs is imported, so that
# `jamfor status` or `compare` does not pay for the report's charting library or Prefect
HANDLERS: dict[str, tuple[str, str]] = {
    "kpi": ("presentation.discover", "kpi"),
    "municipality": ("presentation.discover", "municipality"),
    "peers": ("presentation.discover", "peers"),
    "scope": ("presentation.discover", "scope"),
    "compare": ("presentation.compare", "compare"),
    "report": ("presentation.report", "report"),
    "export": ("presentation.compare", "export"),
    "fetch": ("flows.commands", "fetch"),
    "load": ("flows.commands", "load"),
    "status": ("presentation.status", "status"),
    "docs": ("flows.commands", "docs"),
    "replay": ("flows.commands", "replay"),
    "demo": ("flows.commands", "demo"),
    "serve": ("flows.commands", "serve"),
}


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module, function = HANDLERS[command]
    return getattr(importlib.import_module(module), function)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jamfor` console script; failures print one line and exit non-zero."""
    args = build_parser().parse_args(argv)
    prefect_defaults()
    from schemas.ids import ScopeError

    try:
        return _handler(args.command)(args)
    except ScopeError as exc:
        print(f"jamfor: error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("jamfor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader stopped early (`jamfor status | head`): no error line, and status 1 as rich's tables
        # and Python's own convention give it; stdout goes to devnull so the final flush cannot raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI's contract: one line, non-zero exit
        print(f"jamfor: {args.command} failed: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
