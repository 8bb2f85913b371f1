-- mart.kpi_value: current, non-deleted values with KPI and unit labels.
-- depends_on: core.kpi_value_history, core.kpi, core.municipality
-- by_kpi: true
--
-- Built KPI by KPI: only the KPIs of the temp table mart_kpis. To run it by hand in the duckdb CLI
-- against a published warehouse, first create it with every KPI:
--   CREATE TEMP TABLE mart_kpis AS SELECT DISTINCT kpi_id FROM core.kpi_value_history;
WITH
current_value AS (
    SELECT kpi_id, municipality_id, year, gender, value, status, is_preliminary, source, fetched_at
    FROM core.kpi_value_history
    WHERE valid_to IS NULL AND NOT is_deleted AND kpi_id IN (SELECT kpi_id FROM mart_kpis)
),
kpi AS (
    SELECT kpi_id, title, operating_area FROM core.kpi WHERE valid_to IS NULL AND NOT is_deleted
),
unit AS (
    SELECT municipality_id, title, kind FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted
)
-- LEFT JOINs keep values of ids the catalogues lack
SELECT h.kpi_id, k.title AS kpi_title, k.operating_area, h.municipality_id,
       m.title AS municipality_title, m.kind AS municipality_kind, h.year, h.gender, h.value,
       h.status, h.is_preliminary, h.source, h.fetched_at
FROM current_value AS h
LEFT JOIN kpi AS k ON k.kpi_id = h.kpi_id
LEFT JOIN unit AS m ON m.municipality_id = h.municipality_id
ORDER BY h.kpi_id, h.municipality_id, h.year, h.gender
