"""Comparison marts: each kommun against its peer sets, and Öppna jämförelser factors per area.

Both are registered marts, rebuilt by `marts.rebuild` after mart.kpi_value (registration order) from
mart.kpi_value, the core dimensions and the core.ref_* tables; set-based SQL only.

How mart.municipality_comparison is computed. Kommungrupp, län, Riket and network sets are shared:
every member is compared against the set, so the members' rows for each KPI, year and gender form one
partition; a kommun's peers are that partition without its own row (the partition total minus its
value for the mean, the partition's sorted values without its own for the median). Ranks come from one
ascending sort per partition (rank() counts the values below, a running count those at or below), so
"lower is better" and "higher is better" share it; the Riket partition is the kommun values themselves,
sorted once, and gives every row its national rank. A Liknande kommuner group belongs to one kommun and
lists only its 7 similar kommuner, so that kommun's row is joined to the members' rows (7 per row) and
aggregated. Kolada republishes these groups under the same id with a new title year and new members; core
keeps every version, and a year's values are compared within that year's version, else the newest
earlier one, else the oldest later one (peer_set_id names the version, e.g. G36722:2024, and
peer_set_vintage its year, so a value compared within another year's group says so). Both ways tied
values share the best rank and NULL values are not ranked; sums run in value order so a rebuild of the
same data is bit-identical. Year-on-year deltas join last year's row (own value, set total; a Liknande
version's peers last year) instead of a window over the output. National figures come from the Riket
set, colour bands from the kommuner's quantiles that year.

Row order: each KPI chunk's rows are sorted by kommun (then KPI, year, gender, set) while still narrow,
before the labels are joined (the joins keep that order only roughly), so one kommun's rows sit in a few
row groups per chunk and its query skips the rest; there is no global order (sort by the key when
reading).
"""

from __future__ import annotations

import duckdb

from warehouse import marts
from warehouse.network_comparison import NETWORK_NOTE_SQL, colour_band_sql, network_ctes, percentile_sql

CURRENT = "valid_to IS NULL AND NOT is_deleted"
SOURCE_NOTE = (
    "Källa: Kolada: value, national_value. Egen bearbetning (not Kolada): peer and national "
    "statistics, ranks, percentile, colour_band, deltas."
)
# colour bands: a Kolada row against the kommuner's quartiles that year, a network row its network's
_P25 = "CASE WHEN s.is_network THEN s.p25 ELSE n.p25 END"
_P75 = "CASE WHEN s.is_network THEN s.p75 ELSE n.p75 END"


