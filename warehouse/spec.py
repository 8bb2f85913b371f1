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
# 2: core.network_measure keyed by network; 3: Liknande peer sets by group version (warehouse.migrations)
SCHEMA_VERSION = 3

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

# Comparison tables: reference tables written from pipeline/reference/*.yaml on every load (kind
# "reference": replaced whole, no history) and the comparison marts built from them.
OWN = "Egen bearbetning (not Kolada's figure): "
REF = "Reference table written by every load from pipeline/reference/{file} (replaced whole, no history); "
COMPARISON_TABLES: tuple[Table, ...] = (
    Table(
        "core",
        "ref_network",
        REF.format(file="networks.yaml") + "one row per user-defined comparison network (network_id).",
        (
            _c("network_id", "VARCHAR", "Network name from the file; peer_set_id = 'network:' + it.", True),
            _c("title", "VARCHAR", "Network title shown to analysts."),
            _c("description", "VARCHAR", "Free-text note from the file."),
            _c("n_members", "INTEGER", "Member kommuner after validation."),
            _c("source_file", "VARCHAR", "The YAML file the network was read from."),
        ),
        "reference",
        ("network_id",),
    ),
    Table(
        "core",
        "ref_network_member",
        REF.format(file="networks.yaml") + "one row per (network_id, member_id); members given by code "
        "or name are resolved against the current kommuner in core.municipality.",
        (
            _c("network_id", "VARCHAR", "core.ref_network.network_id.", True),
            _c("member_id", "VARCHAR", "Member kommun code (core.municipality.municipality_id).", True),
            _c("member_title", "VARCHAR", "Member name from core.municipality."),
            _c("given_as", "VARCHAR", "The member as written in the file (code or name)."),
        ),
        "reference",
        ("network_id", "member_id"),
    ),
    Table(
        "core",
        "ref_kpi_direction",
        REF.format(file="directions.yaml") + "one row per KPI: whether a higher or lower value is better, "
        "and why (override, metadata rule or unknown).",
        (
            _c("kpi_id", "VARCHAR", KPI_ID, True),
            _c("direction", "VARCHAR", "higher, lower or neutral (no good/bad colouring)."),
            _c("basis", "VARCHAR", "override (directions.yaml), rule (from KPI metadata) or unknown."),
            _c("rule", "VARCHAR", "Name of the rule that matched, or the override file; NULL when unknown."),
            _c("note", "VARCHAR", "The override's note, or what the rule looks at."),
        ),
        "reference",
        ("kpi_id",),
    ),
    Table(
        "core",
        "ref_kpi_peer_area",
        REF.format(file="peer_areas.yaml") + "one row per KPI: the Liknande kommuner area "
        "(IFO, ekonomiskt bistånd, LSS, äldreomsorg, övergripande) its peers are taken from.",
        (
            _c("kpi_id", "VARCHAR", KPI_ID, True),
            _c("operating_area", "VARCHAR", "KPI verksamhetsområde the rule looked at."),
            _c("peer_area", "VARCHAR", "Area of the 'Liknande kommuner <område>, <kommun>, <år>' group."),
            _c("rule", "VARCHAR", "Name of the first matching rule, or 'default'."),
        ),
        "reference",
        ("kpi_id",),
    ),
    Table(
        "core",
        "ref_oj_factor",
        REF.format(file="oj_areas.yaml") + "one row per (kpi_group_id, kpi_id, year_from) of the Öppna "
        "jämförelser KPI groups: the answer coding read from the KPI's own title in the current "
        "catalogue (core.kpi), one row per year range where the coding changed; members whose coding "
        "cannot be read are listed with the reason and never counted.",
        (
            _c("kpi_group_id", "VARCHAR", "ÖJ KPI group (core.kpi_group), e.g. GKPI251.", True),
            _c("oj_area", "VARCHAR", "ÖJ area: the group title without 'Öppna jämförelser - '."),
            _c("kpi_id", "VARCHAR", KPI_ID, True),
            _c("member_title", "VARCHAR", "Member title in the KPI group (may be older than kpi_title)."),
            _c(
                "coding", "VARCHAR", "The answer coding of this year range, e.g. 'Ja=1, Nej=0'; NULL if none."
            ),
            _c(
                "coding_status",
                "VARCHAR",
                "parsed (a factor, counted); not counted: unreadable (see reason), no coding (the title "
                "has none: not a factor) or not in catalogue (no current title to read).",
            ),
            _c(
                "top_code",
                "INTEGER",
                "Highest code of the coding (not always the best answer: see best_label).",
            ),
            _c(
                "positive_min_code",
                "INTEGER",
                "Lowest code among the answers counted positive (core.ref_oj_answer.is_positive).",
            ),
            _c(
                "positive_basis",
                "VARCHAR",
                "best label (only the best answer counts), or configured (oj_areas.yaml positive_min_code).",
            ),
            _c("kpi_title", "VARCHAR", "The KPI's title in the current catalogue, where the coding is read."),
            _c("year_from", "INTEGER", "First data year of this coding; NULL = from the start."),
            _c("year_to", "INTEGER", "Last data year of this coding; NULL = still current."),
            _c(
                "reason",
                "VARCHAR",
                "Why the row is not counted (unreadable coding, no coding, ...); NULL if parsed.",
            ),
            _c("scale", "VARCHAR", "The answer scale (oj_areas.yaml scales) the labels were ranked on."),
            _c("best_label", "VARCHAR", "The best answer by its label, e.g. 'Ja' in (Ja=1, Nej=2)."),
        ),
        "reference",
        ("kpi_group_id", "kpi_id", "year_from"),
    ),
    Table(
        "core",
        "ref_oj_answer",
        REF.format(file="oj_areas.yaml") + "one row per parsed ÖJ factor KPI, year range and answer code: "
        "the answer's label, its rank on the scale and whether it counts as positive.",
        (
            _c("kpi_id", "VARCHAR", KPI_ID, True),
            _c("year_from", "INTEGER", "First data year of the coding; NULL = from the start."),
            _c("year_to", "INTEGER", "Last data year of the coding; NULL = still current."),
            _c("code", "INTEGER", "The value Kolada stores for this answer.", True),
            _c("label", "VARCHAR", "The answer as written in the title, e.g. 'Ja, för alla'."),
            _c("label_rank", "INTEGER", "Level on the answer scale, 1 = best."),
            _c("is_positive", "BOOLEAN", "True when the answer counts as positive in mart.area_summary."),
        ),
        "reference",
        ("kpi_id", "year_from", "code"),
    ),
    Table(
        "mart",
        "municipality_comparison",
        "Each kommun against its peer sets; one row per municipality_id, kpi_id, year, gender, "
        "peer_set_id. Rows exist where the kommun has a row in mart.kpi_value (a kommun absent in a year, "
        "e.g. Knivsta 0330 or Nykvarn 0140 before they existed, gets none). Peers are the set's members "
        "other than the kommun itself, compared within the same KPI, year and gender. value and "
        "national_value: Källa: Kolada; every other figure is egen bearbetning. A network's own yearly "
        "measures (core.network_measure) are compared within that network too: kpi_id is then the "
        "measure id, gender T, the national columns NULL and source_note names the network's file.",
        (
            _c("municipality_id", "VARCHAR", "The compared kommun (kommuner only), 4-digit code."),
            _c("municipality_title", "VARCHAR", "Name of the kommun."),
            _c("kpi_id", "VARCHAR", KPI_ID + " For a network's own measure: its measure id (mått)."),
            _c("kpi_title", "VARCHAR", "KPI title (a network measure: its måttnamn)."),
            _c("year", "INTEGER", "Data year."),
            _c("gender", "VARCHAR", "T totalt, K kvinnor, M män; peers are compared within the same gender."),
            _c("value", "DOUBLE", "The kommun's value as published (NULL = missing). Källa: Kolada."),
            _c(
                "peer_set_kind",
                "VARCHAR",
                "liknande (Kolada Liknande kommuner for the KPI's area), kommungrupp (SKR), lan (the "
                "county's kommuner), riket (all kommuner) or network (pipeline/reference/networks.yaml).",
            ),
            _c(
                "peer_set_id",
                "VARCHAR",
                "liknande: the group version, Kolada group id + ':' + its vintage (e.g. G36722:2024; Kolada "
                "keeps the id while title year and members change); kommungrupp: Kolada group id; "
                "'lan:' + länskod, 'riket' or 'network:' + name.",
            ),
            _c("peer_set_title", "VARCHAR", "Title of the peer set."),
            _c(
                "peer_set_vintage",
                "INTEGER",
                "Liknande kommuner: the year in the group version's title. A year's values are compared "
                "within that year's version; where core holds none (Kolada publishes only the current one, "
                "older ones exist only from earlier loads), within the newest earlier version, else the "
                "oldest later one, and then peer_set_vintage <> year says so. NULL for other kinds.",
            ),
            _c("peer_area", "VARCHAR", "Liknande: the KPI's area (core.ref_kpi_peer_area); else NULL."),
            _c(
                "n_peers",
                "BIGINT",
                OWN + "members of the set other than the kommun itself (current membership; a Liknande "
                "version's members as last published; with or without a row this year).",
            ),
            _c(
                "n_peers_with_value",
                "BIGINT",
                OWN + "peers with a non-NULL value this KPI, year and gender; a peer without a row that year "
                "(e.g. not yet existing) or with a NULL value does not count.",
            ),
            _c(
                "peer_mean",
                "DOUBLE",
                OWN + "unweighted mean of the peers' non-NULL values (kommun itself excluded); NULL when no "
                "peer has one. For the current Liknande kommuner version it equals Kolada's group value "
                "(ovägt medel), which Kolada computes with the current members for every year.",
            ),
            _c(
                "peer_median",
                "DOUBLE",
                OWN + "median of the peers' non-NULL values (mean of the middle two for an even count).",
            ),
            _c(
                "rank_in_peers",
                "BIGINT",
                OWN + "rank of the kommun among itself and its peers with a value: 1 + the number of peers "
                "strictly better by direction, so ties share the best "
                "rank; NULL when the kommun's value is NULL. A neutral KPI has no better direction: "
                "its rank is value order, 1 = the highest value (1 = högst värde, never 'best').",
            ),
            _c(
                "n_ranked",
                "BIGINT",
                OWN + "how many were ranked: peers with a value plus the kommun when it has one "
                "(rank_in_peers 'av' n_ranked, e.g. 3 av 7).",
            ),
            _c(
                "national_value",
                "DOUBLE",
                "Kolada's own Riket value (unit 0000) for the KPI, year and gender; never replaced by a "
                "computed figure, NULL when Kolada has none. Källa: Kolada.",
            ),
            _c(
                "national_kommun_median",
                "DOUBLE",
                OWN + "median of all kommuner's non-NULL values this year (regions, Riket, groups excluded); "
                "a separate statistic, never substituted into national_value.",
            ),
            _c(
                "national_rank",
                "BIGINT",
                OWN + "rank among all kommuner with a value this year, 1 = best by direction (neutral KPIs: "
                "value order, 1 = the highest value, not 'best'), ties share the best rank; NULL when "
                "value is NULL.",
            ),
            _c("n_national", "BIGINT", OWN + "kommuner with a non-NULL value this year (ranked nationally)."),
            _c(
                "national_percentile",
                "DOUBLE",
                OWN + "100 × (n_national − national_rank) / (n_national − 1): share of the other ranked "
                "kommuner that are not better; 100 = best (neutral KPIs: 100 = the highest value). NULL "
                "when value is NULL or n_national < 2.",
            ),
            _c("direction", "VARCHAR", "higher, lower or neutral (core.ref_kpi_direction; else neutral)."),
            _c(
                "colour_band",
                "VARCHAR",
                OWN + "green/yellow/red against the national p25 and p75 (quantile_cont over all kommuner's "
                "values this year): higher-is-better green above p75, red below p25; lower-is-better green "
                "below p25, red above p75; a value on a cut-off is yellow. 'neutral' for neutral KPIs, "
                "'grey' when value is NULL (neutral KPIs too).",
            ),
            _c(
                "delta_prev_year",
                "DOUBLE",
                OWN + "value − the kommun's value for year − 1 (same KPI, gender); NULL if one is missing.",
            ),
            _c(
                "peer_mean_delta_prev_year",
                "DOUBLE",
                OWN + "peer_mean − the same peer set's peer_mean for year − 1 (which peers have values may "
                "differ between the years; a Liknande version: the same peers' values a year earlier); NULL "
                "if either is missing.",
            ),
            _c("is_preliminary", "BOOLEAN", "True when the kommun's value was preliminary when fetched."),
            _c("source_note", "VARCHAR", "Attribution: Källa: Kolada vs egen bearbetning."),
            _c(
                "percentile_in_peers",
                "DOUBLE",
                OWN + "100 × (n_ranked − rank_in_peers) / (n_ranked − 1): share of the others ranked in "
                "the set that are not better; 100 = best (neutral KPIs: 100 = the highest value). NULL when "
                "value is NULL or n_ranked < 2. For Riket it equals national_percentile.",
            ),
            _c(
                "kpi_newest_year",
                "INTEGER",
                "The KPI's newest year with a kommun value in the warehouse (a network's measure: in that "
                "network). `jamfor compare` and the report flag a value more than JAMFOR_OUTDATED_YEARS "
                "(default 2) years older than it.",
            ),
        ),
        "mart",
        ("municipality_id", "kpi_id", "year", "gender", "peer_set_id"),
    ),
    Table(
        "mart",
        "area_summary",
        "Öppna jämförelser factors summarised per kommun; one row per municipality_id, oj_group_id, year "
        "where the kommun has a row for a factor of the area (gender T). Factors are ÖJ KPI group "
        "members with a parsed answer coding (core.ref_oj_factor, per year range). Counts are egen "
        "bearbetning.",
        (
            _c("municipality_id", "VARCHAR", "Kommun code."),
            _c("municipality_title", "VARCHAR", "Name of the kommun."),
            _c("oj_group_id", "VARCHAR", "ÖJ KPI group id, e.g. GKPI251."),
            _c("oj_area", "VARCHAR", "ÖJ area, e.g. Ekonomiskt bistånd."),
            _c("year", "INTEGER", "Data year."),
            _c("n_factors", "BIGINT", OWN + "factors of the area that some kommun answered this year."),
            _c(
                "n_answered",
                "BIGINT",
                OWN + "of those, factors this kommun answered with a code of the year's coding.",
            ),
            _c(
                "n_positive",
                "BIGINT",
                OWN + "answered factors whose answer counts as positive (core.ref_oj_answer): the best "
                "answer by its label unless configured ('Ja, men inte för alla' does not count by default).",
            ),
            _c("share_positive", "DOUBLE", OWN + "n_positive / n_answered; NULL when n_answered = 0."),
            _c("source_note", "VARCHAR", "Attribution: answers Källa: Kolada; counts egen bearbetning."),
            _c(
                "n_off_coding",
                "BIGINT",
                OWN + "values that are no answer code of the year's coding (not counted in n_answered).",
            ),
        ),
        "mart",
        ("municipality_id", "oj_group_id", "year"),
    ),
)
TABLES += COMPARISON_TABLES

