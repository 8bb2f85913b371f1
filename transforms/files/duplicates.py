"""Duplicate rows of a delivered file, named by their row numbers.

schemas.validate_split keeps the first of rows equal in every column (the copies are quarantined as
"exact duplicate") and quarantines every row of a key that rows with other content share ("duplicate
natural key"). Here those reasons gain the rows they refer to, and the load report gets a line for
each kind, so that a file's quarantine count explains itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from schemas.validate import DUPLICATE_KEY, EXACT_DUPLICATE

# how many row numbers a report line lists before it says "..."
LISTED_ROWS = 5


def duplicate_rows(
    parsed: pl.DataFrame, row: pl.Expr, data_cols: Sequence[str], key_cols: Sequence[str]
) -> pl.DataFrame:
    """(row, first, others) for each row of `parsed`: the first row equal to it in every data column,
    and the first rows of each other content with the same key (empty: the key is its own)."""
    numbered = parsed.select(*data_cols, _r=row).with_columns(_first=pl.col("_r").min().over(list(data_cols)))
    contents = numbered.group_by(list(key_cols)).agg(_firsts=pl.col("_first").unique())
    joined = numbered.join(contents, on=list(key_cols), how="left", nulls_equal=True, maintain_order="left")
    return joined.select(
        row=pl.col("_r"),
        first=pl.col("_first"),
        others=pl.col("_firsts").list.set_difference(pl.concat_list("_first")).list.sort(),
    )


def name_duplicates(
    quarantine: pl.DataFrame, row: pl.Expr, duplicates: pl.DataFrame, key_words: str
) -> pl.DataFrame:
    """`quarantine` with its duplicate reasons naming rows: "exact duplicate of row 2", "duplicate
    natural key (the same kommun, mått and period as row 5, with other content)"; `row` gives a
    quarantine row's file row."""
    named = quarantine.with_columns(_r=row).join(
        duplicates.rename({"row": "_r"}), on="_r", how="left", maintain_order="left"
    )
    others = pl.col("others").list.eval(pl.element().cast(pl.String)).list.join(", ")
    plural = pl.when(pl.col("others").list.len() > 1).then(pl.lit("s")).otherwise(pl.lit(""))
    key_reason = pl.format(
        "{} (the same {} as row{} {}, with other content)",
        pl.lit(DUPLICATE_KEY),
        pl.lit(key_words),
        plural,
        others,
    )
    conflict = pl.col("failed_check").str.contains(DUPLICATE_KEY, literal=True) & (
        pl.col("others").list.len() > 0
    )
    return named.with_columns(
        failed_check=pl.when((pl.col("failed_check") == EXACT_DUPLICATE) & pl.col("first").is_not_null())
        .then(pl.format("{} of row {}", pl.lit(EXACT_DUPLICATE), pl.col("first")))
        .when(conflict)
        .then(pl.col("failed_check").str.replace(DUPLICATE_KEY, key_reason, literal=True))
        .otherwise(pl.col("failed_check"))
    ).drop("_r", "first", "others")


def _listed(items: Sequence[str]) -> str:
    return ", ".join(items[:LISTED_ROWS]) + (", ..." if len(items) > LISTED_ROWS else "")


def duplicate_warnings(duplicates: pl.DataFrame, file_name: str, key_words: str) -> list[str]:
    """The report's lines on exact copies (kept once) and on rows whose key clashes (none loads)."""
    lines = []
    copies = duplicates.filter((pl.col("row") != pl.col("first")) & (pl.col("others").list.len() == 0))
    if copies.height:
        pairs = [
            f"row {row} repeats row {first}"
            for row, first in copies.sort("row").select("row", "first").rows()
        ]
        many = copies.height > 1
        lines.append(
            f"{file_name}: {copies.height} exact duplicate row{'s' if many else ''} ({_listed(pairs)}): "
            f"loaded once, the cop{'ies' if many else 'y'} counted as quarantined"
        )
    clashing = duplicates.filter(pl.col("others").list.len() > 0)
    if clashing.height:
        rows = [str(r) for r in clashing["row"].sort()]
        lines.append(
            f"{file_name}: rows {_listed(rows)} give other content for the same {key_words}: "
            f"all {clashing.height} are quarantined, none loads"
        )
    return lines
