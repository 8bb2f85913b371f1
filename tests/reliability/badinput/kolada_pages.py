"""Kolada corpus, part 2: duplicates, mojibake, number formats, encodings, empty and broken pages.

Each row: (case name, edit of the baseline answers, expected outcome).
"""

from __future__ import annotations

import json

from .corpus import Expect, error, loaded, quarantine
from .kolada_edits import HTML, Change, body, entry, envelope, extra, item, mojibake, pages, raw, with_entry

Q, E, OK = quarantine, error, loaded
PARSE = r"value: parse number"
Row = tuple[str, Change, Expect]
SELF_URL = "/v3/data/kpi/N31807,U21468/year/2020?per_page=5000"


def _first_value_as(text: str) -> Change:
    """The /data page with the first value written as the bare JSON number `text`."""

    def change(items):  # type: ignore[no-untyped-def]
        first = json.dumps(items["data"][0]["values"][0]["value"])
        return raw("data", json.dumps(body(items["data"])).replace(first, text, 1))(items)

    return change


def _edited(make) -> Change:  # type: ignore[no-untyped-def]
    """The edit that `make(items)` builds from the baseline items."""
    return lambda items: make(items)(items)


DUPLICATES: list[Row] = [
    (
        "data: conflicting duplicate",
        extra("data", lambda v: [with_entry(v[0], value=-1.0)]),
        Q(r"duplicate natural key", value=2),
    ),
    ("data: exact duplicate", extra("data", lambda v: [v[0]]), Q(r"exact duplicate", value=1)),
    (
        "data: exact duplicate on the next page",
        pages("data", lambda v: [v, [v[0]]]),
        Q(r"exact duplicate", value=1),
    ),
    (
        "kpi: conflicting duplicate",
        extra("kpi", lambda v: [{**v[0], "title": "Annan titel"}]),
        Q(r"duplicate natural key", kpi=2),
    ),
    (
        "municipality: exact duplicate",
        extra("municipality", lambda v: [v[3]]),
        Q(r"exact duplicate", municipality=1),
    ),
    (
        "ou: conflicting duplicate",
        extra("ou", lambda v: [{**v[0], "title": "Annan enhet"}]),
        Q(r"duplicate natural key", ou=2),
    ),
    (
        "municipality_groups: member listed twice",
        _edited(
            lambda it: item("municipality_groups", 0, members=it["municipality_groups"][0]["members"][:1] * 2)
        ),
        Q(r"exact duplicate", municipality_group=1),
    ),
]

MOJIBAKE: list[Row] = [
    (
        "kpi: mojibake title",
        _edited(lambda it: item("kpi", title=mojibake(it["kpi"][0]["title"]))),
        Q(r"no_mojibake", kpi=1),
    ),
    (
        "municipality: mojibake title",
        item("municipality", 5, title=mojibake("Göteborg")),
        Q(r"no_mojibake", municipality=1),
    ),
    ("ou: mojibake title", item("ou", title=mojibake("Förskolan Ängen")), Q(r"no_mojibake", ou=1)),
    ("ou: cp1252 mojibake title", item("ou", title="Ã„ldreboende VÃ¤ster"), Q(r"no_mojibake", ou=1)),
    (
        "kpi_groups: mojibake member title",
        _edited(
            lambda it: item(
                "kpi_groups",
                0,
                members=[{**it["kpi_groups"][0]["members"][0], "member_title": mojibake("Äldre, andel (%)")}],
            )
        ),
        Q(r"no_mojibake", kpi_group=1),
    ),
]

NUMBERS: list[Row] = [
    ("data: decimal comma value", entry(value="12,5"), Q(PARSE + r".*12,5", value=1)),
    ("data: decimal comma count", entry(count="1,0"), Q(r"count: parse", value=1)),
    ("data: suppressed value ..", entry(value=".."), Q(PARSE, value=1)),
    ("data: missing value marker -", entry(value="-"), Q(PARSE, value=1)),
    ("data: value with a percent sign", entry(value="12 %"), Q(PARSE, value=1)),
    ("data: BOM inside a value", entry(value="\ufeff12.5"), Q(PARSE, value=1)),
    (
        "data: value 1e400",
        _first_value_as("1e400"),
        E("load", r"value: page .* could not be decoded.*InvalidNumber"),
    ),
    (
        "data: null value with a status",
        entry(value=None, status="Sekretess"),
        OK("a null value with a status is Kolada's way to say 'no figure'"),
    ),
]