# Tables loaded from files (`jamfor load files`, pipeline/files.py): SCB population, Socialstyrelsen
# register values, networks' own measures, and the ledger of loaded files.
UNIT_ID = "4-digit kommun code, 00LL län/region, 0000 Riket (Kolada's ids; leading zeros kept)."
PERIOD = "'YYYY' or 'YYYY-MM' (monthly statistics)."
STATUS = "ok, or why value is NULL: suppressed (X, ..), not_reported (--), not_applicable (.) or missing."
FILE_TABLES: tuple[Table, ...] = (
    _scd2(
        "population",
        "SCB population (Folkmängd) from PxWeb json-stat2 answers and SCB CSV exports; one row per version "
        "of (source_table, municipality_id, period, sex, age). Källa: SCB.",
        ("source_table", "municipality_id", "period", "sex", "age"),
        _c("source_table", "VARCHAR", "SCB table id (TAB638, TAB6471 monthly) or 'scb-web-export'.", True),
        _c("contents_code", "VARCHAR", "SCB ContentsCode (e.g. BE0101N1, 000007SF); NULL for CSV exports."),
        _c("municipality_id", "VARCHAR", UNIT_ID, True),
        _c("region_code", "VARCHAR", "Region code as published (SCB '01' for a län; '114' before repair)."),
        _c("period", "VARCHAR", "'YYYY' (on 31 December) or 'YYYY-MM' (last day of the month).", True),
        _c("year", "INTEGER", "Year of the period."),
        _c("month", "INTEGER", "Month of a monthly period; NULL for yearly."),
        _c("sex", "VARCHAR", "T totalt, K kvinnor, M män (SCB Kon 1+2/TotSa, 2, 1).", True),
        _c("age", "VARCHAR", "SCB age code, e.g. '0-9'; 'tot' = all ages.", True),
        _c("population", "BIGINT", "Folkmängd as published; NULL when status is not ok."),
        _c("status", "VARCHAR", STATUS),
    ),
    _scd2(
        "register_value",
        "Register statistics loaded from files (Socialstyrelsen's statistics database: saved tables, CSV "
        "exports, API rows; SCB tables other than population); one row per version of (source, measure, "
        "municipality_id, period, breakdown). Källa: Socialstyrelsen / SCB.",
        ("source", "measure", "municipality_id", "period", "breakdown"),
        _c("source", "VARCHAR", "socialstyrelsen or scb.", True),
        _c(
            "measure",
            "VARCHAR",
            "Measure as published: a table's title without its year, an export's value column, "
            "'<topic>/matt=<id>' for API rows, '<table>/<ContentsCode>' for SCB.",
            True,
        ),
        _c("municipality_id", "VARCHAR", UNIT_ID, True),
        _c("region", "VARCHAR", "Region as published (name or code)."),
        _c("period", "VARCHAR", PERIOD, True),
        _c("year", "INTEGER", "Year of the period."),
        _c("month", "INTEGER", "Month of a monthly period; NULL for yearly."),
        _c(
            "breakdown",
            "VARCHAR",
            "The row's other dimensions as 'name=value' joined by ' | ' ('' = none), e.g. "
            "'Inrikes- eller utrikesfödda hushåll=Inrikes födda'.",
            True,
        ),
        _c("value", "DOUBLE", "The value as published; NULL when status is not ok (never 0 for X or --)."),
        _c("status", "VARCHAR", STATUS),
    ),
    _scd2(
        "network_measure",
        "Comparison networks' own measures from the network template (docs/network_template.md); one row "
        "per version of (network, measure_id, municipality_id, period): each network's measures are its "
        "own. Source: the network's file.",
        ("network", "measure_id", "municipality_id", "period"),
        _c(
            "network",
            "VARCHAR",
            "The network the values belong to: its network_id in networks.yaml when the file's nätverk "
            "names it (by id or title) or when it was assumed (the only network listing all the file's "
            "kommuner; the load report says so), else the name as written. '' only for rows from before "
            "schema version 2 whose kommun was in no network.",
            True,
        ),
        _c("measure_id", "VARCHAR", "The network's measure id (mått).", True),
        _c("measure_title", "VARCHAR", "Measure title (måttnamn)."),
        _c("municipality_id", "VARCHAR", UNIT_ID, True),
        _c("period", "VARCHAR", PERIOD, True),
        _c("year", "INTEGER", "Year of the period."),
        _c("month", "INTEGER", "Month of a monthly period; NULL for yearly."),
        _c("value", "DOUBLE", "The value as delivered; NULL when status is not ok."),
        _c("status", "VARCHAR", STATUS),
        _c("unit", "VARCHAR", "Unit (enhet), e.g. '%' or 'timmar'."),
        _c("direction", "VARCHAR", "higher, lower or neutral (riktning); NULL when not given."),
        _c("note", "VARCHAR", "Free-text note (kommentar)."),
    ),
    Table(
        "meta",
        "loaded_file",
        "Files loaded by `jamfor load files`; one row per distinct content (sha256). A file whose hash is "
        "here is skipped; a corrected re-delivery (same logical_key, new hash) supersedes the older row.",
        (
            _c("sha256", "VARCHAR", "Hex SHA-256 of the file's bytes.", True),
            _c("path", "VARCHAR", "Path the file was loaded from."),
            _c("kind", "VARCHAR", "Detected kind (sources.files.KINDS), e.g. scb-jsonstat2 or sdb-html."),
            _c("target_table", "VARCHAR", "Core table the rows went to."),
            _c("logical_key", "VARCHAR", "Hash of kind, target, measures, periods and regions covered."),
            _c(
                "coverage",
                "VARCHAR",
                "JSON: measures (ids), first/last period, n_periods, n_regions; source_notes = the file's "
                "own notes (e.g. a result page's footnotes).",
            ),
            _c("rows_in", "BIGINT", "Rows (values) read from the file."),
            _c("rows_loaded", "BIGINT", "Rows that passed validation and were merged."),
            _c("rows_quarantined", "BIGINT", "Rows written to meta.quarantine."),
            _c("run_id", "VARCHAR", "meta.load_run.run_id of the load."),
            _c("loaded_at", TS, "When it was loaded (UTC)."),
            _c("superseded_by", "VARCHAR", "sha256 of the re-delivery that replaced it; NULL = current."),
        ),
        "meta",
        ("sha256",),
    ),
    Table(
        "mart",
        "population_year",
        "Total population per unit and year for per-capita figures; one row per municipality_id, year. "
        "Year-end population (31 December): a yearly table's value, else the December value of a monthly "
        "table. Källa: SCB.",
        (
            _c("municipality_id", "VARCHAR", UNIT_ID),
            _c("municipality_title", "VARCHAR", "Unit name from core.municipality (NULL if not loaded)."),
            _c("year", "INTEGER", "Year."),
            _c("population", "BIGINT", "Folkmängd on 31 December, all ages, both sexes."),
            _c("period", "VARCHAR", "The period the figure came from: 'YYYY' or 'YYYY-12'."),
            _c("source_table", "VARCHAR", "core.population.source_table it came from (PxWeb tables first)."),
            _c("source_note", "VARCHAR", "Attribution: Källa: SCB."),
        ),
        "mart",
        ("municipality_id", "year"),
    ),
)
TABLES += FILE_TABLES

