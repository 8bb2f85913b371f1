-- mart.area_summary: Öppna jämförelser factors answered and positive per kommun, area and year (gender T).
-- depends_on: core.ref_oj_factor, core.ref_oj_answer, mart.kpi_value
WITH
factor AS (SELECT * FROM core.ref_oj_factor WHERE coding_status = 'parsed'),
answer AS (
    -- each answer against its year's coding: a value that is no code of that coding is not counted
    SELECT f.kpi_group_id, f.oj_area, v.kpi_id, v.municipality_id, v.municipality_title, v.year, v.value,
           c.is_positive
    FROM factor AS f
    JOIN mart.kpi_value AS v ON v.kpi_id = f.kpi_id
     AND v.year BETWEEN coalesce(f.year_from, 0) AND coalesce(f.year_to, 9999)
    LEFT JOIN core.ref_oj_answer AS c ON c.kpi_id = f.kpi_id AND c.year_from IS NOT DISTINCT FROM f.year_from
     AND c.code = v.value
    WHERE v.municipality_kind = 'kommun' AND v.gender = 'T'
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
