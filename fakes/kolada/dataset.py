"""Load the real Kolada fixtures into the frames the replay server answers from.

Metadata comes from rKolada's v3 snapshot (kpi, municipality, municipality_groups, 2026-03-23) and
pykolada's v2 snapshot (kpi_groups, ou, 2024-01; same fields in v3). Values are open-numbers' 2024 v2
scrape (one CSV per KPI, gender T and K/M) from two folders whose unit ids, gender letters and column
order differ (see `_read_dump_csv`). The "revised" dataset is a synthetic, seeded
modification of those values (see `build_revision`); it is not real Kolada data.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import polars as pl

from sources.fixtures import fixtures_dir as default_fixtures_dir

METADATA_FILES: dict[str, str] = {
    "kpi": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_kpi.json",
    "municipality": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality.json",
    "municipality_groups": "kolada/rkolada_sysdata/rkolada_v3_2026-03-23_municipality_groups.json",
    "kpi_groups": "kolada/pykolada_v2_2024-01/kpi_groups.json",
    "ou": "kolada/pykolada_v2_2024-01_ou/ou.json",
}
# The 13 social-services KPIs, then the 37 IFO KPIs (costs, väntetid, ÖJ factors) of the same scrape.
DUMP_DIRS = ("kolada/opennumbers_ddf_kolada_dump", "kolada/opennumbers_ddf_kolada_dump_ifo")
TOTAL_DIR = "datapoints--by--geo--year"
GENDER_DIR = "datapoints--by--geo--gender--year"

DATASETS = ("base", "revised")
# The dump's scrape date: every base value counts as last updated then.
BASE_UPDATED = date(2024, 8, 30)
# Synthetic revision date: the revision counts as published today (never before 2026-10-01), as a
# real revision would be published after the load that a monthly run's watermark remembers.
REVISED_UPDATED = max(date(2026, 10, 1), date.today())
REVISION_SEED = 20261001
CHANGE_FRACTION = 0.01
DELETE_FRACTION = 0.005
# Synthetic revision: a changed value is the base value plus this.
REVISION_DELTA = 1.0

KEY = ["kpi", "municipality", "period"]
VALUE_KEY = [*KEY, "gender"]
GENDER_RANK = {"T": 0, "K": 1, "M": 2}


class RevisionKeys(NamedTuple):
    """Value keys (kpi, municipality, period, gender) the synthetic revision changed or deleted."""

    changed: pl.DataFrame
    deleted: pl.DataFrame


@dataclass
class ReplayDataset:
    """Everything the server serves: metadata frames, group members and the value frames."""

    meta: dict[str, pl.DataFrame]
    members: pl.DataFrame
    base: pl.DataFrame
    _revised: tuple[pl.DataFrame, RevisionKeys] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def values(self, name: str = "base") -> pl.DataFrame:
        """Flat value rows of dataset `name` ("base" or "revised"), one per (kpi, unit, period, gender)."""
        if name == "base":
            return self.base
        if name == "revised":
            return self._revision()[0]
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")

    def revision_keys(self) -> RevisionKeys:
        """The keys whose values differ between base and revised (for tests)."""
        return self._revision()[1]

    def _revision(self) -> tuple[pl.DataFrame, RevisionKeys]:
        with self._lock:
            if self._revised is None:
                self._revised = build_revision(self.base, REVISION_SEED)
            return self._revised


_CACHE: dict[Path, ReplayDataset] = {}
_CACHE_LOCK = threading.Lock()


def load_dataset(fixtures_dir: Path | None = None) -> ReplayDataset:
    """Load (once per fixtures dir, then cached) the replay dataset."""
    root = (fixtures_dir or default_fixtures_dir()).resolve()
    with _CACHE_LOCK:
        cached = _CACHE.get(root)
        if cached is None:
            raw = {name: _read_meta(root / rel) for name, rel in METADATA_FILES.items()}
            cached = ReplayDataset(
                meta={name: _index_meta(frame) for name, frame in raw.items()},
                members=_members(raw["municipality_groups"]),
                base=_load_values([root / d for d in DUMP_DIRS]),
            )
            _CACHE[root] = cached
        return cached


def _read_meta(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise FileNotFoundError(f"replay fixture missing: {path} (set JAMFOR_FIXTURES_DIR to the fixtures)")
    # Full-file schema inference: a field that is null in the first rows must not lose its type.
    return pl.read_json(path, infer_schema_length=None)


def _index_meta(raw: pl.DataFrame) -> pl.DataFrame:
    """Metadata objects in file order, each pre-serialised with its fields as in the file.

    Keeps the columns the routes filter on: id, lower-cased title and, where present, municipality
    (ou) and type (municipality).
    """
    filters = [c for c in ("municipality", "type") if c in raw.columns]
    return raw.select(
        "id",
        pl.col("title").str.to_lowercase().alias("title_lower"),
        *filters,
        pl.struct(pl.all()).struct.json_encode().alias("json"),
    )


def _members(groups: pl.DataFrame) -> pl.DataFrame:
    """(group_id, member_id) rows from the municipality groups."""
    return (
        groups.select(pl.col("id").alias("group_id"), "members")
        .explode("members")
        .drop_nulls("members")
        .select("group_id", pl.col("members").struct.field("member_id").alias("member_id"))
    )


def _read_dump_csv(path: Path, by_gender: bool) -> pl.DataFrame:
    """One dump CSV as (kpi, municipality, period, gender, value), whichever folder it comes from.

    The IFO folder writes Riket as "0" and regions with 2 digits ("01" = Kolada's "0001"), gender
    lower-case and the columns as geo,gender,year,<kpi>; the older one uses Kolada's 4-digit ids,
    upper-case gender and geo,year,gender,<kpi>. Columns are taken by name, ids padded to 4 digits.
    """
    # Everything as text first: geo keeps its leading zeros and values parse exactly once, below.
    raw = pl.read_csv(path, infer_schema=False)
    value_cols = [c for c in raw.columns if c not in ("geo", "year", "gender")]
    if len(value_cols) != 1 or "geo" not in raw.columns or "year" not in raw.columns:
        raise ValueError(
            f"{path}: expected columns geo, year[, gender] and one KPI column, got {raw.columns}"
        )
    value_col = value_cols[0]
    geo = pl.col("geo").str.strip_chars()
    return raw.select(
        pl.lit(value_col.upper()).alias("kpi"),
        pl.when(geo.str.len_chars() < 4).then(geo.str.pad_start(4, "0")).otherwise(geo).alias("municipality"),
        pl.col("year").cast(pl.Int32).alias("period"),
        pl.col("gender").str.to_uppercase() if by_gender else pl.lit("T").alias("gender"),
        pl.col(value_col).str.strip_chars().cast(pl.Float64).alias("value"),
    )


def _load_values(dumps: list[Path]) -> pl.DataFrame:
    """All dump values as flat rows with the v3 value fields, sorted by (kpi, period, unit, gender).

    A KPI present in two folders would serve two values per key, so it is refused.
    """
    frames = []
    for dump in dumps:
        paths = [(p, False) for p in sorted((dump / TOTAL_DIR).glob("*.csv"))]
        paths += [(p, True) for p in sorted((dump / GENDER_DIR).glob("*.csv"))]
        if not paths:
            raise FileNotFoundError(f"no value CSVs under {dump}")
        frames.append(pl.concat([_read_dump_csv(p, by_gender) for p, by_gender in paths]))
    shared = set.intersection(*(set(f["kpi"].unique()) for f in frames)) if len(frames) > 1 else set()
    if shared:
        raise ValueError(f"KPIs {sorted(shared)} are in more than one of {[str(d) for d in dumps]}")
    frame = pl.concat(frames)
    return (
        frame.with_columns(
            pl.lit(1, pl.Int64).alias("count"),
            pl.lit("").alias("status"),
            pl.lit(False).alias("isdeleted"),
            pl.lit(BASE_UPDATED).alias("updated"),
            pl.col("gender").replace_strict(GENDER_RANK, return_dtype=pl.UInt8).alias("gender_rank"),
        )
        .sort("kpi", "period", "municipality", "gender_rank")
        .select(
            "kpi",
            "municipality",
            "period",
            "gender",
            "count",
            "status",
            "value",
            "isdeleted",
            "updated",
            "gender_rank",
        )
    )


def build_revision(base: pl.DataFrame, seed: int) -> tuple[pl.DataFrame, RevisionKeys]:
    """Synthetic revision: delete ~0.5% of items, add REVISION_DELTA to ~1% of the other non-null T values."""
    rng = random.Random(seed)
    items = base.select(KEY).unique(maintain_order=True)
    deleted_items = _sample_rows(items, DELETE_FRACTION, rng)
    candidates = (
        base.filter((pl.col("gender") == "T") & pl.col("value").is_not_null())
        .join(deleted_items, on=KEY, how="anti", maintain_order="left")
        .select(VALUE_KEY)
    )
    changed = _sample_rows(candidates, CHANGE_FRACTION, rng)
    deleted = base.join(deleted_items, on=KEY, how="semi", maintain_order="left").select(VALUE_KEY)
    flags = pl.concat(
        [
            changed.with_columns(pl.lit("changed").alias("revision")),
            deleted.with_columns(pl.lit("deleted").alias("revision")),
        ]
    )
    revised = base.join(flags, on=VALUE_KEY, how="left", maintain_order="left").with_columns(
        pl.when(pl.col("revision") == "deleted")
        .then(None)
        .when(pl.col("revision") == "changed")
        .then(pl.col("value") + REVISION_DELTA)
        .otherwise(pl.col("value"))
        .alias("value"),
        (pl.col("revision") == "deleted").fill_null(False).alias("isdeleted"),
        pl.when(pl.col("revision").is_not_null())
        .then(pl.lit(REVISED_UPDATED))
        .otherwise(pl.col("updated"))
        .alias("updated"),
    )
    return revised.drop("revision"), RevisionKeys(changed=changed, deleted=deleted)


def _sample_rows(frame: pl.DataFrame, fraction: float, rng: random.Random) -> pl.DataFrame:
    # Sampling row positions with the stdlib RNG keeps the choice identical across polars versions.
    k = max(1, round(frame.height * fraction))
    picked = sorted(rng.sample(range(frame.height), k))
    return frame.with_row_index("_row").filter(pl.col("_row").is_in(picked)).drop("_row")
