"""The municipality list used to name-match regions when the warehouse has no Kolada units yet.

JAMFOR_MUNICIPALITIES names a CSV with SCB's codes and names (the layout of
`municipalities/municipality_county.csv` in the shared fixtures: municipality_code,
municipality_name, municipality_name_short, county_code, county_name, ...); without it the shared
fixtures' copy is used when present. Codes are read as text: leading zeros matter.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from sources.fixtures import fixtures_dir

from .errors import FileFormatError

REQUIRED = ("municipality_code", "municipality_name", "county_code", "county_name")
LIST_SCHEMA = {"municipality_id": pl.String, "name": pl.String, "kind": pl.String}


def municipality_list_path() -> Path | None:
    """JAMFOR_MUNICIPALITIES, else the shared fixtures' municipality_county.csv if it exists."""
    configured = os.environ.get("JAMFOR_MUNICIPALITIES", "").strip()
    if configured:
        return Path(configured)
    try:
        candidate = fixtures_dir() / "municipalities" / "municipality_county.csv"
    except FileNotFoundError:
        return None
    return candidate if candidate.is_file() else None


def read_municipality_list(path: Path | None = None) -> pl.DataFrame:
    """(municipality_id, name, kind) for every kommun (long and short name) and län (as 00LL).

    An empty frame when no list is configured or found; a configured file that is missing or lacks
    the columns is a FileFormatError.
    """
    path = path or municipality_list_path()
    if path is None:
        return pl.DataFrame(schema=LIST_SCHEMA)
    if not path.is_file():
        raise FileFormatError(path, "municipality list not found (JAMFOR_MUNICIPALITIES)")
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FileFormatError(path, f"municipality list lacks columns {missing}")
    names = ["municipality_name"] + (
        ["municipality_name_short"] if "municipality_name_short" in frame.columns else []
    )
    kommuner = frame.unpivot(index="municipality_code", on=names, value_name="name").select(
        pl.col("municipality_code").alias("municipality_id"), "name", kind=pl.lit("kommun")
    )
    counties = frame.select(
        ("00" + pl.col("county_code")).alias("municipality_id"),
        pl.col("county_name").alias("name"),
        kind=pl.lit("lan"),
    )
    return pl.concat([kommuner, counties]).unique(maintain_order=True)
