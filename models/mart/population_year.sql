-- mart.population_year: year-end total population per unit, for per-capita figures. Källa: SCB.
-- depends_on: core.population, core.municipality
WITH
candidates AS (
    -- yearly tables first, then December of monthly tables; SCB's PxWeb tables (TAB...) before exports
    SELECT p.municipality_id, p.year, p.population, p.period, p.source_table,
           row_number() OVER (
               PARTITION BY p.municipality_id, p.year
               ORDER BY p.month IS NOT NULL, p.source_table NOT LIKE 'TAB%', p.source_table
           ) AS pick
    FROM core.population AS p
    WHERE p.valid_to IS NULL AND NOT p.is_deleted AND p.status = 'ok'
      AND p.sex = 'T' AND p.age = 'tot' AND (p.month IS NULL OR p.month = 12)
),
unit AS (
    SELECT municipality_id, title FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted
)
SELECT c.municipality_id, m.title AS municipality_title, c.year, c.population, c.period,
       c.source_table, 'Källa: SCB' AS source_note
FROM candidates AS c
LEFT JOIN unit AS m ON m.municipality_id = c.municipality_id
WHERE c.pick = 1
ORDER BY c.municipality_id, c.year
