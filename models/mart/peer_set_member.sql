-- mart.peer_set_member: every peer set a kommun is compared within, and its member kommuner.
-- depends_on: core.municipality, core.municipality_group, core.municipality_group_member, core.ref_network, core.ref_network_member, core.ref_kpi_peer_area, mart.kpi_value
--
-- The one statement of peer-set membership: mart.municipality_comparison, `jamfor report`, the
-- per-capita figures and `jamfor peers` all read it. Shared sets (kommungrupp, län, Riket, networks) list
-- every member kommun, each compared against the others. A Liknande kommuner group belongs to one kommun
-- (its anchor row, is_anchor) and lists its similar kommuner; Kolada republishes a group under the same
-- id with a new title year (vintage) and new members, and core keeps every version, so each version is
-- its own set (peer_set_id = group id ':' vintage) with the members of the time it was current.
-- Liknande groups are kept for the areas of the KPIs with kommun values (core.ref_kpi_peer_area).
WITH
kommun AS (
    SELECT municipality_id, title, county_id, kommungrupp_id, kommungrupp_title
    FROM core.municipality WHERE valid_to IS NULL AND NOT is_deleted AND kind = 'kommun'
),
grp AS (SELECT * FROM core.municipality_group WHERE valid_to IS NULL AND NOT is_deleted),
grp_member AS (
    SELECT m.group_id, m.member_id FROM core.municipality_group_member AS m
    JOIN kommun AS k ON k.municipality_id = m.member_id WHERE m.valid_to IS NULL AND NOT m.is_deleted
),
peer_area AS (
    SELECT a.peer_area FROM core.ref_kpi_peer_area AS a
    WHERE a.kpi_id IN (SELECT kpi_id FROM mart.kpi_value WHERE municipality_kind = 'kommun')
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
    WHERE g.family = 'liknande' AND NOT g.is_deleted AND g.area IN (SELECT peer_area FROM peer_area)
    WINDOW version AS (PARTITION BY g.group_id, g.vintage_year)
    QUALIFY row_number() OVER (PARTITION BY g.group_id, g.vintage_year ORDER BY g.valid_from DESC) = 1
),
lan_title AS (
    -- a län set is titled after Kolada's län group of exactly that county's kommuner, when there is one
    SELECT county_id, min(title) AS title FROM (
        SELECT g.group_id, any_value(regexp_replace(g.title, '\s*\(ovägt medel\)\s*$', '')) AS title,
               min(left(m.member_id, 2)) AS county_id
        FROM grp AS g JOIN grp_member AS m ON m.group_id = g.group_id WHERE g.family = 'lan'
        GROUP BY g.group_id HAVING count(DISTINCT left(m.member_id, 2)) = 1
    ) GROUP BY county_id
),
peer_set AS (
    SELECT set_key, 'liknande' AS kind, title, vintage_year AS vintage, area, group_id,
           nullif(version_end, 'infinity'::TIMESTAMPTZ) AS replaced_at
    FROM liknande
    UNION ALL
    SELECT DISTINCT k.kommungrupp_id, 'kommungrupp', k.kommungrupp_title, g.vintage_year, NULL,
           k.kommungrupp_id, NULL
    FROM kommun AS k LEFT JOIN grp AS g ON g.group_id = k.kommungrupp_id WHERE k.kommungrupp_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT 'lan:' || k.county_id, 'lan', coalesce(t.title, 'Kommuner i län ' || k.county_id),
           NULL::INTEGER, NULL, NULL, NULL
    FROM kommun AS k LEFT JOIN lan_title AS t ON t.county_id = k.county_id WHERE k.county_id IS NOT NULL
    UNION ALL
    SELECT 'riket', 'riket', 'Riket: alla kommuner', NULL::INTEGER, NULL, NULL, NULL
    UNION ALL
    SELECT 'network:' || network_id, 'network', title, NULL::INTEGER, NULL, NULL, NULL FROM core.ref_network
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
member AS (
    -- the anchor row keeps a Liknande version that has no current member kommun
    SELECT set_key, member_id, FALSE AS is_anchor FROM liknande_member
    UNION ALL
    SELECT set_key, anchor_municipality_id, TRUE FROM liknande
    UNION ALL
    SELECT set_key, member_id, FALSE FROM shared_member
)
SELECT s.set_key AS peer_set_id, s.kind AS peer_set_kind, s.title AS peer_set_title,
       s.vintage::INTEGER AS peer_set_vintage, s.area AS peer_area, s.group_id,
       s.replaced_at::TIMESTAMPTZ AS replaced_at, m.member_id AS municipality_id,
       k.title AS municipality_title, m.is_anchor,
       -- a Liknande group's members are all the anchor's peers; a shared set's include the kommun itself
       (count(*) FILTER (WHERE NOT m.is_anchor) OVER (PARTITION BY s.set_key)
        - CASE WHEN s.kind = 'liknande' THEN 0 ELSE 1 END)::BIGINT AS n_peers
FROM peer_set AS s
JOIN member AS m ON m.set_key = s.set_key
JOIN kommun AS k ON k.municipality_id = m.member_id
ORDER BY peer_set_id, municipality_id
