-- mart.municipality_comparison: every kommun row of mart.kpi_value against each of its peer sets.
-- depends_on: core.municipality, core.ref_kpi_direction, core.ref_kpi_peer_area, core.network_measure, mart.kpi_value, mart.peer_set_member
-- by_kpi: true
--
-- Built KPI by KPI: only the KPIs (and network measure ids) of the temp table mart_kpis. To run it by
-- hand in the duckdb CLI against a published warehouse, first create it with every KPI:
--   CREATE TEMP TABLE mart_kpis AS SELECT kpi_id FROM mart.kpi_value
--     UNION SELECT measure_id FROM core.network_measure;
--
-- The sets and their members are mart.peer_set_member's. Kommungrupp, län, Riket and network sets are
-- shared: every member is compared against the set, so the members' rows for each KPI, year and gender
-- form one partition; a kommun's peers are that partition without its own row (the partition total minus
-- its value for the mean, the partition's sorted values without its own for the median). Ranks come from
-- one ascending sort per partition (rank() counts the values below, a running count those at or below),
-- so "lower is better" and "higher is better" share it; the Riket partition is the kommun values
-- themselves, sorted once, and gives every row its national rank. A Liknande kommuner group belongs to
-- one kommun and lists only its similar kommuner, so that kommun's row is joined to the members' rows and
-- aggregated. A year's values are compared within that year's version of the group, else the newest
-- earlier one, else the oldest later one (peer_set_vintage then differs from the year). Both ways tied
-- values share the best rank and NULL values are not ranked; sums run in value order so a rebuild of the
-- same data is bit-identical. Year-on-year deltas join last year's row (own value, set total; a Liknande
-- version's peers last year) instead of a window over the output. National figures come from the Riket
-- set, colour bands from the kommuner's quantiles that year (a network's own measure: its network's).
-- A network's own measures (core.network_measure, yearly) are compared within that network only, for
-- the members it lists; their national columns are NULL and their source_note starts with
-- warehouse.network_comparison.NETWORK_SOURCE (a test checks).
--
-- Row order: each KPI chunk's rows are sorted by kommun (then KPI, year, gender, set) while still narrow,
-- before the labels are joined, so one kommun's rows sit in a few row groups per chunk and its query
-- skips the rest; there is no global order (sort by the key when reading).
WITH
kommun AS (
    SELECT municipality_id, title FROM core.municipality
    WHERE valid_to IS NULL AND NOT is_deleted AND kind = 'kommun'
),
kpi_ref AS (
    SELECT k.kpi_id, coalesce(d.direction, 'neutral') AS direction, a.peer_area
    FROM (
        SELECT DISTINCT kpi_id FROM mart.kpi_value
        WHERE municipality_kind = 'kommun' AND kpi_id IN (SELECT kpi_id FROM mart_kpis)
    ) AS k
    LEFT JOIN core.ref_kpi_direction AS d ON d.kpi_id = k.kpi_id
    LEFT JOIN core.ref_kpi_peer_area AS a ON a.kpi_id = k.kpi_id
),
set_info AS (
    SELECT DISTINCT peer_set_id AS set_key, peer_set_kind AS kind, peer_set_title AS title,
           peer_set_vintage AS vintage, peer_area AS area, n_peers
    FROM mart.peer_set_member
),
liknande AS (
    -- one row per Liknande version: its anchor kommun, area, vintage and until when it was current
    SELECT peer_set_id AS set_key, group_id, peer_area AS area, peer_set_vintage AS vintage_year,
           municipality_id AS anchor_municipality_id,
           coalesce(replaced_at, 'infinity'::TIMESTAMPTZ) AS version_end
    FROM mart.peer_set_member WHERE peer_set_kind = 'liknande' AND is_anchor
),
liknande_member AS (
    SELECT peer_set_id AS set_key, municipality_id AS member_id FROM mart.peer_set_member
    WHERE peer_set_kind = 'liknande' AND NOT is_anchor
),
shared_member AS (
    SELECT peer_set_id AS set_key, municipality_id AS member_id FROM mart.peer_set_member
    WHERE peer_set_kind <> 'liknande'
),
val AS (
    SELECT v.kpi_id, v.municipality_id, v.year, v.gender, v.value, v.is_preliminary, r.direction,
           r.peer_area
    FROM mart.kpi_value AS v JOIN kpi_ref AS r ON r.kpi_id = v.kpi_id
    WHERE v.municipality_kind = 'kommun'
),
labels AS (
    SELECT kpi_id, any_value(kpi_title) AS kpi_title FROM mart.kpi_value
    WHERE kpi_id IN (SELECT kpi_id FROM mart_kpis)
    GROUP BY kpi_id
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
    SELECT kpi_id, year, gender, value FROM mart.kpi_value
    WHERE municipality_id = '0000' AND kpi_id IN (SELECT kpi_id FROM mart_kpis)
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
           -- rank among the set's values, best first (ties share the best rank, NULL values get none):
           -- lower is better -> rank() (1 + the values below); higher or neutral -> 1 + the values above
           CASE WHEN value IS NULL THEN NULL WHEN direction = 'lower' THEN rank_below
                ELSE 1 + n_values - n_at_or_below END AS national_rank
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
    -- the same rank as val_national's national_rank, now within each set
    SELECT * REPLACE (CASE WHEN value IS NULL THEN NULL WHEN direction = 'lower' THEN rank_below
                           ELSE 1 + n_values - n_at_or_below END AS rank_below) FROM (
        SELECT 'riket' AS set_key, *,
               CASE WHEN value IS NULL THEN NULL WHEN direction = 'lower' THEN rank_below
                    ELSE 1 + n_values - n_at_or_below END AS national_rank
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
nm_rows AS (
    -- a network's yearly measure rows of the kommuner the network lists (its peer set's members)
    SELECT s.peer_set_id AS set_key, m.measure_id AS kpi_id, m.measure_title,
           m.municipality_id, m.year, m.value, coalesce(m.direction, 'neutral') AS direction
    FROM core.network_measure AS m
    JOIN mart.peer_set_member AS s ON s.peer_set_id = 'network:' || m.network
                                  AND s.municipality_id = m.municipality_id
    WHERE m.valid_to IS NULL AND NOT m.is_deleted AND m.month IS NULL
      AND m.measure_id IN (SELECT kpi_id FROM mart_kpis)
),
listed_pair AS (
    -- the sets compared pair by pair: a kommun's row against each peer's row of the same KPI, year and
    -- gender. A Liknande version lists one kommun's peers (of the group's area); a network's own
    -- measure is compared among the network's other members (gender T)
    SELECT u.set_key, a.municipality_id, a.kpi_id, a.year, a.gender, a.value, a.direction,
           p.value AS peer_value
    FROM val AS a
    JOIN liknande_use AS u ON u.municipality_id = a.municipality_id AND u.peer_area = a.peer_area
                          AND u.year = a.year
    LEFT JOIN liknande_member AS m ON m.set_key = u.set_key
    LEFT JOIN val AS p ON p.municipality_id = m.member_id AND p.kpi_id = a.kpi_id AND p.year = a.year
                      AND p.gender = a.gender
    UNION ALL
    SELECT a.set_key, a.municipality_id, a.kpi_id, a.year, 'T', a.value, a.direction, p.value
    FROM nm_rows AS a
    LEFT JOIN nm_rows AS p ON p.set_key = a.set_key AND p.kpi_id = a.kpi_id AND p.year = a.year
                          AND p.municipality_id <> a.municipality_id
),
listed_agg AS (
    -- the peer statistics of the pairwise sets; averaged in value order: bit-identical from one rebuild
    -- to the next. Rank: 1 + the peers better than the kommun (ties share the best rank)
    SELECT set_key, municipality_id, kpi_id, year, gender,
           count(peer_value) AS n_peers_with_value, avg(peer_value ORDER BY peer_value) AS peer_mean,
           median(peer_value) AS peer_median,
           CASE WHEN any_value(value) IS NOT NULL THEN 1 + count(*) FILTER (
               WHERE direction = 'lower' AND peer_value < value OR direction <> 'lower' AND peer_value > value
           ) END AS rank_in_peers,
           count(peer_value) + (any_value(value) IS NOT NULL)::BIGINT AS n_ranked
    FROM listed_pair GROUP BY set_key, municipality_id, kpi_id, year, gender
),
listed_stats AS (
    -- Δ peer mean: the same set's peers a year earlier (a Liknande version's peers in the year before)
    SELECT c.*, c.peer_mean - p.peer_mean AS peer_mean_delta_prev_year
    FROM listed_agg AS c
    LEFT JOIN listed_agg AS p ON p.set_key = c.set_key AND p.municipality_id = c.municipality_id
                             AND p.kpi_id = c.kpi_id AND p.gender = c.gender AND p.year = c.year - 1
),
liknande_stats AS (
    SELECT c.*, a.value, a.is_preliminary, a.direction, a.national_rank, a.delta_prev_year
    FROM listed_stats AS c
    JOIN val_national AS a ON a.municipality_id = c.municipality_id AND a.kpi_id = c.kpi_id
                          AND a.year = c.year AND a.gender = c.gender
    JOIN liknande_use AS u ON u.set_key = c.set_key AND u.municipality_id = c.municipality_id
                          AND u.peer_area = a.peer_area AND u.year = c.year
    WHERE u.is_own
),
stats AS (
    SELECT * FROM shared_stats UNION ALL BY NAME SELECT * FROM liknande_stats
),
nm_quartiles AS (
    SELECT set_key, kpi_id, year, quantile_cont(value, 0.25) AS p25, quantile_cont(value, 0.75) AS p75,
           any_value(measure_title) AS measure_title
    FROM nm_rows GROUP BY ALL
),
nm_newest AS (
    SELECT set_key, kpi_id, max(year) FILTER (WHERE value IS NOT NULL) AS kpi_newest_year
    FROM nm_rows GROUP BY ALL
),
nm_stats AS (
    SELECT c.*, a.value, a.direction, a.value - p.value AS delta_prev_year,
           q.p25, q.p75, q.measure_title, y.kpi_newest_year
    FROM listed_stats AS c
    JOIN nm_rows AS a ON a.set_key = c.set_key AND a.municipality_id = c.municipality_id
                     AND a.kpi_id = c.kpi_id AND a.year = c.year
    JOIN nm_quartiles AS q ON q.set_key = c.set_key AND q.kpi_id = c.kpi_id AND q.year = c.year
    JOIN nm_newest AS y ON y.set_key = c.set_key AND y.kpi_id = c.kpi_id
    LEFT JOIN nm_rows AS p ON p.set_key = c.set_key AND p.municipality_id = c.municipality_id
                          AND p.kpi_id = c.kpi_id AND p.year = c.year - 1
),
clustered AS (
    -- the Kolada and the network rows, narrow, sorted by kommun before the labels are joined: the labels
    -- are joined to this stream (small build sides), so a chunk's rows land in row groups by kommun
    -- and one kommun's query reads a few of them; sorting the 29 finished columns cost as much again
    SELECT * FROM (
        SELECT *, FALSE AS is_network FROM stats
        UNION ALL BY NAME
        SELECT *, TRUE AS is_network FROM nm_stats
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
       -- percentiles: 100 x (n - rank) / (n - 1), the share of the others ranked that are not better
       CASE WHEN s.national_rank IS NOT NULL AND n.n_national > 1
            THEN 100.0 * (n.n_national - s.national_rank) / (n.n_national - 1) END::DOUBLE
           AS national_percentile,
       s.direction,
       -- green in the best quarter, red in the worst, yellow between (a Kolada row against the
       -- kommuner's quartiles that year, a network row its network's); grey without a value
       CASE WHEN s.value IS NULL THEN 'grey'
            WHEN s.direction = 'neutral' THEN 'neutral'
            WHEN s.direction = 'higher' AND s.value > CASE WHEN s.is_network THEN s.p75 ELSE n.p75 END
              OR s.direction = 'lower' AND s.value < CASE WHEN s.is_network THEN s.p25 ELSE n.p25 END
                THEN 'green'
            WHEN s.direction = 'higher' AND s.value < CASE WHEN s.is_network THEN s.p25 ELSE n.p25 END
              OR s.direction = 'lower' AND s.value > CASE WHEN s.is_network THEN s.p75 ELSE n.p75 END
                THEN 'red'
            ELSE 'yellow' END AS colour_band,
       s.delta_prev_year::DOUBLE AS delta_prev_year,
       s.peer_mean_delta_prev_year::DOUBLE AS peer_mean_delta_prev_year,
       CASE WHEN s.is_network THEN FALSE ELSE s.is_preliminary END AS is_preliminary,
       CASE WHEN s.is_network
            THEN 'Källa: nätverkets egen fil (core.network_measure): value. Egen bearbetning (not Kolada): '
                 || 'peer statistics, ranks, colour_band, deltas.'
            ELSE 'Källa: Kolada: value, national_value. Egen bearbetning (not Kolada): peer and national '
                 || 'statistics, ranks, percentile, colour_band, deltas.' END AS source_note,
       CASE WHEN s.rank_in_peers IS NOT NULL AND s.n_ranked > 1
            THEN 100.0 * (s.n_ranked - s.rank_in_peers) / (s.n_ranked - 1) END::DOUBLE
           AS percentile_in_peers,
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
