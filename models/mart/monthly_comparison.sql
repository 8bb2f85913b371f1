-- mart.monthly_comparison: each kommun's monthly figures against its län, Riket and networks.
-- depends_on: core.municipality, core.register_value, core.network_measure, core.ref_network, core.ref_network_member
--
-- Two feeds. Monthly register rows (core.register_value with a month) cover the whole country, so each
-- kommun is compared within its län (the first two digits of its code), Riket (all kommuner) and every
-- network of core.ref_network_member listing it. A network's own monthly measures (core.network_measure
-- with a month) are compared within that network only, for members it lists. Within a partition (source,
-- measure, breakdown, month, peer set) the values are aggregated once, in value order, so a rebuild is
-- bit-identical; a kommun's peers are the partition without its own row. Ranks count the better values
-- (ties share the best rank, NULL values are not ranked); register measures are neutral (value order).
-- The source_note of a network row starts with warehouse.network_comparison.NETWORK_SOURCE (a test checks).
WITH
unit AS (
    SELECT u.municipality_id, u.title FROM core.municipality AS u
    WHERE u.valid_to IS NULL AND NOT u.is_deleted
),
register AS (
    SELECT r.source, r.measure AS measure_id, r.measure AS measure_title, r.breakdown, r.municipality_id,
           r.period, r.year, r.month, r.value, r.status, 'neutral' AS direction,
           -- the attribution names the source
           CASE r.source WHEN 'socialstyrelsen' THEN 'Socialstyrelsen' WHEN 'scb' THEN 'SCB' ELSE r.source END
               AS src_name
    FROM core.register_value AS r
    -- a kommun code: four digits, not a län (00LL) or Riket (0000)
    WHERE r.valid_to IS NULL AND NOT r.is_deleted AND r.month IS NOT NULL
      AND regexp_full_match(municipality_id, '[0-9]{4}') AND NOT starts_with(municipality_id, '00')
),
register_row AS (
    SELECT * EXCLUDE (src_name),
           'Källa: ' || src_name || ': value, set_published_value. Egen bearbetning (not ' || src_name
               || '): peer mean, median, rank, changes from a year earlier.' AS source_note
    FROM register
),
network_row AS (
    SELECT 'network:' || m.network AS source, m.measure_id, m.measure_title, '' AS breakdown,
           m.municipality_id, m.period, m.year, m.month, m.value, m.status,
           m.direction, m.network
    FROM core.network_measure AS m
    JOIN core.ref_network_member AS n ON n.network_id = m.network AND n.member_id = m.municipality_id
    WHERE m.valid_to IS NULL AND NOT m.is_deleted AND m.month IS NOT NULL
),
network_measure AS (
    -- one direction and title per network measure: the newest period's (a file may leave riktning empty)
    SELECT source, measure_id, coalesce(arg_max(direction, period) FILTER (WHERE direction IS NOT NULL),
                                        'neutral') AS direction,
           arg_max(measure_title, period) AS measure_title
    FROM network_row GROUP BY ALL
),
set_row AS (
    SELECT r.* EXCLUDE (source_note), 'lan' AS peer_set_kind,
           'lan:' || left(r.municipality_id, 2) AS peer_set_id, r.source_note
    FROM register_row AS r
    UNION ALL
    SELECT r.* EXCLUDE (source_note), 'riket', 'riket', r.source_note FROM register_row AS r
    UNION ALL
    SELECT r.* EXCLUDE (source_note), 'network', 'network:' || n.network_id, r.source_note
    FROM register_row AS r JOIN core.ref_network_member AS n ON n.member_id = r.municipality_id
    UNION ALL
    SELECT r.source, r.measure_id, d.measure_title, r.breakdown, r.municipality_id, r.period, r.year,
           r.month, r.value, r.status, d.direction, 'network', 'network:' || r.network,
           'Källa: nätverkets egen fil (core.network_measure): value. Egen bearbetning: peer mean, median, '
               || 'rank, changes.'
    FROM network_row AS r JOIN network_measure AS d ON d.source = r.source AND d.measure_id = r.measure_id
),
set_total AS (
    SELECT source, measure_id, breakdown, period, peer_set_id, count(*) AS n_rows, count(value) AS n_values,
           sum(value ORDER BY value) AS total,
           coalesce(list(value ORDER BY value) FILTER (WHERE value IS NOT NULL), []) AS sorted
    FROM set_row GROUP BY ALL
),
peer AS (
    -- the peers' sorted values: the set's, without one copy of the kommun's own value (pos)
    SELECT *, n_values - (value IS NOT NULL)::BIGINT AS n_peers_with_value,
           CASE WHEN value IS NULL THEN sorted
                ELSE list_concat(sorted[:pos - 1], sorted[pos + 1:]) END AS peers
    FROM (
        SELECT s.*, t.n_rows - 1 AS n_peers, t.n_values, t.total, t.sorted,
               list_position(t.sorted, s.value) AS pos
        FROM set_row AS s
        JOIN set_total AS t USING (source, measure_id, breakdown, period, peer_set_id)
    )
),
stats AS (
    SELECT * EXCLUDE (sorted, peers, total, pos, n_values),
           (total - coalesce(value, 0)) / nullif(n_peers_with_value, 0) AS peer_mean,
           n_values AS n_ranked, list_median(peers) AS peer_median,
           CASE WHEN value IS NULL THEN NULL
                WHEN direction = 'lower' THEN 1 + len(list_filter(peers, lambda x: x < value))
                ELSE 1 + len(list_filter(peers, lambda x: x > value)) END AS rank_in_peers
    FROM peer
),
set_title AS (
    SELECT DISTINCT peer_set_id, peer_set_kind, CASE peer_set_kind
        WHEN 'riket' THEN 'Riket: alla kommuner'
        WHEN 'lan' THEN 'Kommuner i län ' || right(peer_set_id, 2) || coalesce(' (' || l.title || ')', '')
        ELSE coalesce(n.title, peer_set_id) END AS peer_set_title,
        CASE peer_set_kind WHEN 'riket' THEN '0000' WHEN 'lan' THEN '00' || right(peer_set_id, 2) END
            AS unit_id
    FROM stats
    LEFT JOIN unit AS l ON l.municipality_id = '00' || right(stats.peer_set_id, 2)
                       AND stats.peer_set_kind = 'lan'
    LEFT JOIN core.ref_network AS n ON 'network:' || n.network_id = stats.peer_set_id
)
SELECT s.source, s.measure_id, s.measure_title, s.breakdown, s.municipality_id,
       k.title AS municipality_title, s.period, s.year::INTEGER AS year, s.month::INTEGER AS month,
       s.value::DOUBLE AS value, s.status, s.direction, s.peer_set_kind, s.peer_set_id, t.peer_set_title,
       s.n_peers::BIGINT AS n_peers, s.n_peers_with_value::BIGINT AS n_peers_with_value,
       s.peer_mean::DOUBLE AS peer_mean, s.peer_median::DOUBLE AS peer_median,
       s.rank_in_peers::BIGINT AS rank_in_peers, s.n_ranked::BIGINT AS n_ranked,
       CASE WHEN s.direction = 'neutral' THEN '1 = högst värde' ELSE '1 = bäst' END
           AS rank_order,
       u.value::DOUBLE AS set_published_value,
       p.value::DOUBLE AS value_prev_year, (s.value - p.value)::DOUBLE AS delta_prev_year,
       (s.peer_mean - p.peer_mean)::DOUBLE AS peer_mean_delta_prev_year, s.source_note
FROM stats AS s
JOIN set_title AS t ON t.peer_set_id = s.peer_set_id
LEFT JOIN unit AS k ON k.municipality_id = s.municipality_id
LEFT JOIN core.register_value AS u
       ON u.valid_to IS NULL AND NOT u.is_deleted AND u.municipality_id = t.unit_id AND u.source = s.source
      AND u.measure = s.measure_id AND u.breakdown = s.breakdown AND u.period = s.period
LEFT JOIN stats AS p
       ON p.source = s.source AND p.measure_id = s.measure_id AND p.breakdown = s.breakdown
      AND p.municipality_id = s.municipality_id AND p.peer_set_id = s.peer_set_id
      AND p.year = s.year - 1 AND p.month = s.month
ORDER BY s.source, s.measure_id, s.breakdown, s.municipality_id, s.period, s.peer_set_id
