"""Direction of each KPI (higher | lower | neutral is better) from overrides, metadata rules or unknown."""

from __future__ import annotations

import polars as pl

from schemas.ids import KPI_ID
from transforms.comparison.rules import Rule, RuleError, first_match

DIRECTIONS = ("higher", "lower", "neutral")
DIRECTION_SCHEMA = pl.Schema(
    {"kpi_id": pl.String, "direction": pl.String, "basis": pl.String, "rule": pl.String, "note": pl.String}
)
OVERRIDE_SCHEMA = pl.Schema({"kpi_id": pl.String, "direction": pl.String, "note": pl.String})


def derive_directions(
    kpis: pl.DataFrame, rules: list[Rule], overrides: pl.DataFrame, *, override_source: str
) -> pl.DataFrame:
    """One row per KPI in `kpis` or `overrides`: direction and its basis (override, rule or unknown).

    `kpis` needs kpi_id, title, description, operating_area, perspective; `overrides` has kpi_id,
    direction, note (OVERRIDE_SCHEMA). Unknown KPIs are neutral, so they are never coloured good/bad.
    """
    bad_rules = [r.name for r in rules if r.result not in DIRECTIONS]
    if bad_rules:
        raise RuleError(f"direction rules {bad_rules}: result must be one of {DIRECTIONS}")
    _check_overrides(overrides, override_source)
    direction, rule = first_match(rules, None, None)
    notes = pl.DataFrame(
        {"rule": [r.name for r in rules], "rule_note": [r.note or None for r in rules]},
        schema={"rule": pl.String, "rule_note": pl.String},
    )
    derived = (
        kpis.select("kpi_id", direction.alias("direction"), rule.alias("rule"))
        .join(notes, on="rule", how="left")
        .select(
            "kpi_id",
            pl.col("direction").fill_null("neutral"),
            pl.when(pl.col("rule").is_null())
            .then(pl.lit("unknown"))
            .otherwise(pl.lit("rule"))
            .alias("basis"),
            "rule",
            pl.col("rule_note").alias("note"),
        )
    )
    chosen = overrides.select(
        "kpi_id",
        "direction",
        pl.lit("override").alias("basis"),
        pl.lit(override_source).alias("rule"),
        "note",
    )
    return (
        pl.concat([chosen, derived.join(chosen, on="kpi_id", how="anti")])
        .select(DIRECTION_SCHEMA.names())
        .cast(DIRECTION_SCHEMA)
        .sort("kpi_id")
    )


def _check_overrides(overrides: pl.DataFrame, source: str) -> None:
    """Fail on a malformed KPI id, an unknown direction or a KPI overridden twice, naming the entry."""
    bad = overrides.filter(
        ~pl.col("kpi_id").str.contains(KPI_ID).fill_null(False)
        | ~pl.col("direction").is_in(DIRECTIONS).fill_null(False)
        | pl.col("kpi_id").is_duplicated()
    )
    if bad.height:
        first = bad.row(0, named=True)
        raise RuleError(
            f"{source}: override {first['kpi_id']!r} -> {first['direction']!r}: need a KPI id like N31807, "
            f"a direction in {DIRECTIONS} and one override per KPI"
        )