ENCODINGS: list[Row] = [
    (
        "data: UTF-8 BOM before the JSON",
        _edited(lambda it: raw("data", b"\xef\xbb\xbf" + json.dumps(body(it["data"])).encode())),
        OK("RFC 8259: a parser may ignore a BOM; Python's json does"),
    ),
    (
        "municipality: Latin-1 body",
        raw(
            "municipality",
            json.dumps(body([{"id": "1480", "title": "Göteborg", "type": "K"}]), ensure_ascii=False).encode(
                "latin-1"
            ),
        ),
        E("fetch", r"invalid_json"),
    ),
]

EMPTY: list[Row] = [
    (
        "data: no values at all",
        pages("data", lambda _: [[]]),
        E("load", r"refusing a full-refresh merge of an empty values frame"),
    ),
    (
        "kpi: empty catalogue",
        pages("kpi", lambda _: [[]]),
        E("load", r"refusing an empty full snapshot of core.kpi"),
    ),
    (
        "municipality: empty catalogue",
        pages("municipality", lambda _: [[]]),
        E("load", r"municipality: .*without a single unit"),
    ),
    (
        "ou: empty catalogue",
        pages("ou", lambda _: [[]]),
        E("load", r"refusing an empty full snapshot of core.ou"),
    ),
    ("data: empty body", raw("data", b""), E("fetch", r"invalid_json")),
    ("data: empty trailing page", pages("data", lambda v: [v, []]), OK("an empty last page ends paging")),
]

BROKEN: list[Row] = [
    (
        "data: HTML error page with status 200",
        raw("data", HTML, content_type="text/html"),
        E("fetch", r"invalid_json.*<html>"),
    ),
    (
        "kpi: JSON cut short",
        _edited(lambda it: raw("kpi", json.dumps(body(it["kpi"]))[:200])),
        E("fetch", r"invalid_json"),
    ),
    ("data: a bare list", envelope("data", lambda v: v), E("fetch", r"unexpected response shape")),
    (
        "data: values under another key",
        envelope("data", lambda v: {"data": v, "next_url": None}),
        E("fetch", r"unexpected response shape"),
    ),
    (
        "data: values is an object",
        envelope("data", lambda v: {"values": {"0": v[0]}}),
        E("fetch", r"unexpected response shape"),
    ),
    (
        "data: next_url is a number",
        envelope("data", lambda v: {**body(v), "next_url": 2}),
        E("fetch", r"next_url is not a string"),
    ),
    (
        "data: next_url points to itself",
        envelope("data", lambda v: {**body(v), "next_url": SELF_URL}),
        E("fetch", r"cycle"),
    ),
    ("data: 404", raw("data", '{"detail": "Not Found"}', status=404), E("fetch", r"HTTP 404")),
    (
        "data: 422 too many ids",
        raw("data", '{"detail": "too many ids"}', status=422),
        E("fetch", r"HTTP 422"),
    ),
    ("data: 500 every time", raw("data", '{"detail": "boom"}', status=500), E("fetch", r"HTTP 500 after 2")),
    ("data: a null item", extra("data", lambda _: [None]), Q(r"kpi_id", value=1)),
    (
        "data: a string item",
        extra("data", lambda _: ["oops"]),
        E("load", r"value: page .* could not be decoded"),
    ),
    (
        "municipality_groups: a null member entry",
        _edited(
            lambda it: item(
                "municipality_groups", 0, members=[None, *it["municipality_groups"][0]["members"][1:]]
            )
        ),
        Q(r"null member entry", municipality_group=1),
    ),
]

CASES: list[Row] = [*DUPLICATES, *MOJIBAKE, *NUMBERS, *ENCODINGS, *EMPTY, *BROKEN]
