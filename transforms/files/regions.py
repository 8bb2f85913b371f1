"""Resolve region cells (codes, names, "0114 Upplands Väsby") to warehouse municipality ids.

Ids follow Kolada: 4-digit kommun codes, 00LL for a län/region, 0000 for Riket. The reference frame
(municipality_id, name, kind) comes from core.municipality and/or SCB's municipality list. A code
that lost its leading zero ("114") is repaired only when the padded code is a known kommun and,
where the row also gives a name, that name is the kommun's; otherwise the row is quarantined with
the reason, never joined to a guess.
"""

from __future__ import annotations

import polars as pl

from transforms.files.suggest import closest_names, did_you_mean

REFERENCE_SCHEMA = {"municipality_id": pl.String, "name": pl.String, "kind": pl.String}
RIKET = pl.DataFrame(
    {"municipality_id": ["0000"] * 3, "name": ["Riket", "Hela riket", "Sverige"], "kind": ["riket"] * 3},
    schema=REFERENCE_SCHEMA,
)


# what an error calls the column's content, and which regions a misspelt name is compared with
NOUNS = {"region": ("region name", "region code"), "kommun": ("kommun", "kommun code")}
SUGGESTED_KINDS = {"region": ("riket", "lan", "kommun"), "kommun": ("kommun",)}


class NoReferenceError(ValueError):
    """No municipality list to check region codes and names against."""


