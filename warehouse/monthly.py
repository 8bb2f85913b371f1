"""mart.monthly_comparison: each kommun's monthly figures against its peer sets, month by month.

Two feeds. Monthly register rows (core.register_value with a month, e.g. Socialstyrelsen's ekonomiskt
bistånd per month) cover the whole country, so each kommun is compared within its län (the first two
digits of its code), Riket (all kommuner) and every network of core.ref_network_member listing it.
A network's own monthly measures (core.network_measure with a month) belong to that network: its
source is 'network:<id>' and they are compared within that network only, for members it lists.

Within a partition (source, measure, breakdown, month, peer set) the values are aggregated once, in
value order (sum and sorted list), so a rebuild of the same data is bit-identical; a kommun's peers are
the partition without its own row: the total minus its value for the mean, the sorted list without one
copy of its value for the median. Ranks count the values better than the kommun's (ties share the best
rank, NULL values are not ranked); register measures have no direction and are ranked in value order,
labelled so. The change from the same month a year earlier joins the row of year - 1.
"""

from __future__ import annotations

import duckdb

from warehouse import marts
from warehouse.comparison_query import BEST_RANK, NEUTRAL_RANK
from warehouse.network_comparison import NETWORK_SOURCE


def _current(alias: str) -> str:
    """The current, non-deleted versions of the SCD2 table `alias`."""
    return f"{alias}.valid_to IS NULL AND NOT {alias}.is_deleted"


REGISTER_NOTE = (
    "Källa: {source}: value, set_published_value. Egen bearbetning (not {source}): peer mean, "
    "median, rank, changes from a year earlier."
)
NETWORK_NOTE = (
    NETWORK_SOURCE + " (core.network_measure): value. Egen bearbetning: peer mean, median, rank, changes."
)
# a kommun code: four digits, not a län (00LL) or Riket (0000)
KOMMUN_ID = "regexp_full_match(municipality_id, '[0-9]{4}') AND NOT starts_with(municipality_id, '00')"
# the source's display name in the attribution
SOURCE_NAMES = (
    "CASE r.source WHEN 'socialstyrelsen' THEN 'Socialstyrelsen' WHEN 'scb' THEN 'SCB' ELSE r.source END"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@marts.register("mart.monthly_comparison")
def monthly_comparison(con: duckdb.DuckDBPyConnection) -> str:
    """The mart's SELECT (set-based; sizes are months x kommuner x a few sets)."""
    register_note = _literal(REGISTER_NOTE).replace("{source}", "' || src_name || '")
    return f"""
WITH
unit AS (SELECT u.municipality_id, u.title FROM core.municipality AS u WHERE {_current("u")}),
register AS (
    SELECT r.source, r.measure AS measure_id, r.measure AS measure_title, r.breakdown, r.municipality_id,
           r.period, r.year, r.month, r.value, r.status, 'neutral' AS direction,
           {SOURCE_NAMES} AS src_name
    FROM core.register_value AS r
    WHERE {_current("r")} AND r.month IS NOT NULL AND {KOMMUN_ID}
),
network_row AS (
    SELECT 'network:' || m.network AS source, m.measure_id, m.measure_title, '' AS breakdown,
           m.municipality_id, m.period, m.year, m.month, m.value, m.status,
           m.direction, m.network
    FROM core.network_measure AS m
    JOIN core.ref_network_member AS n ON n.network_id = m.network AND n.member_id = m.municipality_id
    WHERE {_current("m")} AND m.month IS NOT NULL
),
network_measure AS (
    -- one direction and title per network measure: the newest period's (a file may leave riktning empty)
    SELECT source, measure_id, coalesce(arg_max(direction, period) FILTER (WHERE direction IS NOT NULL),
                                        'neutral') AS direction,
           arg_max(measure_title, period) AS measure_title
    FROM network_row GROUP BY ALL
),
set_row AS (
    SELECT r.* EXCLUDE (src_name), 'lan' AS peer_set_kind,
           'lan:' || left(r.municipality_id, 2) AS peer_set_id, {register_note} AS source_note
    FROM register AS r
    UNION ALL
    SELECT r.* EXCLUDE (src_name), 'riket', 'riket', {register_note} FROM register AS r
    UNION ALL
    SELECT r.* EXCLUDE (src_name), 'network', 'network:' || n.network_id, {register_note}
    FROM register AS r JOIN core.ref_network_member AS n ON n.member_id = r.municipality_id
    UNION ALL
    SELECT r.source, r.measure_id, d.measure_title, r.breakdown, r.municipality_id, r.period, r.year,
           r.month, r.value, r.status, d.direction, 'network', 'network:' || r.network,
           {_literal(NETWORK_NOTE)}
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
       CASE WHEN s.direction = 'neutral' THEN {_literal(NEUTRAL_RANK)} ELSE {_literal(BEST_RANK)} END
           AS rank_order,
       u.value::DOUBLE AS set_published_value,
       p.value::DOUBLE AS value_prev_year, (s.value - p.value)::DOUBLE AS delta_prev_year,
       (s.peer_mean - p.peer_mean)::DOUBLE AS peer_mean_delta_prev_year, s.source_note
FROM stats AS s
JOIN set_title AS t ON t.peer_set_id = s.peer_set_id
LEFT JOIN unit AS k ON k.municipality_id = s.municipality_id
LEFT JOIN core.register_value AS u
       ON {_current("u")} AND u.municipality_id = t.unit_id AND u.source = s.source
      AND u.measure = s.measure_id AND u.breakdown = s.breakdown AND u.period = s.period
LEFT JOIN stats AS p
       ON p.source = s.source AND p.measure_id = s.measure_id AND p.breakdown = s.breakdown
      AND p.municipality_id = s.municipality_id AND p.peer_set_id = s.peer_set_id
      AND p.year = s.year - 1 AND p.month = s.month
ORDER BY s.source, s.measure_id, s.breakdown, s.municipality_id, s.period, s.peer_set_id
"""
