"""A comparison network's own measures (the template of docs/network_template.md) as core.network_measure.

Columns arrive with canonical names (sources.files.template). The municipality is a code, a name or
"code name"; the period a year or year-month (or år + månad columns); the value a number with a
decimal comma or point, or a status marker; the direction higher/lower/neutral in Swedish or English.
"""

from __future__ import annotations

import polars as pl

from transforms.files import common
from transforms.files.network_owner import ERROR_COL, assign_network, empty_networks, uncompared
from transforms.files.regions import resolve_mixed
from transforms.files.result import FileFrames, finish

DIRECTIONS = {
    "higher": "higher",
    "högre": "higher",
    "hög": "higher",
    "högt": "higher",
    "högre är bättre": "higher",
    "higher is better": "higher",
    "up": "higher",
    "lower": "lower",
    "lägre": "lower",
    "låg": "lower",
    "lågt": "lower",
    "lägre är bättre": "lower",
    "lower is better": "lower",
    "down": "lower",
    "neutral": "neutral",
    "ingen": "neutral",
    "none": "neutral",
}


def _optional(frame: pl.DataFrame, col: str) -> pl.Expr:
    """The stripped raw cell of `col`, null when empty or when the file has no such column."""
    if f"_{col}" not in frame.columns:
        return pl.lit(None, pl.String)
    cell = common.text(f"_{col}")
    return pl.when(cell != "").then(cell)


def network_from_template(
    frame: pl.DataFrame,
    labels: dict[str, str],
    reference: pl.DataFrame,
    file_name: str,
    notes: list[str],
    networks: pl.DataFrame | None = None,
) -> FileFrames:
    """One core.network_measure row per template row; bad cells quarantine the row with the column named.

    `labels` maps canonical column names to the header as written, for the quarantine reasons;
    `networks` (network_id, title, member_id) decides which network the rows belong to
    (transforms.files.network_owner), and the notes (the owner's first) say when one was assumed.
    """
    labels = {c: labels.get(c, c) for c in (*labels, "municipality", "measure_id", "value", "direction")}
    labels.setdefault("network", "nätverk")
    # the raw cells move to "_<name>" so the typed columns can take the canonical names
    raw = [c for c in frame.columns if not c.startswith("_")]
    frame = frame.rename({c: f"_{c}" for c in raw})
    raw_cols = {f"_{c}": labels[c] for c in raw}
    period_label = labels["period"] if "_period" in frame.columns else labels.get("year", "year")
    if "_period" not in frame.columns:
        month = common.text("_month") if "_month" in frame.columns else pl.lit("")
        month_text = pl.when(month.fill_null("") == "").then(pl.lit("")).otherwise("-" + month.str.zfill(2))
        frame = frame.with_columns(_period=common.text("_year") + month_text)
    resolved = resolve_mixed(frame, "_municipality", labels["municipality"], reference, "kommun")
    period, period_error = common.period("_period", period_label)
    value, status, value_error = common.number("_value", labels["value"])
    has_direction = "_direction" in frame.columns
    direction_text = (
        common.text("_direction").str.to_lowercase() if has_direction else pl.lit(None, pl.String)
    )
    direction = direction_text.replace_strict(DIRECTIONS, default=None, return_dtype=pl.String)
    measure_id = common.text("_measure_id")
    staged = resolved.with_columns(
        network=_optional(resolved, "network"),
        measure_id=measure_id,
        measure_title=_optional(resolved, "measure_title"),
        period=period,
        value=value,
        status=status,
        unit=_optional(resolved, "unit"),
        direction=direction,
        note=_optional(resolved, "note"),
    ).with_columns(common.year_month())
    networks = empty_networks() if networks is None else networks
    staged, owner_notes = assign_network(staged, networks, labels["network"])
    bad_direction = direction_text.is_not_null() & (direction_text != "") & direction.is_null()
    errors = [
        pl.col("_region_error"),
        pl.col(ERROR_COL),
        pl.when(measure_id.fill_null("") == "").then(
            pl.lit(f"column '{labels['measure_id']}': empty measure id")
        ),
        period_error,
        value_error,
        pl.when(bad_direction).then(
            pl.format(
                "column '{}': expected higher/lower/neutral (högre/lägre) (got '{}')",
                pl.lit(labels["direction"]),
                direction_text,
            )
        ),
    ]
    result = finish(
        staged,
        "core.network_measure",
        source="network",
        file_name=file_name,
        raw_cols=raw_cols,
        errors=errors,
        notes=[*owner_notes, *notes],
        key_words=f"'{labels['municipality']}', '{labels['measure_id']}' and '{period_label}'",
    )
    result.warnings.extend(uncompared(result.valid, networks, reference, file_name))
    return result
