"""Kolada corpus, part 1: records with missing, extra, retyped, invalid or out-of-range fields.

Each row: (case name, edit of the baseline answers, expected outcome). Quarantine counts are value
entries for /data (one per gender), records for the metadata, member rows for the group catalogues.
"""

from __future__ import annotations

from .corpus import Expect, error, loaded, quarantine
from .kolada_edits import DROP, Change, body, entry, envelope, every_item, item

Q, E, OK = quarantine, error, loaded
PARSE = r": parse"
Row = tuple[str, Change, Expect]


def _first_group_members(n: int, **changes: object) -> Change:
    """The first /kpi_groups group, cut to n members, with `changes`."""

    def change(items):  # type: ignore[no-untyped-def]
        return item("kpi_groups", 0, members=items["kpi_groups"][0]["members"][:n], **changes)(items)

    return change


MISSING: list[Row] = [
    ("data: entry without gender", entry(gender=DROP), Q(r"gender", value=1)),
    ("data: entry without isdeleted", entry(isdeleted=DROP), Q(r"is_deleted", value=1)),
    ("data: item without kpi", item("data", kpi=DROP), Q(r"kpi_id", value=1)),
    ("data: item without municipality", item("data", municipality=DROP), Q(r"municipality_id", value=1)),
    ("data: item without period", item("data", period=DROP), Q(r"year", value=1)),
    ("data: item without values", item("data", values=DROP), Q(r"gender", value=1)),
    ("data: item with empty values", item("data", values=[]), Q(r"gender", value=1)),
    (
        "data: period renamed in every item",
        every_item("data", period=DROP, year=2020),
        E("load", r"value: .*\['period'\].*absent from every record"),
    ),
    ("kpi: record without title", item("kpi", title=DROP), Q(r"title", kpi=1)),
    (
        "kpi: municipality_type gone from every record",
        every_item("kpi", municipality_type=DROP),
        E("load", r"kpi: .*municipality_type.*absent from every record"),
    ),
    (
        "municipality: record without id",
        item("municipality", 5, id=DROP),
        Q(r"municipality_id", municipality=1),
    ),
    (
        "municipality_groups: member without member_id",
        item("municipality_groups", 0, members=[{"member_title": "Heby"}]),
        Q(r"member_id: missing", municipality_group=1),
    ),
    ("ou: record without municipality", item("ou", municipality=DROP), Q(r"municipality_id", ou=1)),
]

EXTRA: list[Row] = [
    ("data: unknown item field", item("data", unit="procent"), E("load", r"value: unexpected field.*'unit'")),
    ("data: unknown value entry field", entry(note="x"), E("load", r"value: unexpected field.*'note'")),
    (
        "kpi: unknown field",
        item("kpi", unit_of_measure="%"),
        E("load", r"kpi: unexpected field.*'unit_of_measure'"),
    ),
    ("ou: unknown field", item("ou", address="x"), E("load", r"ou: unexpected field.*'address'")),
    (
        "municipality_groups: unknown member field",
        item(
            "municipality_groups",
            1,
            members=[{"member_id": "0180", "member_title": "Stockholm", "weight": 1}],
        ),
        E("load", r"municipality_group: unexpected field.*'weight'"),
    ),
    (
        "envelope: unknown top-level key",
        envelope("data", lambda v: {**body(v), "total": len(v)}),
        E("load", r"value: unexpected field.*'total'"),
    ),
    (
        "kpi: v2-only field ou_publication_date",
        item("kpi", ou_publication_date="2024-10-01"),
        OK("a known v2 field, ignored on purpose"),
    ),
]

