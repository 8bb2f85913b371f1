"""Answer codings of Öppna jämförelser factors, parsed from KPI group member titles.

Member titles carry the coding in parentheses: "(Ja=1, Nej=0)", "(Ja, för alla=2, Ja, men inte för
alla=1, Nej=0)", "(Ja=2, Delvis=1, Nej=0)", U35537 "(Inom 3 dagar=3, 4-7 dagar=2, 8-14 dagar=1, mer än
15 dagar=0)". The codes are the numbers after "="; the top code is the best answer.
"""

from __future__ import annotations

import polars as pl

# The first parenthesised part holding an "=": the coding, not a "(-2021)" discontinued marker.
CODING_PATTERN = r"\(([^()]*=[^()]*)\)"
CODE_PATTERN = r"=\s*(\d+)"
# "-2017 Ja=1, Nej=0. 2018- Ja=2, Delvis=1, Nej=0": the coding changed between years.
YEAR_RANGE_PATTERN = r"(?:^|\D)(?:19|20)\d{2}\s*-|-\s*(?:19|20)\d{2}(?:\D|$)"
# "(Ja=1, Nej=2)" exists in Kolada: there the top code is the worst answer.
NEJ_PATTERN = r"(?:^|,\s*)Nej\s*=\s*(\d+)"
FACTOR_SCHEMA = pl.Schema(
    {
        "kpi_group_id": pl.String,
        "oj_area": pl.String,
        "kpi_id": pl.String,
        "member_title": pl.String,
        "coding": pl.String,
        "coding_status": pl.String,
        "top_code": pl.Int32,
        "positive_min_code": pl.Int32,
        "positive_basis": pl.String,
    }
)


def parse_codings(members: pl.DataFrame, positive_min_code: dict[str, int] | None = None) -> pl.DataFrame:
    """core.ref_oj_factor rows from (kpi_group_id, oj_area, kpi_id, member_title) rows.

    Only `coding_status == "parsed"` rows are factors. Graded codings count only the top code as
    positive unless `positive_min_code` sets a lower code for a KPI.
    """
    overrides = pl.DataFrame(
        list((positive_min_code or {}).items()),
        schema={"kpi_id": pl.String, "_override": pl.Int32},
        orient="row",
    )
    coding = pl.col("member_title").str.extract(CODING_PATTERN, 1).str.strip_chars()
    codes = (
        pl.col("coding")
        .str.extract_all(CODE_PATTERN)
        .list.eval(pl.element().str.extract(r"(\d+)", 1).cast(pl.Int32))
    )
    status = (
        pl.when(pl.col("coding").is_null())
        .then(pl.lit("no coding"))
        .when(pl.col("coding").str.contains(YEAR_RANGE_PATTERN))
        .then(pl.lit("year-dependent"))
        .when(pl.col("_codes").list.n_unique() < 2)
        .then(pl.lit("unparsed"))
        .when(pl.col("coding").str.extract(NEJ_PATTERN, 1).cast(pl.Int32) == pl.col("_codes").list.max())
        .then(pl.lit("reversed"))
        .otherwise(pl.lit("parsed"))
    )
    parsed = pl.col("coding_status") == "parsed"
    return (
        members.with_columns(coding=coding)
        .with_columns(_codes=codes)
        .with_columns(coding_status=status)
        .join(overrides, on="kpi_id", how="left")
        .with_columns(top_code=pl.when(parsed).then(pl.col("_codes").list.max()))
        .with_columns(
            positive_min_code=pl.when(parsed).then(pl.coalesce("_override", "top_code")),
            positive_basis=pl.when(parsed & pl.col("_override").is_not_null())
            .then(pl.lit("configured"))
            .when(parsed)
            .then(pl.lit("top code")),
        )
        .select(FACTOR_SCHEMA.names())
        .cast(dict(FACTOR_SCHEMA))
        .sort("kpi_group_id", "kpi_id")
    )
