"""The warehouse table specification: every table, column, type and COMMENT in one place.

`ddl.ensure_schema` creates and migrates from this list, `marts` re-applies mart comments from it and
`docs.data_dictionary` renders what it produced, so a table cannot exist without its documentation.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYERS: tuple[str, ...] = ("raw", "staging", "core", "mart", "meta")
# DuckDB cannot COMMENT ON SCHEMA, so the layer descriptions live here and in the data dictionary.
LAYER_DESCRIPTIONS: dict[str, str] = {
    "raw": "What was fetched: a manifest of API pages; the bodies stay in the raw store files.",
    "staging": "Reserved: merges stage incoming frames in connection-local temp tables, not here.",
    "core": "Validated data with full history (SCD2: valid_from, valid_to, is_deleted, load_run_id).",
    "mart": "Analyst-facing tables rebuilt from core after every load; current versions only.",
    "meta": "Bookkeeping written in the same transaction as the data: runs, watermarks, quarantine.",
}
SCHEMA_VERSION = 1

TS = "TIMESTAMP WITH TIME ZONE"


@dataclass(frozen=True)
class Column:
    """One column: name, DuckDB type (as duckdb_columns() reports it) and its comment."""

    name: str
    type: str
    comment: str
    not_null: bool = False


@dataclass(frozen=True)
class Table:
    """One table: `kind` is scd2 (versioned dimension/history), meta, raw or mart; `key` is its grain."""

    schema: str
    name: str
    comment: str
    columns: tuple[Column, ...]
    kind: str
    key: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def business_columns(self) -> list[str]:
        """Columns a source frame supplies (everything except the SCD2 bookkeeping)."""
        return [c.name for c in self.columns if c.name not in VERSION_COLUMNS]


def _c(name: str, type_: str, comment: str, not_null: bool = False) -> Column:
    return Column(name, type_, comment, not_null)


VERSION_COLUMNS = ("valid_from", "valid_to", "is_deleted", "load_run_id")


def _versioned(*columns: Column) -> tuple[Column, ...]:
    """Append the SCD2 bookkeeping columns shared by every core table."""
    return (
        *columns,
        _c("valid_from", TS, "When this version became current (the load's as-of time).", True),
        _c("valid_to", TS, "When this version was superseded; NULL = the current version."),
        _c("is_deleted", "BOOLEAN", "True for a tombstone: the source no longer has this key.", True),
        _c("load_run_id", "VARCHAR", "meta.load_run.run_id of the load that wrote this version.", True),
    )


def _scd2(name: str, grain: str, key: tuple[str, ...], *columns: Column) -> Table:
    comment = f"{grain} SCD2: a changed attribute closes the current version and opens a new one."
    return Table("core", name, comment, _versioned(*columns), "scd2", key)


KPI_ID = "Kolada KPI id, ^[NU]\\d{5}$."
MUNI_ID = "Kolada unit id: 4-digit kommun/region/riket code (leading zeros kept) or G-group id."

TABLES: tuple[Table, ...] = (
    Table(
        "raw",
        "kolada_page",
        "Manifest of the Kolada API pages each load ingested; one row per page fetched in a run. "
        "Bodies stay in the raw store file named in raw_path, not in DuckDB.",
        (
            _c("run_id", "VARCHAR", "Load run that ingested the page (meta.load_run).", True),
            _c("url", "VARCHAR", "Requested URL, as fetched.", True),
            _c("fetched_at", TS, "When the page was received (UTC).", True),
            _c("status", "INTEGER", "HTTP status code of the response."),
            _c("sha256", "VARCHAR", "Hex SHA-256 of the body bytes, to detect changed pages."),
            _c("n_bytes", "BIGINT", "Body size in bytes (UTF-8)."),
            _c(
                "endpoint",
                "VARCHAR",
                "API endpoint: kpi, kpi_groups, municipality, municipality_groups, ou, data or oudata.",
            ),
            _c("raw_path", "VARCHAR", "Raw store file (NDJSON, one page per line) holding the body."),
        ),
        "raw",
    ),
    Table(
        "core",
        "kpi_value_history",
        "Kolada KPI values with full history; one row per version of a value "
        "(kpi_id, municipality_id, year, gender, valid_from). Raw values as published, Källa: Kolada.",
        _versioned(
            _c("kpi_id", "VARCHAR", KPI_ID, True),
            _c("municipality_id", "VARCHAR", MUNI_ID, True),
            _c("year", "INTEGER", "Data year (Kolada period).", True),
            _c("gender", "VARCHAR", "T totalt, K kvinnor, M män.", True),
            _c("value", "DOUBLE", "The value as published (bit-exact); NULL = published as missing."),
            _c("count", "BIGINT", "Units behind the value: 1 for one unit, members averaged for a group."),
            _c("status", "VARCHAR", "Raw Kolada status string (usually empty); NULL on inferred tombstones."),
            _c(
                "is_preliminary",
                "BOOLEAN",
                "True when fetched while the year was preliminary per the KPI's publication dates.",
            ),
            _c("source", "VARCHAR", "Source system, 'kolada'."),
            _c(
                "fetched_at",
                TS,
                "When the page carrying this version was fetched (UTC); the load time "
                "for tombstones inferred from a full refresh.",
            ),
        ),
        "scd2",
        ("kpi_id", "municipality_id", "year", "gender"),
    ),
    _scd2(
        "kpi",
        "Kolada KPI catalogue; one row per version of a KPI (kpi_id, valid_from).",
        ("kpi_id",),
        _c("kpi_id", "VARCHAR", KPI_ID, True),
        _c("title", "VARCHAR", "Swedish title; a '(-YYYY)' suffix marks a discontinued series."),
        _c("description", "VARCHAR", "Free-text definition, usually ending 'Källa: <source>.'"),
        _c("is_divided_by_gender", "BOOLEAN", "Hint that K/M values may exist (only a hint)."),
        _c("municipality_type", "VARCHAR", "K kommun, L region, A both."),
        _c("auspice", "VARCHAR", "Kolada auspice code (T, X, E, P, O, A; meaning undocumented)."),
        _c("operating_area", "VARCHAR", "Kolada verksamhetsområde (18 values in v3)."),
        _c("perspective", "VARCHAR", "Resurser, Kvalitet och resultat, Volymer or Övrigt."),
        _c("prel_publication_date", "DATE", "Next expected preliminary publication."),
        _c("publication_date", "DATE", "Next expected final publication."),
        _c("publ_period", "VARCHAR", "Data year the next publication covers."),
        _c("has_ou_data", "BOOLEAN", "Whether values may exist per organisational unit."),
        _c("discontinued_year", "INTEGER", "Last year of a discontinued series, from the title suffix."),
    ),
    _scd2(
        "municipality",
        "Kolada units (kommuner, regioner, riket, groups); one row per version of a unit "
        "(municipality_id, valid_from).",
        ("municipality_id",),
        _c("municipality_id", "VARCHAR", MUNI_ID, True),
        _c("title", "VARCHAR", "Name of the unit."),
        _c("type", "VARCHAR", "K kommun, L region/riket; NULL for groups."),
        _c("kind", "VARCHAR", "kommun, region, riket or group."),
        _c("county_id", "VARCHAR", "2-digit länskod; NULL for riket and groups."),
        _c("kommungrupp_id", "VARCHAR", "SKR kommungrupp group id (kommuner only)."),
        _c("kommungrupp_title", "VARCHAR", "SKR kommungrupp title (kommuner only)."),
    ),
    _scd2(
        "municipality_group",
        "Kolada municipality groups; one row per version of a group (group_id, valid_from).",
        ("group_id",),
        _c("group_id", "VARCHAR", "Group id, ^G\\d+$.", True),
        _c("title", "VARCHAR", "Group title as published."),
        _c("family", "VARCHAR", "Group family: liknande, kommungrupp, lan, size, all, network or other."),
        _c("area", "VARCHAR", "Comparison area of a liknande set (e.g. IFO); NULL otherwise."),
        _c("anchor_municipality_id", "VARCHAR", "Liknande sets: the kommun the set was chosen for."),
        _c("vintage_year", "INTEGER", "Group-definition year from the title."),
    ),
    _scd2(
        "municipality_group_member",
        "Membership of units in municipality groups; one row per version of a (group_id, member_id) pair.",
        ("group_id", "member_id"),
        _c("group_id", "VARCHAR", "core.municipality_group.group_id.", True),
        _c("member_id", "VARCHAR", "Member unit id (core.municipality.municipality_id).", True),
        _c("member_title", "VARCHAR", "Member name as given in the group payload."),
    ),
    _scd2(
        "kpi_group",
        "Kolada KPI groups (Jämföraren tables); one row per version of a group (kpi_group_id, valid_from).",
        ("kpi_group_id",),
        _c("kpi_group_id", "VARCHAR", "KPI group id, ^G2?KPI\\d+$.", True),
        _c("title", "VARCHAR", "Group title as published."),
    ),
    _scd2(
        "kpi_group_member",
        "Membership of KPIs in KPI groups; one row per version of a (kpi_group_id, kpi_id) pair.",
        ("kpi_group_id", "kpi_id"),
        _c("kpi_group_id", "VARCHAR", "core.kpi_group.kpi_group_id.", True),
        _c("kpi_id", "VARCHAR", KPI_ID, True),
        _c(
            "member_title",
            "VARCHAR",
            "Member title as given in the group payload (may encode answer coding).",
        ),
    ),
    _scd2(
        "ou",
        "Kolada organisational units (utförare); one row per version of a unit (ou_id, valid_from).",
        ("ou_id",),
        _c("ou_id", "VARCHAR", "OU id, e.g. V21E123456.", True),
        _c("municipality_id", "VARCHAR", "Kommun/region the unit belongs to."),
        _c("title", "VARCHAR", "Unit name."),
        _c("ou_type", "VARCHAR", "Unit type prefix, e.g. V21 hemtjänst äldre."),
    ),
    Table(
        "mart",
        "kpi_value",
        "Current Kolada KPI values for analysis; one row per kpi_id, municipality_id, year, gender. "
        "Raw values as published (Källa: Kolada); missing values kept as NULL rows, deleted values absent.",
        (
            _c("kpi_id", "VARCHAR", KPI_ID),
            _c("kpi_title", "VARCHAR", "KPI title (NULL if the KPI is not in core.kpi)."),
            _c("operating_area", "VARCHAR", "KPI verksamhetsområde."),
            _c("municipality_id", "VARCHAR", MUNI_ID),
            _c("municipality_title", "VARCHAR", "Unit name (NULL if the unit is not in core.municipality)."),
            _c("municipality_kind", "VARCHAR", "kommun, region, riket or group."),
            _c("year", "INTEGER", "Data year."),
            _c("gender", "VARCHAR", "T totalt, K kvinnor, M män."),
            _c("value", "DOUBLE", "The value as published; NULL = published as missing."),
            _c("status", "VARCHAR", "Raw Kolada status string."),
            _c("is_preliminary", "BOOLEAN", "True when the value was preliminary when fetched."),
            _c("source", "VARCHAR", "Source system, 'kolada'."),
            _c("fetched_at", TS, "When the current version was fetched (UTC)."),
        ),
        "mart",
        ("kpi_id", "municipality_id", "year", "gender"),
    ),
    Table(
        "meta",
        "load_run",
        "Ledger of successful load runs; one row per run_id (failed runs never reach the published file).",
        (
            _c("run_id", "VARCHAR", "Unique id of the load run.", True),
            _c("flow", "VARCHAR", "Flow that ran the load."),
            _c("scope", "VARCHAR", "JSON text describing what the run loaded (kpis, years, from_date ...)."),
            _c("started_at", TS, "Run start (UTC)."),
            _c("finished_at", TS, "Run end (UTC); NULL while running."),
            _c("status", "VARCHAR", "running, completed or failed."),
            _c("rows_in", "BIGINT", "Rows received from the source after flattening."),
            _c("rows_loaded", "BIGINT", "Rows that passed validation and were merged."),
            _c("rows_quarantined", "BIGINT", "Rows written to meta.quarantine."),
            _c("rows_inserted", "BIGINT", "New keys written."),
            _c("rows_revised", "BIGINT", "Existing keys whose attributes changed (new version)."),
            _c("rows_deleted", "BIGINT", "Tombstone versions written."),
            _c("rows_unchanged", "BIGINT", "Rows identical to the current version (nothing written)."),
            _c("message", "VARCHAR", "Free-text note from the run."),
        ),
        "meta",
        ("run_id",),
    ),
    Table(
        "meta",
        "quarantine",
        "Rows that failed validation; one row per rejected record per run (run_id, source, entity, "
        "natural_key, failed_check).",
        (
            _c("run_id", "VARCHAR", "Load run that rejected the record.", True),
            _c("source", "VARCHAR", "Source system, e.g. 'kolada'."),
            _c("entity", "VARCHAR", "value, kpi, municipality, ..."),
            _c("natural_key", "VARCHAR", "Natural key of the record, e.g. N31807/0180/2020/T."),
            _c("record", "VARCHAR", "The raw record as JSON text."),
            _c("failed_check", "VARCHAR", "Column, check and bad value, human-readable."),
            _c("quarantined_at", TS, "When the record was quarantined (UTC)."),
        ),
        "meta",
    ),
    Table(
        "meta",
        "watermark",
        "Incremental-load cursors; one row per (source, scope_key).",
        (
            _c("source", "VARCHAR", "Source system, e.g. 'kolada'.", True),
            _c("scope_key", "VARCHAR", "What the cursor covers, e.g. a KPI set or endpoint.", True),
            _c("watermark", "DATE", "from_date for the next incremental run."),
            _c("run_id", "VARCHAR", "Load run that set it."),
            _c("updated_at", TS, "When it was set (UTC)."),
        ),
        "meta",
        ("source", "scope_key"),
    ),
    Table(
        "meta",
        "schema_version",
        "Applied warehouse schema versions; one row per version applied to this file.",
        (
            _c("version", "INTEGER", "Schema version number.", True),
            _c("applied_at", TS, "When it was applied (UTC)."),
            _c("description", "VARCHAR", "What the version introduced."),
        ),
        "meta",
        ("version",),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.qualified: t for t in TABLES}


def table(qualified: str) -> Table:
    """Return the spec of `schema.table`; raise KeyError naming the known tables otherwise."""
    try:
        return TABLES_BY_NAME[qualified]
    except KeyError:
        raise KeyError(f"unknown warehouse table {qualified!r}; known: {sorted(TABLES_BY_NAME)}") from None
