"""Bulk decoding of Kolada pages frames and the lenient field parsers shared by the Kolada transforms."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

from schemas.validate import PARSE_ERRORS_COL, SchemaDriftError

SOURCE = "kolada"
PAGE_COLUMNS = ("url", "fetched_at", "status", "body")
ENVELOPE_KEYS = ("values", "count", "next_url", "previous_url")
# RFC 8259 lets a parser ignore a byte order mark; Python's json (the HTTP layer) does, so must we.
BOM = "\ufeff"
# A JSON object key: a string (escapes allowed) followed by a colon. Inside a valid JSON string value an
# unescaped quote only ends the value, and a value is never followed by a colon, so only keys match.
JSON_KEY = r'"(?:[^"\\]|\\.)*"\s*:'
MAX_LISTED = 10
TRUE_TEXT = ("true", "1")
FALSE_TEXT = ("false", "0")
DATE_FORMAT = "%Y-%m-%d"


class DimResult(NamedTuple):
    """Valid dimension rows and the quarantined ones (unpacks as `valid, quarantine`)."""

    valid: pl.DataFrame
    quarantine: pl.DataFrame


def decode_items(pages: pl.DataFrame, item_dtype: pl.Struct, *, entity: str) -> pl.DataFrame:
    """One row per item of every page body: `fetched_at`, `_item` (the decoded item) and its fields.

    Fields are decoded to `item_dtype` (lenient: a JSON int or bool decodes into a String field).
    Raises ValueError for non-2xx pages, undecodable bodies or bodies without a `values` array.
    """
    missing = [c for c in PAGE_COLUMNS if c not in pages.columns]
    if missing:
        raise ValueError(f"{entity}: pages frame lacks column(s) {missing}")
    failed = pages.filter(~pl.col("status").is_between(200, 299).fill_null(False))
    if failed.height:
        raise ValueError(
            f"{entity}: {failed.height} page(s) with a non-2xx status, first {failed['url'][0]} "
            f"(status {failed['status'][0]})"
        )
    envelope = pl.Struct({"values": pl.List(item_dtype)})
    body = pl.col("body").str.strip_prefix(BOM).str.json_decode(envelope)
    try:
        decoded = pages.select("url", "fetched_at", _env=body)
    except pl.exceptions.ComputeError as exc:
        raise ValueError(_undecodable(pages, body, entity, exc)) from exc
    without_values = decoded.filter(pl.col("_env").struct.field("values").is_null())
    if without_values.height:
        first = without_values["url"][0]
        raise ValueError(f"{entity}: {without_values.height} page(s) have no 'values' array, first {first}")
    # empty pages carry no items; explode() drops them by default
    items = decoded.select("fetched_at", _item=pl.col("_env").struct.field("values")).explode("_item")
    return items.with_columns(pl.col("_item").struct.unnest())


def _undecodable(pages: pl.DataFrame, body: pl.Expr, entity: str, exc: Exception) -> str:
    """One line naming the first page that does not decode (pages are retried one by one: error path)."""
    for url, page in zip(pages["url"], pages.iter_slices(1), strict=False):
        try:
            page.select(body)
        except pl.exceptions.ComputeError as page_exc:
            return f"{entity}: page {url} could not be decoded as a Kolada envelope: {_first_line(page_exc)}"
    return f"{entity}: a page body could not be decoded as a Kolada envelope: {_first_line(exc)}"


def _first_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def field_names(dtype: object) -> set[str]:
    """Every field name of a struct dtype, including those of nested structs and lists of structs."""
    if isinstance(dtype, pl.List):
        return field_names(dtype.inner)
    if isinstance(dtype, pl.Struct):
        return {f.name for f in dtype.fields}.union(*(field_names(f.dtype) for f in dtype.fields))
    return set()


def reject_unknown_fields(
    pages: pl.DataFrame, item_dtype: pl.Struct, *, entity: str, ignored: Sequence[str] = ()
) -> None:
    """Raise SchemaDriftError when the pages carry a field the transform does not know.

    The contract guard of docs/design.md: a new or renamed upstream field fails the load loudly, before
    anything is written, instead of being dropped silently by the typed decode. Fields known but not
    loaded on purpose go in `ignored`. Keys are found with one regex over the page text (vectorised).
    """
    allowed = field_names(item_dtype) | set(ENVELOPE_KEYS) | set(ignored)
    # only the pages the cheap check cannot clear are scanned key by key (the same pages, in order)
    suspect = pages.filter(~_only_known_keys(pl.col("body"), allowed).fill_null(True))
    if suspect.height == 0:
        return
    keys = (
        suspect.select("url", _key=pl.col("body").str.extract_all(JSON_KEY).list.unique())
        .explode("_key")
        .with_columns(pl.col("_key").str.replace(r"\s*:$", "").str.json_decode(pl.String))
    )
    unknown = keys.filter(pl.col("_key").is_not_null() & ~pl.col("_key").is_in(sorted(allowed)))
    if unknown.height:
        names = sorted(set(unknown["_key"].to_list()))
        shown = names[:MAX_LISTED] + (["..."] if len(names) > MAX_LISTED else [])
        raise SchemaDriftError(
            f"{entity}: unexpected field(s) {shown} in page {unknown['url'][0]} (new or renamed upstream? "
            "map it in transforms/kolada or list it as ignored)"
        )


def _only_known_keys(body: pl.Expr, allowed: set[str]) -> pl.Expr:
    """True when every key of the (valid JSON) body is one of `allowed`, written plainly as `"name":`.

    A sound shortcut for the key scan: every `":` of the text must end a plain known key. Without an
    escaped quote in the text a string never holds a quote, so a `":` can only close a key, and one that
    ends a plain known key `"name":` closes exactly that key. Bodies with an escaped quote or with space
    before a colon are not cleared here (false means "scan this page", not "unknown field").
    """
    plain_keys = "|".join(re.escape(json.dumps(name) + ":") for name in sorted(allowed))
    return (
        ~body.str.contains('\\"', literal=True)
        & ~body.str.contains(r'"\s+:')
        & (body.str.count_matches('":', literal=True) == body.str.count_matches(plain_keys))
    )


def require_fields(items: pl.DataFrame, fields: Sequence[str], *, entity: str) -> None:
    """Raise SchemaDriftError when a required field is null in every item (renamed or dropped upstream)."""
    if items.height == 0:
        return
    absent = items.select(pl.col(list(fields)).is_null().all()).row(0, named=True)
    gone = [name for name, is_absent in absent.items() if is_absent]
    if gone:
        raise SchemaDriftError(f"{entity}: field(s) {gone} absent from every record (renamed upstream?)")


def blank_to_null(column: str) -> pl.Expr:
    """The column with surrounding whitespace stripped and empty strings as null."""
    text = pl.col(column).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def parse_bool(column: str) -> pl.Expr:
    """Boolean from true/false, 1/0 (case-insensitive text, as JSON bools and ints decode to text)."""
    mapping = {text: True for text in TRUE_TEXT} | {text: False for text in FALSE_TEXT}
    text = blank_to_null(column).str.to_lowercase()
    return text.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def parse_date(column: str) -> pl.Expr:
    """Date from "YYYY-MM-DD" text; empty or null → null, anything else unparseable → null."""
    return blank_to_null(column).str.to_date(DATE_FORMAT, strict=False)


def parse_int(column: str, dtype: type[pl.DataType] = pl.Int64) -> pl.Expr:
    """Integer from integer text (a JSON int decodes to text); anything else → null."""
    return blank_to_null(column).cast(dtype, strict=False)


def parse_failed(raw: str, parsed: pl.Expr) -> pl.Expr:
    """True where `raw` holds text that `parsed` could not turn into a value."""
    return blank_to_null(raw).is_not_null() & parsed.is_null()


def parse_error(raw: str, parsed: pl.Expr, target: str, what: str) -> pl.Expr:
    """A failed-check message when `raw` holds text that `parsed` could not turn into a value."""
    return (
        pl.when(parse_failed(raw, parsed))
        .then(pl.format("{}: {} (got {})", pl.lit(target), pl.lit(what), pl.col(raw)))
        .otherwise(None)
    )


def parse_errors(*messages: pl.Expr) -> pl.Expr:
    """All parse-error messages of a row joined by "; " (null when there are none), as `_parse_errors`."""
    joined = pl.concat_str(list(messages), separator="; ", ignore_nulls=True)
    return pl.when(joined == "").then(None).otherwise(joined).alias(PARSE_ERRORS_COL)


def sparse_parse_errors(
    raw: pl.DataFrame, checks: Sequence[tuple[str, pl.Expr, str, str]], candidates: pl.Series
) -> pl.Series:
    """`parse_errors(*(parse_error(*c) for c in checks))` over `raw`, formatted for `candidates` only.

    The same column, cheaper for large frames: failures are rare, and formatting a message for every
    row only to drop it again is most of the cost of the lenient parse. `candidates` is a boolean mask
    that must include every failing row (e.g. raw not null and parsed null); the others get null.
    """
    errors = pl.repeat(None, raw.height, dtype=pl.String, eager=True).alias(PARSE_ERRORS_COL)
    rows = candidates.arg_true()
    if rows.len():
        messages = raw.filter(candidates).select(parse_errors(*(parse_error(*c) for c in checks))).to_series()
        errors = errors.scatter(rows, messages)
    return errors