RETYPED: list[Row] = [
    ("data: value as a numeric string", entry(value="12.5"), OK("lenient: numeric text is a number")),
    ("data: period as a string", item("data", period="2020"), OK("lenient: v2 sent the year as text")),
    ("data: value as a boolean", entry(value=True), Q(r"value" + PARSE, value=1)),
    ("data: value as an object", entry(value={"v": 1}), E("load", r"value: page .* could not be decoded")),
    ("data: value as a list", entry(value=[1.5]), E("load", r"value: page .* could not be decoded")),
    (
        "data: values as an object",
        item("data", values={"gender": "T"}),
        E("load", r"value: .*could not be decoded"),
    ),
    ("data: period as a float", item("data", period=2020.5), Q(r"year" + PARSE, value=1)),
    ("data: count as text", entry(count="many"), Q(r"count" + PARSE, value=1)),
    ("data: isdeleted as yes", entry(isdeleted="yes"), Q(r"is_deleted" + PARSE, value=1)),
    ("data: kpi as a number", item("data", kpi=31807), Q(r"kpi_id", value=1)),
    (
        "data: municipality as a number (zeros lost)",
        item("data", municipality=180),
        Q(r"municipality_id", value=1),
    ),
    (
        "kpi: is_divided_by_gender as maybe",
        item("kpi", is_divided_by_gender="maybe"),
        Q(r"is_divided_by_gender" + PARSE, kpi=1),
    ),
    (
        "kpi: publication_date as dd/mm/yyyy",
        item("kpi", publication_date="30/09/2026"),
        Q(r"publication_date" + PARSE, kpi=1),
    ),
    ("municipality: type X", item("municipality", 5, type="X"), Q(r"type", municipality=1)),
]

INVALID_IDS: list[Row] = [
    ("data: kpi id X1", item("data", kpi="X1"), Q(r"kpi_id", value=1)),
    ("data: municipality id 180", item("data", municipality="180"), Q(r"municipality_id", value=1)),
    ("data: municipality id G", item("data", municipality="G"), Q(r"municipality_id", value=1)),
    (
        "data: municipality id with SQL",
        item("data", municipality="0180' OR '1'='1"),
        Q(r"municipality_id", value=1),
    ),
    (
        "data: BOM inside a municipality id",
        item("data", municipality="\ufeff0180"),
        Q(r"municipality_id", value=1),
    ),
    ("kpi: id N3180", item("kpi", id="N3180"), Q(r"kpi_id", kpi=1)),
    ("ou: id V21X1", item("ou", id="V21X1"), Q(r"ou_id", ou=1)),
    ("kpi_groups: id KPI251", _first_group_members(2, id="KPI251"), Q(r"kpi_group_id", kpi_group=2)),
    (
        "municipality_groups: member id 331",
        item("municipality_groups", 0, members=[{"member_id": "331"}]),
        Q(r"member_id", municipality_group=1),
    ),
]

OUT_OF_RANGE: list[Row] = [
    ("data: year 1900", item("data", period=1900), Q(r"year", value=1)),
    ("data: year 2101", item("data", period=2101), Q(r"year", value=1)),
    ("data: period 20201", item("data", period=20201), Q(r"year", value=1)),
    ("data: count -1", entry(count=-1), Q(r"count", value=1)),
    ("data: value NaN", entry(value="NaN"), Q(r"value: finite", value=1)),
    ("data: value Infinity", entry(value="Infinity"), Q(r"value: finite", value=1)),
    ("data: value -inf", entry(value="-inf"), Q(r"value: finite", value=1)),
    ("data: gender F", entry(gender="F"), Q(r"gender", value=1)),
    ("kpi: discontinued in 1800", item("kpi", title="Gammal serie (-1800)"), Q(r"discontinued_year", kpi=1)),
]

NULL_KEYS: list[Row] = [
    ("data: kpi null", item("data", kpi=None), Q(r"kpi_id", value=1)),
    ("data: municipality null", item("data", municipality=None), Q(r"municipality_id", value=1)),
    ("data: period null", item("data", period=None), Q(r"year", value=1)),
    ("data: gender null", entry(gender=None), Q(r"gender", value=1)),
    ("data: a null value entry", item("data", values=[None]), Q(r"gender", value=1)),
    ("kpi: id null", item("kpi", id=None), Q(r"kpi_id", kpi=1)),
    ("ou: id null", item("ou", id=None), Q(r"ou_id", ou=1)),
    (
        "municipality_groups: id null",
        item("municipality_groups", 2, id=None),
        Q(r"group_id|municipality_id", municipality=1, municipality_group=23),
    ),
    ("kpi_groups: title null", _first_group_members(2, title=None), Q(r"title", kpi_group=2)),
]

CASES: list[Row] = [*MISSING, *EXTRA, *RETYPED, *INVALID_IDS, *OUT_OF_RANGE, *NULL_KEYS]
