"""The result of transforming one file, and the shared validate-and-quarantine step.

Every file transform ends in `finish`: it validates the typed frame once against its Pandera model
(schemas.registers) and returns valid rows plus quarantine rows whose reason starts with the file and
the row ("befolkning.csv, row 57: ..."), so rows in = loaded + quarantined holds per file (an exact
copy of a row counts as quarantined: the row itself is kept once).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from schemas.registers import KEYS, MODELS
from schemas.validate import DUPLICATE_KEY, EXACT_DUPLICATE, PARSE_ERRORS_COL, validate_split
from transforms.files.common import join_errors
from transforms.files.duplicates import duplicate_rows, duplicate_warnings, name_duplicates

ROW_FIELD = "file_row"
IDENTITY_COLUMNS = {
    "core.population": ("source_table",),
    "core.register_value": ("source", "measure"),
    "core.network_measure": ("network", "measure_id"),
}


@dataclass
class FileFrames:
    """Valid rows for one core table, the file's quarantine rows, and what the file covers.

    `notes` qualify the file (the load report shows each on a line of its own below the file, in this
    order); `warnings` are lines the report shows in full, each naming the file: rows kept once, lost
    or never compared.
    """

    target: str
    valid: pl.DataFrame
    quarantine: pl.DataFrame
    rows_in: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def identities(self) -> list[str]:
        """What the file is about: source tables, (source, measure) or (network, measure id) pairs."""
        cols = IDENTITY_COLUMNS[self.target]
        return sorted(
            self.valid.select(pl.concat_str(list(cols), separator="/")).to_series().unique().to_list()
        )

    @property
    def periods(self) -> list[str]:
        return sorted(self.valid["period"].unique().to_list())

    @property
    def municipalities(self) -> list[str]:
        return sorted(self.valid["municipality_id"].unique().to_list())


def finish(
    frame: pl.DataFrame,
    target: str,
    *,
    source: str,
    file_name: str,
    raw_cols: list[str] | dict[str, str],
    errors: list[pl.Expr],
    notes: list[str] | None = None,
    key_words: str = "key",
) -> FileFrames:
    """Validate `frame` (business columns, raw columns, `_row`) and split it into valid and quarantine.

    `raw_cols` are the cells as read (kept in the quarantine record; a dict renames them there);
    `errors` are per-row error expressions (null when fine) evaluated on `frame`; `key_words` name the
    natural key in duplicate reasons ("kommun, mått and period").
    """
    model = MODELS[target]
    business = list(model.to_schema().columns)
    entity = target.split(".", 1)[1]
    names = raw_cols if isinstance(raw_cols, dict) else {c: c for c in raw_cols}
    staged = frame.with_columns(
        join_errors(*errors).alias(PARSE_ERRORS_COL),
        pl.struct([*(pl.col(c).alias(k) for c, k in names.items()), pl.col("_row").alias(ROW_FIELD)]).alias(
            "_record"
        ),
    ).select(*business, PARSE_ERRORS_COL, "_record")
    # rows that could not even be parsed are quarantined with their parse errors alone; the model's
    # checks (and the duplicate-key check) run on the others, so a reason never lists follow-on failures
    unparsed = staged.filter(pl.col(PARSE_ERRORS_COL).is_not_null()).select(
        source=pl.lit(source),
        entity=pl.lit(entity),
        natural_key=pl.concat_str(
            [pl.col(c).cast(pl.String).fill_null("") for c in KEYS[target]], separator="/"
        ),
        record=pl.col("_record").struct.json_encode(),
        failed_check=pl.col(PARSE_ERRORS_COL),
    )
    parsed = staged.filter(pl.col(PARSE_ERRORS_COL).is_null()).drop(PARSE_ERRORS_COL)
    valid, rejected = validate_split(parsed, model, source=source, entity=entity, key_cols=KEYS[target])
    row = pl.col("record").str.json_path_match(f"$.{ROW_FIELD}")
    warnings: list[str] = []
    if rejected["failed_check"].str.contains(f"{EXACT_DUPLICATE}|{DUPLICATE_KEY}").any():
        # only a file with duplicates pays for comparing its rows in every column once more
        file_row = pl.col("_record").struct.field(ROW_FIELD)
        duplicates = duplicate_rows(parsed, file_row, business, KEYS[target])
        rejected = name_duplicates(rejected, row.cast(pl.Int64), duplicates, key_words)
        warnings = duplicate_warnings(duplicates, file_name, key_words)
    quarantine = (
        pl.concat([unparsed, rejected])
        .with_columns(
            failed_check=pl.format(
                "{}, row {}: {}", pl.lit(file_name), row.fill_null("?"), pl.col("failed_check")
            )
        )
        .sort(row.cast(pl.Int64, strict=False), maintain_order=True)
    )
    return FileFrames(target, valid, quarantine, frame.height, list(notes or []), warnings)