def _peer_set_ctes(kpis: str) -> str:
    """The peer-set CTEs for the KPIs matching the SQL predicate `kpis` (on kpi_id)."""
    return f"""
kommun AS (
    SELECT municipality_id, title, county_id, kommungrupp_id, kommungrupp_title
    FROM core.municipality WHERE {CURRENT} AND kind = 'kommun'
),
grp AS (SELECT * FROM core.municipality_group WHERE {CURRENT}),
grp_member AS (
    SELECT m.group_id, m.member_id FROM core.municipality_group_member AS m
    JOIN kommun AS k ON k.municipality_id = m.member_id WHERE m.{CURRENT}
),
kpi_ref AS (
    SELECT k.kpi_id, coalesce(d.direction, 'neutral') AS direction, a.peer_area
    FROM (SELECT DISTINCT kpi_id FROM mart.kpi_value WHERE municipality_kind = 'kommun' AND {kpis}) AS k
    LEFT JOIN core.ref_kpi_direction AS d ON d.kpi_id = k.kpi_id
    LEFT JOIN core.ref_kpi_peer_area AS a ON a.kpi_id = k.kpi_id
),
liknande AS (
    -- every version Kolada published of the Liknande groups of current kommuner, from core's history:
    -- a group keeps its id while the title year (vintage) and the members change, so a version is
    -- (group id, vintage), named by its set key; its newest row gives title, area and anchor, and it
    -- lasted until version_end (infinity while current)
    SELECT g.group_id || coalesce(':' || g.vintage_year, '') AS set_key, g.group_id, g.title, g.area,
           g.anchor_municipality_id, g.vintage_year,
           max(coalesce(g.valid_to, 'infinity'::TIMESTAMPTZ)) OVER version AS version_end
    FROM core.municipality_group AS g
    JOIN kommun AS k ON k.municipality_id = g.anchor_municipality_id
    WHERE g.family = 'liknande' AND NOT g.is_deleted AND g.area IN (SELECT peer_area FROM kpi_ref)
    WINDOW version AS (PARTITION BY g.group_id, g.vintage_year)
    QUALIFY row_number() OVER (PARTITION BY g.group_id, g.vintage_year ORDER BY g.valid_from DESC) = 1
),
lan_title AS (
    SELECT county_id, min(title) AS title FROM (
        SELECT g.group_id, any_value(regexp_replace(g.title, '\\s*\\(ovägt medel\\)\\s*$', '')) AS title,
               min(left(m.member_id, 2)) AS county_id
        FROM grp AS g JOIN grp_member AS m ON m.group_id = g.group_id WHERE g.family = 'lan'
        GROUP BY g.group_id HAVING count(DISTINCT left(m.member_id, 2)) = 1
    ) GROUP BY county_id
),
peer_set AS (
    SELECT set_key, 'liknande' AS kind, title, vintage_year AS vintage, area FROM liknande
    UNION ALL
    SELECT DISTINCT k.kommungrupp_id, 'kommungrupp', k.kommungrupp_title, g.vintage_year, NULL
    FROM kommun AS k LEFT JOIN grp AS g ON g.group_id = k.kommungrupp_id WHERE k.kommungrupp_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT 'lan:' || k.county_id, 'lan', coalesce(t.title, 'Kommuner i län ' || k.county_id),
           NULL::INTEGER, NULL
    FROM kommun AS k LEFT JOIN lan_title AS t ON t.county_id = k.county_id WHERE k.county_id IS NOT NULL
    UNION ALL
    SELECT 'riket', 'riket', 'Riket: alla kommuner', NULL::INTEGER, NULL
    UNION ALL
    SELECT 'network:' || network_id, 'network', title, NULL::INTEGER, NULL FROM core.ref_network
),
liknande_member AS (
    -- a version's members are the group's members when that version was last current (the member rows
    -- a newer version replaced end at the same load, so at version_end)
    SELECT l.set_key, m.member_id FROM liknande AS l
    JOIN core.municipality_group_member AS m ON m.group_id = l.group_id AND NOT m.is_deleted
     AND m.valid_from < l.version_end AND coalesce(m.valid_to, 'infinity'::TIMESTAMPTZ) >= l.version_end
    JOIN kommun AS k ON k.municipality_id = m.member_id
    WHERE m.member_id <> l.anchor_municipality_id
),
shared_member AS (
    -- sets every member of which is compared against the set
    SELECT group_id AS set_key, member_id FROM grp_member
    WHERE group_id IN (SELECT kommungrupp_id FROM kommun)
    UNION ALL
    SELECT 'lan:' || county_id, municipality_id FROM kommun WHERE county_id IS NOT NULL
    UNION ALL
    SELECT 'riket', municipality_id FROM kommun
    UNION ALL
    SELECT DISTINCT 'network:' || n.network_id, n.member_id FROM core.ref_network_member AS n
    JOIN kommun AS k ON k.municipality_id = n.member_id
),
set_info AS (
    -- n_peers: a Liknande group's members are all peers; the other sets include the kommun itself
    SELECT s.*, coalesce(c.n_members, 0) - CASE WHEN s.kind = 'liknande' THEN 0 ELSE 1 END AS n_peers
    FROM peer_set AS s LEFT JOIN (
        SELECT set_key, count(*) AS n_members
        FROM (SELECT * FROM liknande_member UNION ALL SELECT * FROM shared_member) GROUP BY set_key
    ) AS c ON c.set_key = s.set_key
)"""


_SETS = _peer_set_ctes("TRUE")


def _rank(below: str, at_or_below: str, n_values: str) -> str:
    """SQL: rank among the set's values, best first (ties share the best rank, NULL values get none).

    From one ascending sort: lower is better → rank() (1 + the values below); higher or neutral →
    1 + the values above = 1 + n - the values at or below.
    """
    return (
        f"CASE WHEN value IS NULL THEN NULL WHEN direction = 'lower' THEN {below} "
        f"ELSE 1 + {n_values} - {at_or_below} END"
    )


