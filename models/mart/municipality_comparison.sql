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
-- themselves and gives every row its national rank. A Liknande kommuner group belongs to one kommun and
-- lists only its similar kommuner, so that kommun's row is joined to the members' rows and aggregated.
-- A year's values are compared within that year's version of the group, else the newest earlier one,
-- else the oldest later one (peer_set_vintage then differs from the year). Both ways tied values share
-- the best rank and NULL values are not ranked; sums run in value order so a rebuild of the same data is
-- bit-identical. Year-on-year deltas join last year's row (own value, set total; a Liknande version's
-- peers last year) instead of a window over the output. National figures come from the Riket set,
-- colour bands from the kommuner's quartiles that year (a network's own measure: its network's).
-- A network's own measures (core.network_measure, yearly) are compared within that network only, for
-- the members it lists; their national columns are NULL and their source_note starts with
-- warehouse.network_comparison.NETWORK_SOURCE (a test checks).
--
-- Keys: the work is done on integers, the strings come back in the last step. A set is numbered sx, a
-- KPI kx (both in their id's order, within this build only), a kommun by its four-digit code (mid), and a
-- value vid = pk * 10000 + mid with pk = (kx * 10000 + year) * 3 + gender (K 0, M 1, T 2): pk is the
-- KPI, year and gender a comparison is made within, pk - 3 (vid - 30000) the same a year earlier. Joins,
-- the one window and the sort run on these numbers (a third less CPU than on the string keys, output
-- identical: bench/README.md, issue #15).
--
-- Row order: each KPI chunk's rows are sorted by kommun (then KPI, year, gender, set) while still narrow,
-- then labelled by list lookups (dims) that keep that order, so one kommun's rows sit in a few row
-- groups per chunk and its query skips the rest; there is no global order (sort by the key when reading).
WITH
kommun AS (
    -- a kommun's id is four digits (schemas.ids), so its number keys the rows below
    SELECT municipality_id, municipality_id::SMALLINT AS mid, title FROM core.municipality
    WHERE valid_to IS NULL AND NOT is_deleted AND kind = 'kommun'
),
kpi_code AS (
    -- one number per KPI (and network measure) of this build, in kpi_id order; the rows are keyed,
    -- joined, ranked and sorted on integers and get their strings back in the last SELECT
    SELECT kpi_id, row_number() OVER (ORDER BY kpi_id) AS kx FROM (SELECT DISTINCT kpi_id FROM mart_kpis)
),
kpi_ref AS (
    SELECT k.kpi_id, c.kx, coalesce(d.direction, 'neutral') AS direction, a.peer_area
    FROM (
        SELECT DISTINCT kpi_id FROM mart.kpi_value
        WHERE municipality_kind = 'kommun' AND kpi_id IN (SELECT kpi_id FROM mart_kpis)
    ) AS k
    JOIN kpi_code AS c ON c.kpi_id = k.kpi_id
    LEFT JOIN core.ref_kpi_direction AS d ON d.kpi_id = k.kpi_id
    LEFT JOIN core.ref_kpi_peer_area AS a ON a.kpi_id = k.kpi_id
),
set_info AS (
    -- sx numbers the sets in peer_set_id order
    SELECT *, row_number() OVER (ORDER BY set_key) AS sx FROM (
        SELECT DISTINCT peer_set_id AS set_key, peer_set_kind AS kind, peer_set_title AS title,
               peer_set_vintage AS vintage, peer_area AS area, n_peers
        FROM mart.peer_set_member
    )
),
riket_set AS (
    SELECT sx FROM set_info WHERE set_key = 'riket'
),
liknande AS (
    -- one row per Liknande version: its anchor kommun, area, vintage and until when it was current
    SELECT i.sx, p.group_id, p.peer_area AS area, p.peer_set_vintage AS vintage_year,
           p.municipality_id::SMALLINT AS anchor_mid,
           coalesce(p.replaced_at, 'infinity'::TIMESTAMPTZ) AS version_end
    FROM mart.peer_set_member AS p JOIN set_info AS i ON i.set_key = p.peer_set_id
    WHERE p.peer_set_kind = 'liknande' AND p.is_anchor
),
liknande_member AS (
    SELECT i.sx, p.municipality_id::SMALLINT AS member_mid
    FROM mart.peer_set_member AS p JOIN set_info AS i ON i.set_key = p.peer_set_id
    WHERE p.peer_set_kind = 'liknande' AND NOT p.is_anchor
),
shared_member AS (
    SELECT i.sx, p.municipality_id::SMALLINT AS member_mid
    FROM mart.peer_set_member AS p JOIN set_info AS i ON i.set_key = p.peer_set_id
    WHERE p.peer_set_kind <> 'liknande' AND p.peer_set_id <> 'riket'
),
val AS (
    -- a kommun's value numbered vid = pk * 10000 + kommun, pk = (kx * 10000 + year) * 3 + gender (K 0,
    -- M 1, T 2, their sort order): pk is the KPI, year and gender every comparison is made within, and
    -- pk - 3 the same a year earlier
    SELECT pk * 10000 + mid AS vid, *
    FROM (
        SELECT (r.kx * 10000 + v.year) * 3 + CASE v.gender WHEN 'K' THEN 0 WHEN 'M' THEN 1 ELSE 2 END AS pk,
               v.municipality_id::SMALLINT AS mid, r.kx, v.year, v.value, v.is_preliminary,
               r.direction = 'lower' AS lower, r.peer_area
        FROM mart.kpi_value AS v JOIN kpi_ref AS r ON r.kpi_id = v.kpi_id
        WHERE v.municipality_kind = 'kommun'
    )
),
labels AS (
    SELECT c.kx, any_value(v.kpi_title) AS kpi_title FROM mart.kpi_value AS v
    JOIN kpi_code AS c ON c.kpi_id = v.kpi_id
    GROUP BY c.kx
),
newest AS (
    -- the KPI's newest year with a kommun value: a value far older than it is flagged when shown
    SELECT kx, max(year) FILTER (WHERE value IS NOT NULL) AS kpi_newest_year FROM val GROUP BY kx
),
national AS (
    SELECT pk, count(value) AS n_national, median(value) AS kommun_median,
           quantile_cont(value, 0.25) AS p25, quantile_cont(value, 0.75) AS p75
    FROM val GROUP BY pk
),
riket AS (
    SELECT (c.kx * 10000 + v.year) * 3 + CASE v.gender WHEN 'K' THEN 0 WHEN 'M' THEN 1 ELSE 2 END AS pk,
           v.value
    FROM mart.kpi_value AS v JOIN kpi_code AS c ON c.kpi_id = v.kpi_id
    WHERE v.municipality_id = '0000'
),
set_rows AS (
    -- Riket is every kommun: its rows are `val` itself, the other shared sets join their members
    SELECT r.sx, v.pk, v.vid, v.value, v.lower FROM val AS v, riket_set AS r
    UNION ALL
    SELECT m.sx, v.pk, v.vid, v.value, v.lower
    FROM shared_member AS m JOIN val AS v ON v.mid = m.member_mid
),
set_total AS (
    -- summed in value order, so peer_mean is bit-identical from one rebuild to the next. The median
    -- of the peers (the set without one member) only ever needs the sorted values at positions A, A+1
    -- and A+2, A = n // 2, so those three are kept instead of a per-row window median
    SELECT sx, pk, n_values, total,
           sorted[n_values // 2] AS v_a, sorted[n_values // 2 + 1] AS v_b, sorted[n_values // 2 + 2] AS v_c
    FROM (
        SELECT sx, pk, coalesce(len(sorted), 0) AS n_values, list_sum(sorted) AS total, sorted FROM (
            SELECT sx, pk, list(value ORDER BY value) FILTER (WHERE value IS NOT NULL) AS sorted
            FROM set_rows GROUP BY sx, pk
        )
    )
),
set_ranked AS MATERIALIZED (
    -- one ascending sort per set, KPI, year and gender ranks both ways: rank() is 1 + the values
    -- below, the running count the values at or below, so "higher is better" ranks are 1 + n - that
    -- count; ties share the best rank and NULL values get none. The Riket rows give the national rank
    SELECT s.sx, s.pk, s.vid, s.value, t.n_values, t.total, t.v_a, t.v_b, t.v_c,
           CASE WHEN s.value IS NULL THEN NULL WHEN s.lower THEN rank() OVER ascending
                ELSE 1 + t.n_values - count(s.value) OVER ascending END AS rank_in_set,
           CASE WHEN s.value IS NOT NULL THEN row_number() OVER ascending END AS pos
    FROM set_rows AS s
    JOIN set_total AS t ON t.sx = s.sx AND t.pk = s.pk
    WINDOW ascending AS (PARTITION BY s.sx, s.pk ORDER BY s.value ASC NULLS LAST)
),
own AS (
    -- what a kommun's row carries into every set: its value a year earlier (the year-on-year deltas)
    -- and its national rank (its rank in the Riket set)
    SELECT v.vid, v.value, v.is_preliminary, p.value AS prev_value, p.vid IS NOT NULL AS has_prev,
           v.value - p.value AS delta_prev_year, n.rank_in_set AS national_rank
    FROM val AS v
    LEFT JOIN val AS p ON p.vid = v.vid - 30000
    LEFT JOIN (FROM set_ranked AS s SEMI JOIN riket_set AS r ON r.sx = s.sx) AS n ON n.vid = v.vid
),
shared_positions AS (
    -- the own value's 1-based position among the set's non-null values in ascending order is pos;
    -- the peers' j-th smallest value is the set's j-th, or its (j+1)-th from the own position on;
    -- lo/hi are the middle positions among the m peers (equal when m is odd)
    SELECT *, (m + 1) // 2 + ((pos IS NOT NULL) AND (m + 1) // 2 >= pos)::BIGINT - a AS lo_off,
           m // 2 + 1 + ((pos IS NOT NULL) AND m // 2 + 1 >= pos)::BIGINT - a AS hi_off
    FROM (
        SELECT *, n_values // 2 AS a, n_values - (value IS NOT NULL)::BIGINT AS m FROM set_ranked
    )
),
shared_stats AS (
    -- the peers are the other rows of the set, KPI, year and gender: the total without the own value;
    -- the median interpolates like DuckDB's median (quantile_cont 0.5). Last year's peer mean is the
    -- same formula over last year's set total and own value.
    SELECT s.sx, s.vid, o.value, o.is_preliminary, o.national_rank, o.delta_prev_year,
           s.m AS n_peers_with_value,
           (s.total - coalesce(s.value, 0)) / nullif(s.m, 0) AS peer_mean,
           CASE WHEN s.m > 0 THEN s.lo_v + (s.hi_v - s.lo_v) * 0.5 END AS peer_median,
           s.rank_in_set AS rank_in_peers,
           s.n_values AS n_ranked,
           CASE WHEN o.has_prev THEN (s.total - coalesce(s.value, 0)) / nullif(s.m, 0)
               - (p.total - coalesce(o.prev_value, 0))
                 / nullif(p.n_values - (o.prev_value IS NOT NULL)::BIGINT, 0) END AS peer_mean_delta_prev_year
    FROM (
        SELECT *,
               CASE lo_off WHEN 0 THEN v_a WHEN 1 THEN v_b ELSE v_c END AS lo_v,
               CASE hi_off WHEN 0 THEN v_a WHEN 1 THEN v_b ELSE v_c END AS hi_v
        FROM shared_positions
    ) AS s
    JOIN own AS o ON o.vid = s.vid
    LEFT JOIN set_total AS p ON o.has_prev AND p.sx = s.sx AND p.pk = s.pk - 3
),
liknande_year AS (
    -- the version a kommun's values of an area and year are compared within: that year's version, else
    -- the newest earlier one, else the oldest later one (peer_set_vintage then differs from the year)
    SELECT y.mid, y.peer_area, y.year, l.sx
    FROM (SELECT DISTINCT mid, peer_area, year FROM val) AS y
    JOIN liknande AS l ON l.anchor_mid = y.mid AND l.area = y.peer_area
    QUALIFY row_number() OVER (
        PARTITION BY y.mid, y.peer_area, y.year
        ORDER BY l.vintage_year <= y.year DESC NULLS LAST, abs(l.vintage_year - y.year) NULLS LAST,
                 l.version_end DESC, l.group_id
    ) = 1
),
liknande_use AS (
    -- each chosen version also over the year before, for peer_mean_delta_prev_year: last year's peer
    -- mean among the same peers (is_own marks the rows the mart keeps)
    SELECT mid, peer_area, year, sx, bool_or(is_own) AS is_own FROM (
        SELECT *, TRUE AS is_own FROM liknande_year
        UNION ALL
        SELECT mid, peer_area, year - 1, sx, FALSE FROM liknande_year
    ) GROUP BY ALL
),
nm_rows AS (
    -- a network's yearly measure rows of the kommuner the network lists (its peer set's members)
    SELECT i.sx, c.kx, m.measure_title, (c.kx * 10000 + m.year) * 3 + 2 AS pk,
           m.municipality_id::SMALLINT AS mid, m.year, m.value,
           coalesce(m.direction, 'neutral') AS direction
    FROM core.network_measure AS m
    JOIN mart.peer_set_member AS s ON s.peer_set_id = 'network:' || m.network
                                  AND s.municipality_id = m.municipality_id
    JOIN set_info AS i ON i.set_key = s.peer_set_id
    JOIN kpi_code AS c ON c.kpi_id = m.measure_id
    WHERE m.valid_to IS NULL AND NOT m.is_deleted AND m.month IS NULL
),
listed_pair AS (
    -- the sets compared pair by pair: a kommun's row against each peer's row of the same KPI, year and
    -- gender. A Liknande version lists one kommun's peers (of the group's area); a network's own
    -- measure is compared among the network's other members (gender T)
    SELECT u.sx, a.vid, a.value, a.lower, u.is_own, FALSE AS is_network, p.value AS peer_value
    FROM val AS a
    JOIN liknande_use AS u ON u.mid = a.mid AND u.peer_area = a.peer_area AND u.year = a.year
    LEFT JOIN liknande_member AS m ON m.sx = u.sx
    LEFT JOIN val AS p ON p.vid = a.pk * 10000 + m.member_mid
    UNION ALL
    SELECT a.sx, a.pk * 10000 + a.mid, a.value, a.direction = 'lower', TRUE, TRUE, p.value
    FROM nm_rows AS a
    LEFT JOIN nm_rows AS p ON p.sx = a.sx AND p.pk = a.pk AND p.mid <> a.mid
),
listed_agg AS (
    -- the peer statistics of the pairwise sets; averaged in value order (the sorted list, not an
    -- ordered avg(), which sorted each group again): bit-identical from one rebuild to the next.
    -- Rank: 1 + the peers better than the kommun (ties share the best rank)
    SELECT * EXCLUDE (peers), list_avg(peers) AS peer_mean, list_median(peers) AS peer_median FROM (
        SELECT sx, vid, any_value(is_own) AS is_own, any_value(is_network) AS is_network,
               count(peer_value) AS n_peers_with_value,
               list(peer_value ORDER BY peer_value) FILTER (WHERE peer_value IS NOT NULL) AS peers,
               CASE WHEN any_value(value) IS NOT NULL THEN 1 + count(*) FILTER (
                   WHERE lower AND peer_value < value OR NOT lower AND peer_value > value
               ) END AS rank_in_peers,
               count(peer_value) + (any_value(value) IS NOT NULL)::BIGINT AS n_ranked
        FROM listed_pair GROUP BY sx, vid
    )
),
listed_stats AS (
    -- Δ peer mean: the same set's peers a year earlier (a Liknande version's peers in the year before)
    SELECT c.* EXCLUDE (is_own), c.peer_mean - p.peer_mean AS peer_mean_delta_prev_year
    FROM listed_agg AS c
    LEFT JOIN listed_agg AS p ON p.sx = c.sx AND p.vid = c.vid - 30000
    WHERE c.is_own
),
nm_quartiles AS (
    SELECT sx, pk, quantile_cont(value, 0.25) AS p25, quantile_cont(value, 0.75) AS p75,
           any_value(measure_title) AS measure_title
    FROM nm_rows GROUP BY ALL
),
nm_newest AS (
    SELECT sx, kx, max(year) FILTER (WHERE value IS NOT NULL) AS kpi_newest_year
    FROM nm_rows GROUP BY ALL
),
nm_value AS (
    SELECT a.sx, a.pk * 10000 + a.mid AS vid, a.value, a.direction, a.value - p.value AS delta_prev_year
    FROM nm_rows AS a
    LEFT JOIN nm_rows AS p ON p.sx = a.sx AND p.pk = a.pk - 3 AND p.mid = a.mid
),
kolada_rows AS (
    SELECT s.*, FALSE AS is_network, NULL::VARCHAR AS nm_direction
    FROM shared_stats AS s
    UNION ALL BY NAME
    SELECT c.* EXCLUDE (is_network), o.value, o.is_preliminary, o.national_rank, o.delta_prev_year,
           FALSE AS is_network, NULL::VARCHAR AS nm_direction
    FROM listed_stats AS c JOIN own AS o ON o.vid = c.vid
    WHERE NOT c.is_network
),
network_rows AS (
    SELECT c.* EXCLUDE (is_network), a.value, FALSE AS is_preliminary, NULL::BIGINT AS national_rank,
           a.delta_prev_year, TRUE AS is_network, a.direction AS nm_direction
    FROM listed_stats AS c JOIN nm_value AS a ON a.sx = c.sx AND a.vid = c.vid
    WHERE c.is_network
),
clustered AS (
    -- every row, narrow, sorted by kommun, then KPI, year, gender (vid's digits) and set before the
    -- labels are joined: the labels have small build sides and keep this order, so a chunk's rows land
    -- in row groups by kommun and one kommun's query reads a few of them
    SELECT *, vid // 10000 AS pk, vid // 300000000 AS kx, vid % 10000 AS mid
    FROM (FROM kolada_rows UNION ALL BY NAME FROM network_rows)
    ORDER BY vid % 10000, vid // 10000, sx
),
dims AS (
    -- the sets, KPIs and kommuner as lists indexed by their numbers, so labelling a row is a lookup that
    -- keeps the rows in their sorted order (a hash join may build on the big side and scatter them)
    SELECT (SELECT list({'kind': kind, 'set_key': set_key, 'title': title, 'vintage': vintage, 'area': area,
                         'n_peers': n_peers} ORDER BY sx) FROM set_info) AS sets,
           (SELECT list({'kpi_id': c.kpi_id, 'direction': r.direction} ORDER BY c.kx)
            FROM kpi_code AS c LEFT JOIN kpi_ref AS r ON r.kx = c.kx) AS kpis,
           (SELECT list({'municipality_id': k.municipality_id, 'title': k.title} ORDER BY r.i)
            FROM range(0, 10000) AS r(i) LEFT JOIN kommun AS k ON k.mid = r.i) AS kommuner
),
labelled AS (
    SELECT s.*, d.sets[s.sx] AS i, d.kpis[s.kx] AS c, d.kommuner[s.mid + 1] AS k,
           CASE WHEN s.is_network THEN q.measure_title ELSE t.kpi_title END AS kpi_title,
           CASE WHEN s.is_network THEN q.p25 ELSE n.p25 END AS p25,
           CASE WHEN s.is_network THEN q.p75 ELSE n.p75 END AS p75,
           CASE WHEN s.is_network THEN ny.kpi_newest_year ELSE y.kpi_newest_year END AS kpi_newest_year,
           r.value AS national_value, n.kommun_median, n.n_national
    FROM clustered AS s
    CROSS JOIN dims AS d
    -- the national figures are Kolada's: none for a network's own measures
    LEFT JOIN national AS n ON NOT s.is_network AND n.pk = s.pk
    LEFT JOIN labels AS t ON NOT s.is_network AND t.kx = s.kx
    LEFT JOIN riket AS r ON NOT s.is_network AND r.pk = s.pk
    LEFT JOIN newest AS y ON NOT s.is_network AND y.kx = s.kx
    LEFT JOIN nm_quartiles AS q ON s.is_network AND q.sx = s.sx AND q.pk = s.pk
    LEFT JOIN nm_newest AS ny ON s.is_network AND ny.sx = s.sx AND ny.kx = s.kx
),
directed AS (
    SELECT *, CASE WHEN is_network THEN nm_direction ELSE c.direction END AS direction FROM labelled
)
SELECT k.municipality_id, k.title AS municipality_title, c.kpi_id, kpi_title, (pk // 3 % 10000)::INTEGER AS year,
       CASE pk % 3 WHEN 0 THEN 'K' WHEN 1 THEN 'M' ELSE 'T' END AS gender,
       value, i.kind AS peer_set_kind, i.set_key AS peer_set_id, i.title AS peer_set_title,
       i.vintage::INTEGER AS peer_set_vintage, i.area AS peer_area, i.n_peers::BIGINT AS n_peers,
       n_peers_with_value::BIGINT AS n_peers_with_value, peer_mean::DOUBLE AS peer_mean,
       peer_median::DOUBLE AS peer_median, rank_in_peers::BIGINT AS rank_in_peers,
       n_ranked::BIGINT AS n_ranked, national_value,
       kommun_median::DOUBLE AS national_kommun_median, national_rank::BIGINT AS national_rank,
       n_national::BIGINT AS n_national,
       -- percentiles: 100 x (n - rank) / (n - 1), the share of the others ranked that are not better
       CASE WHEN national_rank IS NOT NULL AND n_national > 1
            THEN 100.0 * (n_national - national_rank) / (n_national - 1) END::DOUBLE
           AS national_percentile,
       direction,
       -- green in the best quarter, red in the worst, yellow between (a Kolada row against the
       -- kommuner's quartiles that year, a network row its network's); grey without a value
       CASE WHEN value IS NULL THEN 'grey'
            WHEN direction = 'neutral' THEN 'neutral'
            WHEN direction = 'higher' AND value > p75 OR direction = 'lower' AND value < p25 THEN 'green'
            WHEN direction = 'higher' AND value < p25 OR direction = 'lower' AND value > p75 THEN 'red'
            ELSE 'yellow' END AS colour_band,
       delta_prev_year::DOUBLE AS delta_prev_year,
       peer_mean_delta_prev_year::DOUBLE AS peer_mean_delta_prev_year,
       CASE WHEN is_network THEN FALSE ELSE is_preliminary END AS is_preliminary,
       CASE WHEN is_network
            THEN 'Källa: nätverkets egen fil (core.network_measure): value. Egen bearbetning (not Kolada): '
                 || 'peer statistics, ranks, colour_band, deltas.'
            ELSE 'Källa: Kolada: value, national_value. Egen bearbetning (not Kolada): peer and national '
                 || 'statistics, ranks, percentile, colour_band, deltas.' END AS source_note,
       CASE WHEN rank_in_peers IS NOT NULL AND n_ranked > 1
            THEN 100.0 * (n_ranked - rank_in_peers) / (n_ranked - 1) END::DOUBLE
           AS percentile_in_peers,
       kpi_newest_year::INTEGER AS kpi_newest_year
FROM directed
