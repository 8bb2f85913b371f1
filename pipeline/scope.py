"""Load scopes: which KPIs and years a flow fetches, from a small YAML file or CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from schemas.ids import KPI_ID_RE, YEAR_MAX, YEAR_MIN, ScopeError
from settings.config import Paths

if TYPE_CHECKING:
    import polars as pl

SCOPES_DIR = Path(__file__).parent / "scopes"
DEFAULT = "default"
ADHOC = ":adhoc"  # suffix of a scope whose KPIs were given with --kpi
YEARS = re.compile(r"^(\d{4})(?:-(\d{4})?)?$")
SCOPE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Scope:
    """What to load: explicit KPIs, KPIs selected by operating area or KPI group, and years."""

    name: str
    kpis: tuple[str, ...] = ()
    operating_areas: tuple[str, ...] = ()
    kpi_groups: tuple[str, ...] = ()
    years: tuple[int, ...] = field(default_factory=tuple)
    # taken out of the selection even when an operating area or KPI group selects them
    exclude_kpis: tuple[str, ...] = ()

    def key(self) -> str:
        """The watermark key of this scope (name only: the same scope keeps one watermark)."""
        return self.name

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly description for the run ledger."""
        return {
            "name": self.name,
            "kpis": list(self.kpis),
            "operating_areas": list(self.operating_areas),
            "kpi_groups": list(self.kpi_groups),
            "exclude_kpis": list(self.exclude_kpis),
            "years": [min(self.years), max(self.years)] if self.years else [],
        }


def parse_years(text: str, *, today: date | None = None) -> tuple[int, ...]:
    """Parse "2015-2022", "2020" or an open range "1994-" (up to the current year)."""
    match = YEARS.match(text.strip())
    if not match:
        raise ScopeError(f"malformed years {text!r}: use YYYY, YYYY-YYYY or YYYY-")
    start = int(match.group(1))
    if match.group(2):
        end = int(match.group(2))
    elif "-" in text:
        end = (today or date.today()).year
    else:
        end = start
    if not YEAR_MIN <= start <= end <= YEAR_MAX:
        raise ScopeError(f"implausible years {text!r}: need {YEAR_MIN} <= start <= end <= {YEAR_MAX}")
    return tuple(range(start, end + 1))


def parse_kpis(text: str) -> tuple[str, ...]:
    """Parse a comma-separated KPI id list; every id must look like N12345 or U12345."""
    ids = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    bad = [kpi for kpi in ids if not KPI_ID_RE.match(kpi)]
    if bad or not ids:
        raise ScopeError(f"malformed KPI ids: {', '.join(bad) or text!r} (expected e.g. N31807,U21468)")
    return ids


def user_scope_file(data_dir: str | Path | None = None) -> Path:
    """The user's own default scope (JAMFOR_SCOPE_FILE, else <data dir>/scope.yaml), outside the
    repository: `jamfor scope add|remove` writes it and the scheduled loads read it when it exists."""
    explicit = os.environ.get("JAMFOR_SCOPE_FILE")
    return Path(explicit) if explicit else Paths.from_env(data_dir).data_dir / "scope.yaml"


def load_scope(path_or_name: str | Path, *, data_dir: str | Path | None = None) -> Scope:
    """Read a scope YAML file; a bare name ("default", "demo") refers to the bundled scopes, and
    "default" to the user's scope file instead when there is one (user_scope_file(data_dir))."""
    path = Path(path_or_name)
    if str(path_or_name) == DEFAULT and user_scope_file(data_dir).is_file():
        path = user_scope_file(data_dir)
    elif not path.suffix:
        # a bare name only ever means a bundled scope; anything else must be given as a .yaml path
        if not SCOPE_NAME.match(str(path_or_name)):
            raise ScopeError(
                f"scope {str(path_or_name)!r}: a bare name is letters, digits, - or _ (or give a .yaml file)"
            )
        path = SCOPES_DIR / f"{path_or_name}.yaml"
    if not path.is_file():
        raise ScopeError(f"scope file not found: {path}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise ScopeError(f"{path}: a scope file is a mapping with name, kpis, operating_areas, ...")
    unknown = set(raw) - {"name", "kpis", "operating_areas", "kpi_groups", "years", "exclude_kpis"}
    if unknown:
        raise ScopeError(f"{path}: unknown keys {sorted(unknown)}")
    kpis = parse_kpis(",".join(raw["kpis"])) if raw.get("kpis") else ()
    return Scope(
        name=str(raw.get("name") or path.stem),
        kpis=kpis,
        operating_areas=tuple(raw.get("operating_areas") or ()),
        kpi_groups=tuple(raw.get("kpi_groups") or ()),
        years=parse_years(str(raw.get("years") or "1994-")),
        exclude_kpis=parse_kpis(",".join(raw["exclude_kpis"])) if raw.get("exclude_kpis") else (),
    )


def with_overrides(scope: Scope, kpis: str | None = None, years: str | None = None) -> Scope:
    """Apply --kpi / --years flags: explicit KPIs replace the scope's selection."""
    if kpis:
        scope = Scope(name=f"{scope.name}{ADHOC}", kpis=parse_kpis(kpis), years=scope.years)
    if years:
        scope = replace(scope, years=parse_years(years))
    return scope


def resolve_kpis(scope: Scope, kpi_dim: pl.DataFrame, kpi_group_members: pl.DataFrame) -> list[str]:
    """The sorted KPI ids a scope selects, given the KPI catalogue and KPI group members."""
    import polars as pl  # here, not at the top: `jamfor compare` parses --kpi without Polars

    by_area = kpi_dim.filter(pl.col("operating_area").is_in(list(scope.operating_areas)))["kpi_id"]
    by_group = kpi_group_members.filter(pl.col("kpi_group_id").is_in(list(scope.kpi_groups)))["kpi_id"]
    selected = set(scope.kpis) | set(by_area.to_list()) | set(by_group.to_list())
    return sorted(selected - set(scope.exclude_kpis))
