"""Which transform handles which kind of delivered file (sources.files.KINDS -> transforms.files)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from sources.files import FileFormatError, ParsedFile
from transforms.files.jsonstat import JsonStatError, decode_jsonstat2
from transforms.files.networkfiles import network_from_template
from transforms.files.population import (
    csv_is_population,
    is_population,
    population_from_jsonstat,
    population_from_scb_csv,
)
from transforms.files.registers import (
    register_from_api_rows,
    register_from_export,
    register_from_jsonstat,
    register_from_result_page,
)
from transforms.files.result import FileFrames


def transform_delivery(
    parsed: ParsedFile, reference: pl.DataFrame, networks: Callable[[], pl.DataFrame] | None = None
) -> FileFrames:
    """Typed, validated frames for one recognised file; an unusable file is a FileFormatError.

    `networks` gives the comparison networks (network_id, title, member_id) a network file's rows
    may belong to; it is only called for network files.
    """
    name, table = parsed.raw.name, parsed.table
    try:
        if parsed.kind == "scb-jsonstat2":
            ds = decode_jsonstat2(parsed.document, name=name)
            if is_population(ds):
                return population_from_jsonstat(ds, reference, name)
            return register_from_jsonstat(ds, reference, name)
        if parsed.kind == "sdb-api-json":
            return register_from_api_rows(parsed.document, reference, name)
        if table is None:
            raise FileFormatError(parsed.raw.path, f"kind {parsed.kind} came without a table")
        frame = table.to_frame()
        if parsed.kind == "scb-csv":
            if not csv_is_population(parsed.raw.path, table.header, table.title):
                raise FileFormatError(
                    parsed.raw.path,
                    "an SCB CSV export that does not say it counts population (no Folkmängd/befolkning/"
                    "population in its title, columns or file name); only population exports are supported",
                )
            return population_from_scb_csv(frame, table.header, reference, name)
        if parsed.kind == "sdb-html":
            # the page's footnotes are kept with the file's ledger entry, the report only counts them
            notes = [f"{len(table.notes)} footnotes kept in meta.loaded_file.coverage"] if table.notes else []
            return register_from_result_page(
                frame, table.header, table.groups, table.title, reference, name, notes
            )
        if parsed.kind == "sdb-csv":
            return register_from_export(frame, table.header, reference, name, table.notes)
        if parsed.kind in ("network-csv", "network-xlsx"):
            known = networks() if networks is not None else None
            return network_from_template(frame, table.labels(), reference, name, table.notes, known)
    except JsonStatError as exc:
        raise FileFormatError(parsed.raw.path, str(exc).removeprefix(f"{name}: ")) from None
    raise FileFormatError(parsed.raw.path, f"no transform for kind {parsed.kind!r}")