def _comparison_sql(kpis: str) -> str:
    """mart.municipality_comparison's SELECT for the KPIs matching the SQL predicate `kpis`."""
    return f"""
WITH {_peer_set_ctes(kpis)},
val AS (
    SELECT v.kpi_id, v.municipality_id, v.year, v.gender, v.value, v.is_preliminary, r.direction,
           r.peer_area,
           -- sort key of the Liknande ranks: the best value first
           CASE WHEN r.direction = 'lower' THEN v.value ELSE -v.value END AS worse
    FROM mart.kpi_value AS v JOIN kpi_ref AS r ON r.kpi_id = v.kpi_id
    WHERE v.municipality_kind = 'kommun'
),
labels AS (
    SELECT kpi_id, any_value(kpi_title) AS kpi_title FROM mart.kpi_value WHERE {kpis} GROUP BY kpi_id
),
newest AS (
    -- the KPI's newest year with a kommun value: a value far older than it is flagged when shown
    SELECT kpi_id, max(year) FILTER (WHERE value IS NOT NULL) AS kpi_newest_year FROM val GROUP BY kpi_id
),
national AS (
    SELECT kpi_id, year, gender, count(value) AS n_national, median(value) AS kommun_median,
           quantile_cont(value, 0.25) AS p25, quantile_cont(value, 0.75) AS p75
    FROM val GROUP BY ALL
),
riket AS (
    SELECT kpi_id, year, gender, value FROM mart.kpi_value WHERE municipality_id = '0000' AND {kpis}
),
set_rows AS (
    -- Riket is every kommun: its rows are `val` itself, the other shared sets join their members
    SELECT 'riket' AS set_key, municipality_id, kpi_id, year, gender, value FROM val
    UNION ALL
    SELECT m.set_key, v.municipality_id, v.kpi_id, v.year, v.gender, v.value
    FROM shared_member AS m JOIN val AS v ON v.municipality_id = m.member_id WHERE m.set_key <> 'riket'
),
set_total AS (
    -- summed in value order, so peer_mean is bit-identical from one rebuild to the next. The median
    -- of the peers (the set without one member) only ever needs the sorted values at positions A, A+1
    -- and A+2, A = n // 2, so those three are kept instead of a per-row window median
    SELECT set_key, kpi_id, year, gender, n_values, total,
           sorted[n_values // 2] AS v_a, sorted[n_values // 2 + 1] AS v_b, sorted[n_values // 2 + 2] AS v_c
    FROM (
        SELECT set_key, kpi_id, year, gender, count(value) AS n_values, sum(value ORDER BY value) AS total,
               list(value ORDER BY value) FILTER (WHERE value IS NOT NULL) AS sorted
        FROM set_rows GROUP BY ALL
    )
),
val_ranked AS (
    -- one sort per KPI, year and gender ranks every kommun nationally (the Riket set): rank() is
    -- 1 + the values below, the running count the values at or below, so "higher is better" ranks
    -- are 1 + n - that count. The value a year earlier rides along for the year-on-year deltas.
    SELECT v.*, t.n_values, t.total, t.v_a, t.v_b, t.v_c, p.value AS prev_value,
           p.kpi_id IS NOT NULL AS has_prev, v.value - p.value AS delta_prev_year,
           rank() OVER ascending AS rank_below, count(v.value) OVER ascending AS n_at_or_below,
           row_number() OVER ascending AS row_pos
    FROM val AS v
    JOIN set_total AS t ON t.set_key = 'riket' AND t.kpi_id = v.kpi_id AND t.year = v.year
                       AND t.gender = v.gender
    LEFT JOIN val AS p ON p.municipality_id = v.municipality_id AND p.kpi_id = v.kpi_id
                      AND p.gender = v.gender AND p.year = v.year - 1
    WINDOW ascending AS (PARTITION BY v.kpi_id, v.year, v.gender ORDER BY v.value ASC NULLS LAST)
),
val_national AS (
    SELECT * EXCLUDE (n_values, total, v_a, v_b, v_c, rank_below, n_at_or_below, row_pos),
           {_rank("rank_below", "n_at_or_below", "n_values")} AS national_rank
    FROM val_ranked
),
member_ranked AS (
    -- the other shared sets: the same single sort per set, KPI, year and gender
    SELECT m.set_key, v.*, t.n_values, t.total, t.v_a, t.v_b, t.v_c,
           rank() OVER ascending AS rank_below, count(v.value) OVER ascending AS n_at_or_below,
           row_number() OVER ascending AS row_pos
    FROM shared_member AS m
    JOIN val_national AS v ON v.municipality_id = m.member_id
    JOIN set_total AS t ON t.set_key = m.set_key AND t.kpi_id = v.kpi_id AND t.year = v.year
                       AND t.gender = v.gender
    WHERE m.set_key <> 'riket'
    WINDOW ascending AS (PARTITION BY m.set_key, v.kpi_id, v.year, v.gender ORDER BY v.value ASC NULLS LAST)
),
shared_ranked AS (
    SELECT * REPLACE ({_rank("rank_below", "n_at_or_below", "n_values")} AS rank_below) FROM (
        SELECT 'riket' AS set_key, *, {_rank("rank_below", "n_at_or_below", "n_values")} AS national_rank
        FROM val_ranked
        UNION ALL BY NAME
        SELECT * FROM member_ranked
    )
),
shared_positions AS (
    -- the own value's 1-based position among the set's non-null values in ascending order is pos;
    -- the peers' j-th smallest value is the set's j-th, or its (j+1)-th from the own position on;
    -- lo/hi are the middle positions among the m peers (equal when m is odd)
    SELECT *, (m + 1) // 2 + ((pos IS NOT NULL) AND (m + 1) // 2 >= pos)::BIGINT - a AS lo_off,
           m // 2 + 1 + ((pos IS NOT NULL) AND m // 2 + 1 >= pos)::BIGINT - a AS hi_off
    FROM (
        SELECT *, n_values // 2 AS a, CASE WHEN value IS NOT NULL THEN row_pos END AS pos,
               n_values - (value IS NOT NULL)::BIGINT AS m
        FROM shared_ranked
    )
),
shared_stats AS (
    -- the peers are the other rows of the set, KPI, year and gender: the total without the own value;
    -- the median interpolates like DuckDB's median (quantile_cont 0.5). Last year's peer mean is the
    -- same formula over last year's set total and own value.
    SELECT s.set_key, s.municipality_id, s.kpi_id, s.year, s.gender, s.value, s.is_preliminary,
           s.direction, s.national_rank, s.delta_prev_year,
           s.m AS n_peers_with_value,
           (s.total - coalesce(s.value, 0)) / nullif(s.m, 0) AS peer_mean,
           CASE WHEN s.m > 0 THEN s.lo_v + (s.hi_v - s.lo_v) * 0.5 END AS peer_median,
           s.rank_below AS rank_in_peers,
           s.n_values AS n_ranked,
           CASE WHEN s.has_prev THEN (s.total - coalesce(s.value, 0)) / nullif(s.m, 0)
               - (p.total - coalesce(s.prev_value, 0))
                 / nullif(p.n_values - (s.prev_value IS NOT NULL)::BIGINT, 0) END AS peer_mean_delta_prev_year
    FROM (
        SELECT *,
               CASE lo_off WHEN 0 THEN v_a WHEN 1 THEN v_b ELSE v_c END AS lo_v,
               CASE hi_off WHEN 0 THEN v_a WHEN 1 THEN v_b ELSE v_c END AS hi_v
        FROM shared_positions
    ) AS s
    LEFT JOIN set_total AS p ON s.has_prev AND p.set_key = s.set_key AND p.kpi_id = s.kpi_id
                            AND p.gender = s.gender AND p.year = s.year - 1
),
liknande_year AS (
    -- the version a kommun's values of an area and year are compared within: that year's version, else
    -- the newest earlier one, else the oldest later one (peer_set_vintage then differs from the year)
    SELECT y.municipality_id, y.peer_area, y.year, l.set_key
    FROM (SELECT DISTINCT municipality_id, peer_area, year FROM val) AS y
    JOIN liknande AS l ON l.anchor_municipality_id = y.municipality_id AND l.area = y.peer_area
    QUALIFY row_number() OVER (
        PARTITION BY y.municipality_id, y.peer_area, y.year
        ORDER BY l.vintage_year <= y.year DESC NULLS LAST, abs(l.vintage_year - y.year) NULLS LAST,
                 l.version_end DESC, l.group_id
    ) = 1
),
liknande_use AS (
    -- each chosen version also over the year before, for peer_mean_delta_prev_year: last year's peer
    -- mean among the same peers (is_own marks the rows the mart keeps)
    SELECT municipality_id, peer_area, year, set_key, bool_or(is_own) AS is_own FROM (
        SELECT *, TRUE AS is_own FROM liknande_year
        UNION ALL
        SELECT municipality_id, peer_area, year - 1, set_key, FALSE FROM liknande_year
    ) GROUP BY ALL
),
liknande_agg AS (
    -- the kommun's row against each member's row of the same KPI (of the group's area), year, gender
    SELECT u.set_key, a.municipality_id, a.kpi_id, a.year, a.gender, any_value(u.is_own) AS is_own,
           any_value(a.value) AS value, any_value(a.is_preliminary) AS is_preliminary,
           any_value(a.direction) AS direction, any_value(a.national_rank) AS national_rank,
           any_value(a.delta_prev_year) AS delta_prev_year,
           -- averaged in value order: bit-identical from one rebuild to the next
           count(p.value) AS n_peers_with_value, avg(p.value ORDER BY p.value) AS peer_mean,
           median(p.value) AS peer_median,
           CASE WHEN any_value(a.value) IS NOT NULL THEN 1 + count(*) FILTER (WHERE p.worse < a.worse) END
               AS rank_in_peers,
           count(p.value) + (any_value(a.value) IS NOT NULL)::BIGINT AS n_ranked
    FROM val_national AS a
    JOIN liknande_use AS u ON u.municipality_id = a.municipality_id AND u.peer_area = a.peer_area
                          AND u.year = a.year
    LEFT JOIN liknande_member AS m ON m.set_key = u.set_key
    LEFT JOIN val AS p ON p.municipality_id = m.member_id AND p.kpi_id = a.kpi_id AND p.year = a.year
                      AND p.gender = a.gender
    GROUP BY u.set_key, a.municipality_id, a.kpi_id, a.year, a.gender
),
liknande_stats AS (
    SELECT c.* EXCLUDE (is_own), c.peer_mean - p.peer_mean AS peer_mean_delta_prev_year
    FROM liknande_agg AS c
    LEFT JOIN liknande_agg AS p ON p.set_key = c.set_key AND p.municipality_id = c.municipality_id
                               AND p.kpi_id = c.kpi_id AND p.gender = c.gender AND p.year = c.year - 1
    WHERE c.is_own
),
stats AS (
    SELECT * FROM shared_stats UNION ALL BY NAME SELECT * FROM liknande_stats
),
{network_ctes(kpis)},
clustered AS (
    -- the Kolada and the network rows, narrow, sorted by kommun before the labels are joined: the labels
    -- are joined to this stream (small build sides), so a chunk's rows land in row groups by kommun
    -- and one kommun's query reads a few of them; sorting the 29 finished columns cost as much again
    SELECT * FROM (
        SELECT *, FALSE AS is_network FROM stats
        UNION ALL BY NAME
        SELECT *, 'T' AS gender, TRUE AS is_network FROM nm_stats
    )
    ORDER BY municipality_id, kpi_id, year, gender, set_key
)
SELECT s.municipality_id, k.title AS municipality_title, s.kpi_id,
       CASE WHEN s.is_network THEN s.measure_title ELSE t.kpi_title END AS kpi_title, s.year, s.gender,
       s.value, i.kind AS peer_set_kind, i.set_key AS peer_set_id, i.title AS peer_set_title,
       i.vintage::INTEGER AS peer_set_vintage, i.area AS peer_area, i.n_peers::BIGINT AS n_peers,
       s.n_peers_with_value::BIGINT AS n_peers_with_value, s.peer_mean::DOUBLE AS peer_mean,
       s.peer_median::DOUBLE AS peer_median, s.rank_in_peers::BIGINT AS rank_in_peers,
       s.n_ranked::BIGINT AS n_ranked, r.value AS national_value,
       n.kommun_median::DOUBLE AS national_kommun_median, s.national_rank::BIGINT AS national_rank,
       n.n_national::BIGINT AS n_national,
       {percentile_sql("s.national_rank", "n.n_national")} AS national_percentile,
       s.direction,
       {colour_band_sql(_P25, _P75)} AS colour_band,
       s.delta_prev_year::DOUBLE AS delta_prev_year,
       s.peer_mean_delta_prev_year::DOUBLE AS peer_mean_delta_prev_year,
       CASE WHEN s.is_network THEN FALSE ELSE s.is_preliminary END AS is_preliminary,
       CASE WHEN s.is_network THEN '{NETWORK_NOTE_SQL}' ELSE '{SOURCE_NOTE}' END AS source_note,
       {percentile_sql("s.rank_in_peers", "s.n_ranked")} AS percentile_in_peers,
       (CASE WHEN s.is_network THEN s.kpi_newest_year ELSE y.kpi_newest_year END)::INTEGER AS kpi_newest_year
FROM clustered AS s
JOIN set_info AS i ON i.set_key = s.set_key
JOIN kommun AS k ON k.municipality_id = s.municipality_id
-- the national figures are Kolada's: none for a network's own measures
LEFT JOIN national AS n ON NOT s.is_network AND n.kpi_id = s.kpi_id AND n.year = s.year
                       AND n.gender = s.gender
LEFT JOIN labels AS t ON NOT s.is_network AND t.kpi_id = s.kpi_id
LEFT JOIN riket AS r ON NOT s.is_network AND r.kpi_id = s.kpi_id AND r.year = s.year AND r.gender = s.gender
LEFT JOIN newest AS y ON NOT s.is_network AND y.kpi_id = s.kpi_id
"""