def name_key(expr: pl.Expr) -> pl.Expr:
    """Comparable form of a name: NFC, casefolded, dashes unified, whitespace collapsed."""
    return (
        expr.str.normalize("NFC")
        .str.to_lowercase()
        .str.replace_all(r"[\u2010-\u2015\u00ad]", "-")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def build_reference(*frames: pl.DataFrame) -> pl.DataFrame:
    """Union of reference frames plus Riket, keyed by name_key; raise when no kommun is known."""
    parts = [f.select(list(REFERENCE_SCHEMA)).cast(REFERENCE_SCHEMA) for f in frames]  # type: ignore[arg-type]
    reference = (
        pl.concat([RIKET, *parts])
        .with_columns(key=name_key(pl.col("name")))
        .unique(["municipality_id", "key"], maintain_order=True)
    )
    if reference.filter(pl.col("kind") == "kommun").height == 0:
        raise NoReferenceError(
            "no municipality list to match regions against: load Kolada metadata first or set "
            "JAMFOR_MUNICIPALITIES to SCB's municipality CSV"
        )
    return reference


def _by_name(reference: pl.DataFrame) -> pl.DataFrame:
    """name key -> municipality id, or null id with the candidates when a name is ambiguous."""
    return (
        reference.group_by("key")
        .agg(
            pl.col("municipality_id").unique().sort().alias("_ids"),
        )
        .select(
            "key",
            pl.when(pl.col("_ids").list.len() == 1).then(pl.col("_ids").list.first()).alias("_by_name"),
            pl.col("_ids").list.join(", ").alias("_candidates"),
        )
    )


def resolve_names(
    frame: pl.DataFrame, name_col: str, label: str, reference: pl.DataFrame, noun: str = "region"
) -> pl.DataFrame:
    """Add municipality_id and _region_error from a name column (Riket, kommun or län names).

    An unknown name's error suggests the closest known names (transforms.files.suggest); `noun`
    ("region" or "kommun") words the error and limits the suggestions to kommuner.
    """
    joined = frame.with_columns(key=name_key(pl.col(name_col))).join(
        _by_name(reference), on="key", how="left", maintain_order="left"
    )
    unknown = joined.filter(pl.col("_candidates").is_null())[name_col].drop_nulls().unique().to_list()
    hints = {n: did_you_mean(s) for n, s in closest_names(unknown, reference, SUGGESTED_KINDS[noun]).items()}
    hint = pl.col(name_col).replace_strict(hints, default="", return_dtype=pl.String)
    return joined.with_columns(
        municipality_id=pl.col("_by_name"),
        _region_error=pl.when(pl.col("_candidates").is_null())
        .then(
            pl.format(
                "column '{}': unknown {} '{}'{}",
                pl.lit(label),
                pl.lit(NOUNS[noun][0]),
                pl.col(name_col),
                hint,
            )
        )
        .when(pl.col("_by_name").is_null())
        .then(
            pl.format(
                "column '{}': '{}' is ambiguous ({})", pl.lit(label), pl.col(name_col), pl.col("_candidates")
            )
        ),
    ).drop("key", "_by_name", "_candidates")


def resolve_codes(
    frame: pl.DataFrame,
    code_col: str,
    label: str,
    reference: pl.DataFrame,
    name_col: str | None = None,
    noun: str = "region",
) -> pl.DataFrame:
    """Add municipality_id and _region_error from SCB-style codes (00, LL, KKKK; KKK repaired if safe)."""
    code = pl.col(code_col).str.strip_chars()
    candidate = (
        pl.when(code == "00")
        .then(pl.lit("0000"))
        .when(code.str.contains(r"^\d{2}$"))
        .then("00" + code)
        .when(code.str.contains(r"^\d{4}$"))
        .then(code)
        .when(code.str.contains(r"^\d{3}$"))
        .then("0" + code)
    )
    names = reference.group_by("municipality_id").agg(
        pl.col("key").alias("_names"),
        pl.col("name").sort_by(pl.col("name").str.len_chars()).first().alias("_ref_name"),
    )
    out = frame.with_columns(_candidate=candidate).join(
        names, left_on="_candidate", right_on="municipality_id", how="left", maintain_order="left"
    )
    given = name_key(pl.col(name_col)) if name_col else pl.lit(None, pl.String)
    name_ok = given.is_null() | pl.col("_names").list.contains(given)
    repaired = code.str.contains(r"^\d{3}$")
    code_noun = NOUNS[noun][1]
    error = (
        pl.when(pl.col("_candidate").is_null())
        .then(
            pl.format(
                "column '{}': not a {} (got '{}')", pl.lit(label), pl.lit(code_noun), code.fill_null("")
            )
        )
        .when(pl.col("_names").is_null() & repaired)
        .then(
            pl.format(
                "column '{}': code '{}' lost a leading zero and '{}' is no known kommun",
                pl.lit(label),
                code,
                pl.col("_candidate"),
            )
        )
        .when(pl.col("_names").is_null())
        .then(pl.format("column '{}': unknown {} '{}'", pl.lit(label), pl.lit(code_noun), code))
        .when(~name_ok & repaired)
        .then(
            pl.format(
                "column '{}': code '{}' lost a leading zero but '{}' is {}, not '{}'",
                pl.lit(label),
                code,
                pl.col("_candidate"),
                pl.col("_ref_name"),
                pl.col(name_col or code_col),
            )
        )
        .when(~name_ok)
        .then(
            pl.format(
                "column '{}': code '{}' is {}, not '{}'",
                pl.lit(label),
                code,
                pl.col("_ref_name"),
                pl.col(name_col or code_col),
            )
        )
    )
    return out.with_columns(
        municipality_id=pl.when(error.is_null()).then(pl.col("_candidate")),
        _region_error=error,
        _repaired=repaired & error.is_null(),
    ).drop("_candidate", "_names", "_ref_name")


def split_code_name(col: str) -> list[pl.Expr]:
    """ "0114 Upplands Väsby" -> _code "0114", _name "Upplands Väsby" (a bare name gives a null code)."""
    cell = pl.col(col).str.strip_chars()
    return [
        cell.str.extract(r"^(\d{2,4})(?:\s+.*)?$", 1).alias("_code"),
        pl.coalesce(
            cell.str.extract(r"^\d{2,4}\s+(.+)$", 1), pl.when(~cell.str.contains(r"^\d+$")).then(cell)
        ).alias("_name"),
    ]


def resolve_mixed(
    frame: pl.DataFrame, col: str, label: str, reference: pl.DataFrame, noun: str = "region"
) -> pl.DataFrame:
    """Resolve cells that hold a code, a name, or "code name"; row order is kept."""
    split = frame.with_row_index("_order").with_columns(split_code_name(col))
    coded = resolve_codes(
        split.filter(pl.col("_code").is_not_null()), "_code", label, reference, "_name", noun
    )
    named = resolve_names(
        split.filter(pl.col("_code").is_null()), "_name", label, reference, noun
    ).with_columns(_repaired=pl.lit(False))
    both = pl.concat([coded, named.select(coded.columns)]).sort("_order")
    return both.drop("_order", "_code", "_name")
