"""A comparison network's own measures (core.network_measure) in mart.municipality_comparison.

Networks measure what no national source publishes (brukartid, own waiting times, own surveys) and load
it with `jamfor load files` (docs/network_template.md). A measure belongs to the network that delivered
it (core.network_measure.network, part of its key), so each yearly measure of a kommun is compared only
within that network, and only when core.ref_network lists the kommun: one row per kommun, measure, year
and network, with kpi_id = the measure id, gender T and peer_set_kind 'network'. Two networks may use
the same measure id for the same kommun; each network sees its own values. Peers, ranks, medians and
deltas follow the mart's rules (ties share the best rank, NULL values are not ranked, sums in value
order); colour bands use the network's own quartiles that year, since no national figure exists. The
national columns are NULL. Monthly periods go to mart.monthly_comparison (warehouse.monthly).
"""

from __future__ import annotations

NETWORK_SOURCE = "Källa: nätverkets egen fil"
NETWORK_SOURCE_NOTE = (
    NETWORK_SOURCE + " (core.network_measure): value. Egen bearbetning (not Kolada): peer "
    "statistics, ranks, colour_band, deltas."
)
# source_note of a network row, quotes doubled for a SQL literal
NETWORK_NOTE_SQL = NETWORK_SOURCE_NOTE.replace("'", "''")


def colour_band_sql(p25: str, p75: str) -> str:
    """SQL CASE of colour_band for row `s` (value, direction) against the quartiles `p25` and `p75`:
    green in the best quarter, red in the worst, yellow between; grey without a value; neutral KPIs
    (no better direction) are 'neutral'. Shared by the Kolada and the network rows of the mart."""
    return f"""CASE WHEN s.value IS NULL THEN 'grey'
            WHEN s.direction = 'neutral' THEN 'neutral'
            WHEN s.direction = 'higher' AND s.value > {p75} OR s.direction = 'lower' AND s.value < {p25}
                THEN 'green'
            WHEN s.direction = 'higher' AND s.value < {p25} OR s.direction = 'lower' AND s.value > {p75}
                THEN 'red'
            ELSE 'yellow' END"""


def percentile_sql(rank: str, n_ranked: str) -> str:
    """SQL: 100 × (n − rank) / (n − 1), the share of the other ranked kommuner that are not better
    (100 = best; neutral KPIs: the highest value); NULL without a rank or with fewer than two ranked."""
    return f"""CASE WHEN {rank} IS NOT NULL AND {n_ranked} > 1
            THEN 100.0 * ({n_ranked} - {rank}) / ({n_ranked} - 1) END::DOUBLE"""


def network_ctes(kpis: str) -> str:
    """CTEs nm_rows (measure rows per network set) and nm_stats (per kommun, measure, year, set, with
    the measure's newest year in the network), for the measure ids matching the SQL predicate `kpis` (on
    kpi_id); they use the mart's `kommun` CTE."""
    return f"""
nm_rows AS (
    SELECT 'network:' || n.network_id AS set_key, m.measure_id AS kpi_id, m.measure_title,
           m.municipality_id, m.year, m.value, coalesce(m.direction, 'neutral') AS direction
    FROM (SELECT *, measure_id AS kpi_id FROM core.network_measure) AS m
    JOIN kommun AS k ON k.municipality_id = m.municipality_id
    JOIN core.ref_network AS n ON n.network_id = m.network
    JOIN core.ref_network_member AS r ON r.network_id = n.network_id AND r.member_id = m.municipality_id
    WHERE m.valid_to IS NULL AND NOT m.is_deleted AND m.month IS NULL AND {kpis}
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
nm_agg AS (
    SELECT a.set_key, a.municipality_id, a.kpi_id, a.year, any_value(a.value) AS value,
           any_value(a.direction) AS direction,
           count(p.value) AS n_peers_with_value, avg(p.value ORDER BY p.value) AS peer_mean,
           median(p.value) AS peer_median,
           CASE WHEN any_value(a.value) IS NOT NULL THEN 1 + count(*) FILTER (
               WHERE a.direction = 'lower' AND p.value < a.value
                  OR a.direction <> 'lower' AND p.value > a.value
           ) END AS rank_in_peers,
           count(p.value) + (any_value(a.value) IS NOT NULL)::BIGINT AS n_ranked
    FROM nm_rows AS a
    LEFT JOIN nm_rows AS p ON p.set_key = a.set_key AND p.kpi_id = a.kpi_id AND p.year = a.year
                          AND p.municipality_id <> a.municipality_id
    GROUP BY a.set_key, a.municipality_id, a.kpi_id, a.year
),
nm_stats AS (
    SELECT c.*, c.value - p.value AS delta_prev_year, c.peer_mean - p.peer_mean AS peer_mean_delta_prev_year,
           q.p25, q.p75, q.measure_title, y.kpi_newest_year
    FROM nm_agg AS c
    JOIN nm_quartiles AS q ON q.set_key = c.set_key AND q.kpi_id = c.kpi_id AND q.year = c.year
    JOIN nm_newest AS y ON y.set_key = c.set_key AND y.kpi_id = c.kpi_id
    LEFT JOIN nm_agg AS p ON p.set_key = c.set_key AND p.municipality_id = c.municipality_id
                         AND p.kpi_id = c.kpi_id AND p.year = c.year - 1
)"""