_AREA_SUMMARY = """
WITH answer AS (
    -- each answer against its year's coding: a value that is no code of that coding is not counted
    SELECT f.kpi_group_id, f.oj_area, v.kpi_id, v.municipality_id, v.municipality_title, v.year, v.value,
           c.is_positive
    FROM core.ref_oj_factor AS f
    JOIN mart.kpi_value AS v ON v.kpi_id = f.kpi_id
     AND v.year BETWEEN coalesce(f.year_from, 0) AND coalesce(f.year_to, 9999)
    LEFT JOIN core.ref_oj_answer AS c ON c.kpi_id = f.kpi_id AND c.year_from IS NOT DISTINCT FROM f.year_from
     AND c.code = v.value
    WHERE f.coding_status = 'parsed' AND v.municipality_kind = 'kommun' AND v.gender = 'T'
),
asked AS (
    SELECT kpi_group_id, year, count(DISTINCT kpi_id) FILTER (WHERE is_positive IS NOT NULL) AS n_factors
    FROM answer GROUP BY ALL
)
SELECT a.municipality_id, any_value(a.municipality_title) AS municipality_title,
       a.kpi_group_id AS oj_group_id, any_value(a.oj_area) AS oj_area, a.year,
       any_value(k.n_factors)::BIGINT AS n_factors, count(a.is_positive)::BIGINT AS n_answered,
       count(*) FILTER (WHERE a.is_positive)::BIGINT AS n_positive,
       CASE WHEN count(a.is_positive) > 0
            THEN count(*) FILTER (WHERE a.is_positive) / count(a.is_positive) END::DOUBLE AS share_positive,
       'Källa: Kolada: the answers. Egen bearbetning (not Kolada): the counts and share_positive.'
           AS source_note,
       count(*) FILTER (WHERE a.value IS NOT NULL AND a.is_positive IS NULL)::BIGINT AS n_off_coding
FROM answer AS a JOIN asked AS k ON k.kpi_group_id = a.kpi_group_id AND k.year = a.year
GROUP BY a.municipality_id, a.kpi_group_id, a.year
ORDER BY a.municipality_id, a.kpi_group_id, a.year
"""


@marts.register("mart.municipality_comparison", by_kpi=True)
def municipality_comparison(con: duckdb.DuckDBPyConnection, only: str | None = None) -> str:
    """Every kommun row of mart.kpi_value against each of its peer sets (see the module docstring);
    `only`: just the KPIs in that temp table (a KPI's rows depend on no other KPI's values)."""
    return _comparison_sql(marts.kpi_filter("kpi_id", only))


@marts.register("mart.area_summary")
def area_summary(con: duckdb.DuckDBPyConnection) -> str:
    """ÖJ factors answered and positive per kommun, area and year (gender T)."""
    return _AREA_SUMMARY