MONTHLY_GRAIN = " (grain: source, measure_id, breakdown, municipality_id, period, peer_set_id)."
TABLES += (
    Table(
        "mart",
        "monthly_comparison",
        "Monthly statistics of each kommun against its peer sets; one row per source, measure_id, "
        "breakdown, municipality_id, period (month) and peer_set_id. Fed by monthly register rows "
        "(core.register_value, e.g. Socialstyrelsen's ekonomiskt bistånd per month; compared within the "
        "kommun's län, Riket and each network listing it) and by networks' own monthly measures "
        "(core.network_measure; compared within that network only). Peers are the set's other kommuner "
        "with a row for the same source, measure, breakdown and month. value and set_published_value: "
        "Källa: the source; every other figure is egen bearbetning.",
        (
            _c(
                "source",
                "VARCHAR",
                "Where the value comes from: core.register_value.source (socialstyrelsen, scb) or "
                "'network:' + the network owning the measure" + MONTHLY_GRAIN,
            ),
            _c(
                "measure_id",
                "VARCHAR",
                "Register measure as published, or the network's mått" + MONTHLY_GRAIN,
            ),
            _c(
                "measure_title", "VARCHAR", "Measure title (the register measure, or the network's måttnamn)."
            ),
            _c("breakdown", "VARCHAR", "The register row's other dimensions ('' = none)" + MONTHLY_GRAIN),
            _c("municipality_id", "VARCHAR", "The compared kommun, 4-digit code" + MONTHLY_GRAIN),
            _c(
                "municipality_title", "VARCHAR", "Name of the kommun (core.municipality; NULL if not loaded)."
            ),
            _c("period", "VARCHAR", "'YYYY-MM'" + MONTHLY_GRAIN),
            _c("year", "INTEGER", "Year of the month."),
            _c("month", "INTEGER", "Month, 1-12."),
            _c("value", "DOUBLE", "The kommun's value as published; NULL when status is not ok."),
            _c("status", "VARCHAR", STATUS),
            _c(
                "direction",
                "VARCHAR",
                "higher, lower or neutral: the network measure's riktning; register measures are neutral.",
            ),
            _c("peer_set_kind", "VARCHAR", "lan (the county's kommuner), riket (all kommuner) or network."),
            _c("peer_set_id", "VARCHAR", "'lan:' + länskod, 'riket' or 'network:' + name" + MONTHLY_GRAIN),
            _c("peer_set_title", "VARCHAR", "Title of the peer set."),
            _c("n_peers", "BIGINT", "The set's other kommuner with a row (any status) that month."),
            _c(
                "n_peers_with_value",
                "BIGINT",
                "Peers with a value that month (peer_mean and median use them).",
            ),
            _c("peer_mean", "DOUBLE", "Unweighted mean of the peers' values (egen bearbetning)."),
            _c("peer_median", "DOUBLE", "Median of the peers' values (egen bearbetning)."),
            _c(
                "rank_in_peers",
                "BIGINT",
                "Rank among the set's values that month, the kommun included: by direction (1 = bäst), "
                "a neutral measure in value order (1 = högst värde); ties share the best rank; NULL without "
                "a value.",
            ),
            _c(
                "n_ranked",
                "BIGINT",
                "How many values were ranked (the peers with a value plus the kommun's).",
            ),
            _c("rank_order", "VARCHAR", "What rank 1 means: '1 = bäst', or '1 = högst värde' for neutral."),
            _c(
                "set_published_value",
                "DOUBLE",
                "The source's own figure for the set's unit that month where it publishes one (Riket 0000, "
                "län 00LL; a total, not a mean); NULL otherwise.",
            ),
            _c("value_prev_year", "DOUBLE", "The kommun's value in the same month a year earlier."),
            _c("delta_prev_year", "DOUBLE", "value - value_prev_year (egen bearbetning)."),
            _c(
                "peer_mean_delta_prev_year",
                "DOUBLE",
                "peer_mean - the same set's peer_mean for the kommun a year earlier (egen bearbetning).",
            ),
            _c("source_note", "VARCHAR", "Attribution: Källa for value, egen bearbetning for the rest."),
        ),
        "mart",
        ("source", "measure_id", "breakdown", "municipality_id", "period", "peer_set_id"),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.qualified: t for t in TABLES}


def table(qualified: str) -> Table:
    """Return the spec of `schema.table`; raise KeyError naming the known tables otherwise."""
    try:
        return TABLES_BY_NAME[qualified]
    except KeyError:
        raise KeyError(f"unknown warehouse table {qualified!r}; known: {sorted(TABLES_BY_NAME)}") from None
