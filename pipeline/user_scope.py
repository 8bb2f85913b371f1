"""The user's own default scope file (`jamfor scope add|remove|show`) and the check of KPI ids
against the catalogue.

The file lives outside the repository (pipeline.scope.user_scope_file). The first change copies the
bundled default scope into it; from then on the scheduled yearly and monthly loads (scope "default")
read it instead. Explicit KPIs go under `kpis`; removing a KPI that an operating area or KPI group
selects puts it under `exclude_kpis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import yaml

from pipeline.scope import DEFAULT, SCOPES_DIR, Scope, ScopeError, load_scope, resolve_kpis, user_scope_file

HEADER = (
    "# jamfor's default scope, kept by `jamfor scope add|remove`: the scheduled yearly and monthly\n"
    "# loads read this file instead of pipeline/scopes/default.yaml while it exists (delete it to go back).\n"
)


def check_known(
    kpis: Sequence[str], catalogue: set[str] | None, where: str = "the Kolada catalogue of the warehouse"
) -> None:
    """Stop at once, naming them, when KPI ids are not in the catalogue (None = no catalogue yet)."""
    if catalogue is None:
        return
    unknown = [k for k in kpis if k not in catalogue]
    if unknown:
        raise ScopeError(
            f"unknown KPI id{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: not in {where} "
            "(find ids with `jamfor kpi search TEXT`)"
        )


def current_scope(data_dir: str | Path | None = None) -> tuple[Scope, Path]:
    """The default scope the scheduled loads use, and the file it comes from."""
    path = user_scope_file(data_dir)
    return load_scope(DEFAULT, data_dir=data_dir), path if path.is_file() else SCOPES_DIR / f"{DEFAULT}.yaml"


def _years(years: tuple[int, ...]) -> str:
    """The scope's years as written in a scope file: open-ended ("1994-") when they reach this year."""
    if not years:
        return "1994-"
    return f"{min(years)}-" if max(years) >= date.today().year else f"{min(years)}-{max(years)}"


def _write(scope: Scope, path: Path) -> None:
    body = {
        "name": scope.name,
        "operating_areas": list(scope.operating_areas),
        "kpi_groups": list(scope.kpi_groups),
        "kpis": list(scope.kpis),
        "exclude_kpis": list(scope.exclude_kpis),
        "years": _years(scope.years),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(HEADER + yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)  # a scheduled load reading the file never sees half of it


def add(kpis: Sequence[str], data_dir: str | Path | None = None) -> tuple[Scope, Path]:
    """Add explicit KPIs to the user scope file (creating it from the bundled default)."""
    scope, _ = current_scope(data_dir)
    new = Scope(
        name=scope.name,
        kpis=tuple(dict.fromkeys([*scope.kpis, *kpis])),
        operating_areas=scope.operating_areas,
        kpi_groups=scope.kpi_groups,
        years=scope.years,
        exclude_kpis=tuple(k for k in scope.exclude_kpis if k not in kpis),
    )
    path = user_scope_file(data_dir)
    _write(new, path)
    return new, path


def remove(
    kpis: Sequence[str], catalogue: tuple | None, data_dir: str | Path | None = None
) -> tuple[Scope, Path]:
    """Remove KPIs from the user scope: drop them from `kpis` and list them under `exclude_kpis`.

    `catalogue` is (kpi frame, group member frame) from the warehouse, or None; with it a KPI the scope
    does not select at all is an error.
    """
    scope, _ = current_scope(data_dir)
    if catalogue is not None:
        selected = set(resolve_kpis(scope, *catalogue))
        absent = [k for k in kpis if k not in selected]
        if absent:
            raise ScopeError(f"not in the default scope: {', '.join(absent)} (see `jamfor scope show`)")
    new = Scope(
        name=scope.name,
        kpis=tuple(k for k in scope.kpis if k not in kpis),
        operating_areas=scope.operating_areas,
        kpi_groups=scope.kpi_groups,
        years=scope.years,
        # excluded as well: an operating area or KPI group may select it too
        exclude_kpis=tuple(dict.fromkeys([*scope.exclude_kpis, *kpis])),
    )
    path = user_scope_file(data_dir)
    _write(new, path)
    return new, path
