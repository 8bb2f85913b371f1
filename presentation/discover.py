"""Discovery commands: `jamfor kpi search|show`, `municipality search`, `peers`, `scope`.

Each reads the published warehouse read-only (scope changes write only the user's scope file). A name,
id or text that matches nothing prints one line and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import cast

import polars as pl
from rich.console import Console
from rich.table import Table

from pipeline.scope import ScopeError, parse_kpis, resolve_kpis
from pipeline.user_scope import check_known, current_scope
from presentation.csv_out import write_machine_readable
from settings.config import EXIT_USAGE, Paths
from warehouse.comparison_query import LookupProblem
from warehouse.discover_query import (
    catalogue_frames,
    catalogue_ids,
    open_warehouse,
    peer_sets,
    search_kpis,
    search_municipalities,
    show_kpi,
)

MEMBERS_SHOWN = 20  # a table lists this many members of a big set (Riket, län); csv/json list all


def _emit(frame: pl.DataFrame, fmt: str, title: str, limit: int = 0) -> None:
    """Write rows as CSV or JSON (all of them), or as a table (the first `limit`, 0 = all)."""
    if write_machine_readable(frame, fmt):
        return
    shown = frame.head(limit) if limit else frame
    table = Table(title=title, title_justify="left")
    for name in frame.columns:
        table.add_column(name, overflow="fold")
    for row in shown.iter_rows():  # display rows only
        table.add_row(
            *("" if v is None else "ja" if v is True else "nej" if v is False else str(v) for v in row)
        )
    console = Console(soft_wrap=False, width=max(Console().width, 160) if not sys.stdout.isatty() else None)
    console.print(table)
    if shown.height < frame.height:
        console.print(f"… {frame.height - shown.height} more (--limit 0 shows all, or use --format csv)")


def _scope_ids(con, data_dir: str | None) -> list[str]:  # con: a DuckDB connection
    scope, _ = current_scope(data_dir)
    return resolve_kpis(scope, *catalogue_frames(con))


def _guarded(body) -> int:
    try:
        return body()
    except LookupProblem as exc:
        print(f"jamfor: error: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_USAGE


def kpi(args: argparse.Namespace) -> int:
    """`jamfor kpi search TEXT` and `jamfor kpi show ID`."""
    paths = Paths.from_env(args.data_dir, args.warehouse)

    def run() -> int:
        con = open_warehouse(paths.warehouse)
        try:
            if args.action == "search":
                rows = search_kpis(con, " ".join(args.text), _scope_ids(con, args.data_dir))
                if rows.is_empty():
                    raise LookupProblem(f"no KPI id or title contains {' '.join(args.text)!r}")
                _emit(rows, args.format, f"KPIs matching {' '.join(args.text)!r}: {rows.height}", args.limit)
            else:
                wanted = parse_kpis(",".join(args.text))
                if len(wanted) != 1:
                    raise LookupProblem("kpi show takes one KPI id, e.g. `jamfor kpi show N31807`")
                _print_kpi(show_kpi(con, wanted[0], _scope_ids(con, args.data_dir)), args.format)
        finally:
            con.close()
        return 0

    return _guarded(run)


def _print_kpi(info: dict[str, object], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(info, ensure_ascii=False, default=str, indent=2))
        return
    years = cast(list[int], info["years_with_values"])
    span = f"{years[0]}–{years[-1]} ({len(years)} years)" if years else "none"
    lines = [
        f"{info['kpi_id']}  {info['title']}",
        f"operating area: {info['operating_area']}  ·  perspective: {info['perspective']}",
        f"direction: {info['direction']} ({info['direction_basis']}"
        + (f", {info['direction_rule']}" if info["direction_rule"] else "")
        + ")"
        + (f": {info['direction_note']}" if info["direction_note"] else ""),
        f"years with values: {span}; newest {info['newest_year'] or '–'}",
        f"kommuner with a value: {info['kommuner_newest_year']} in the newest year, "
        f"{info['kommuner_any_year']} in any year",
        f"in the scheduled scope: {'yes' if info['in_scope'] else 'no'}",
        f"KPI groups: {', '.join(info['kpi_groups']) or 'none'}",  # type: ignore[arg-type]
    ]
    for coding in info["oj_coding"]:  # type: ignore[attr-defined]
        years_of = (
            f"{coding['year_from'] or '…'}–{coding['year_to'] or '…'}"
            if coding["year_from"] or coding["year_to"]
            else "all years"
        )
        lines.append(
            f"ÖJ {coding['kpi_group_id']} {coding['oj_area']} {years_of}: {coding['coding'] or '-'} "
            f"[{coding['coding_status']}]"
            + (f" best: {coding['best_label']}" if coding["best_label"] else "")
            + (f" ({coding['reason']})" if coding["reason"] else "")
        )
    lines += ["", f"description: {info['description'] or ''}"]
    print("\n".join(lines))


def municipality(args: argparse.Namespace) -> int:
    """`jamfor municipality search TEXT`: code, name, län, kommungrupp."""
    paths = Paths.from_env(args.data_dir, args.warehouse)
    text = " ".join(args.text)

    def run() -> int:
        con = open_warehouse(paths.warehouse)
        try:
            rows = search_municipalities(con, text)
        finally:
            con.close()
        if rows.is_empty():
            raise LookupProblem(f"no kommun code or name contains {text!r}")
        _emit(rows, args.format, f"kommuner matching {text!r}: {rows.height}")
        return 0

    return _guarded(run)


def peers(args: argparse.Namespace) -> int:
    """`jamfor peers KOMMUN`: every peer set of the kommun with kind, vintage and members."""
    paths = Paths.from_env(args.data_dir, args.warehouse)

    def run() -> int:
        con = open_warehouse(paths.warehouse)
        try:
            code, name, rows = peer_sets(con, args.municipality)
        finally:
            con.close()
        if args.format != "table":
            _emit(rows, args.format, "")
            return 0
        console = Console(soft_wrap=True)
        console.print(f"Peer sets of {name} ({code}): {rows.height} (as `jamfor compare` uses them)")
        for row in rows.iter_rows(named=True):
            members = row["members"]
            shown = ", ".join(members[:MEMBERS_SHOWN]) + (" …" if len(members) > MEMBERS_SHOWN else "")
            vintage = f", vintage {row['vintage']}" if row["vintage"] else ""
            area = f", area {row['area']}" if row["area"] else ""
            console.print(
                f"\n[bold]{row['kind']}[/] {row['peer_set_id']}: {row['title']}{vintage}{area} "
                f"— {row['n_members']} members",
                highlight=False,
            )
            console.print(f"  {shown}", highlight=False)
        return 0

    return _guarded(run)


def warehouse_catalogue(warehouse: Path) -> set[str] | None:
    """KPI ids of the published warehouse's catalogue, or None when there is none to check against."""
    if not warehouse.is_file():
        return None
    con = open_warehouse(warehouse)
    try:
        return catalogue_ids(con) or None
    finally:
        con.close()


