"""`jamfor load scb`: population from SCB's PxWeb API into core.population (then per-capita figures)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline.scope import ScopeError
from settings.config import Paths


def _selection(items: list[str] | None) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for item in items or []:
        name, sep, codes = item.partition("=")
        values = [c.strip() for c in codes.split(",") if c.strip()]
        if not sep or not name.strip() or not values:
            raise ScopeError(f"malformed --select {item!r}: use VARIABLE=CODE[,CODE...], e.g. Region=00,0180")
        chosen[name.strip()] = values
    return chosen


def _population_with(
    table: str, periods: list[str] | None, overrides: dict[str, list[str]], scb_url: str | None
) -> dict[str, list[str]]:
    """The default population selection from the table's metadata with some variables' codes replaced."""
    from sources.scb import ScbClient, ScbSettings, population_selection, scb_store

    with tempfile.TemporaryDirectory() as scratch:  # metadata is not stored; the client wants a store
        meta = ScbClient(ScbSettings.from_env(base_url=scb_url), scb_store(Path(scratch), "meta")).metadata(
            table
        )
    unknown = sorted(set(overrides) - set(meta["id"]))
    if unknown:
        raise ScopeError(
            f"{table} has no variable {', '.join(unknown)}; its variables: {', '.join(meta['id'])}"
        )
    return {**population_selection(meta, periods=periods), **overrides}


def load_scb(args: argparse.Namespace) -> int:
    """`jamfor load scb`: population from SCB's PxWeb API into core.population (then per-capita)."""
    from pipeline.files import fetch_scb
    from pipeline.scope import parse_years

    periods = [str(y) for y in parse_years(args.years)] if args.years else None
    paths = Paths.from_env(args.data_dir, args.warehouse)
    overrides = _selection(args.select)
    selection = None
    if overrides:
        selection = _population_with(args.table, periods, overrides, args.scb_url)
    report = fetch_scb(
        args.table,
        selection=selection,
        periods=periods,
        scb_url=args.scb_url,
        warehouse=paths.warehouse,
        data_dir=paths.data_dir,
    )
    print(report.format())
    return 0