def scope(args: argparse.Namespace) -> int:
    """`jamfor scope add|remove ID...` on the user's scope file, `jamfor scope show`."""
    from pipeline import user_scope

    paths = Paths.from_env(args.data_dir, args.warehouse)
    if args.action != "show":
        if not args.ids:
            raise ScopeError(f"scope {args.action} needs at least one KPI id, e.g. N31807")
        ids = list(parse_kpis(",".join(args.ids)))
        catalogue = warehouse_catalogue(paths.warehouse)
        check_known(ids, catalogue)
        if catalogue is None:
            print(f"jamfor: warning: no catalogue in {paths.warehouse} yet; ids not checked", file=sys.stderr)
        if args.action == "add":
            user_scope.add(ids, args.data_dir)
        else:
            frames = None
            if catalogue is not None:
                con = open_warehouse(paths.warehouse)
                try:
                    frames = catalogue_frames(con)
                finally:
                    con.close()
            user_scope.remove(ids, frames, args.data_dir)
    chosen, path = current_scope(args.data_dir)
    print(f"default scope: {path}")
    print(f"  operating areas: {', '.join(chosen.operating_areas) or '-'}")
    print(f"  KPI groups: {', '.join(chosen.kpi_groups) or '-'}")
    print(f"  KPIs: {', '.join(chosen.kpis) or '-'}")
    print(f"  excluded: {', '.join(chosen.exclude_kpis) or '-'}")
    return 0


def check_kpi_flag(kpis: str | None, warehouse: Path) -> None:
    """`fetch/load --kpi`: ids not in the published catalogue stop the command (when there is one)."""
    if kpis:
        check_known(list(parse_kpis(kpis)), warehouse_catalogue(warehouse))
