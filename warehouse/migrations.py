"""Data migrations between schema versions; `ddl.ensure_schema` runs the ones a file has not had yet.

Column additions are handled by ddl._migrate; a step here rewrites rows whose meaning changed.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from models.catalogue import table as table_spec
from warehouse.ddl import create_sql, quote

_MIGRATED = "_jamfor_network_measure_v2"


def network_measure_by_network(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: the network is part of core.network_measure's key and never NULL.

    A name matching a network of core.ref_network (id or title, any case) becomes its id. A NULL
    network used to mean "every network of the kommun", so such a row becomes one row per network
    listing the kommun (the comparisons stay as they were); a kommun in no network gets ''. The table
    is rebuilt from the spec (DuckDB cannot add NOT NULL to a column updated in the same transaction).
    """
    spec = table_spec("core.network_measure")
    rest = [c for c in spec.column_names if c != "network"]
    picked = ", ".join("m." + quote(c) for c in rest)
    keys = ", ".join(quote(k) for k in spec.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_MIGRATED} AS "
        f"SELECT coalesce(n.network_id, m.network) AS network, {picked} FROM core.network_measure AS m "
        "LEFT JOIN (SELECT lower(trim(name)) AS name, min(network_id) AS network_id FROM ("
        "    SELECT network_id AS name, network_id FROM core.ref_network UNION ALL "
        "    SELECT title, network_id FROM core.ref_network) GROUP BY 1) AS n "
        "ON n.name = lower(trim(m.network)) WHERE m.network IS NOT NULL "
        f"UNION ALL SELECT r.network_id, {picked} FROM core.network_measure AS m "
        "JOIN core.ref_network_member AS r ON r.member_id = m.municipality_id WHERE m.network IS NULL "
        f"UNION ALL SELECT '', {picked} FROM core.network_measure AS m WHERE m.network IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM core.ref_network_member AS r WHERE r.member_id = m.municipality_id)"
    )
    con.execute("DROP TABLE core.network_measure")
    con.execute(create_sql(spec))
    con.execute(f"INSERT INTO core.network_measure SELECT * FROM {_MIGRATED} ORDER BY {keys}, valid_from")
    con.execute(f"DROP TABLE {_MIGRATED}")


def comparison_by_group_version(con: duckdb.DuckDBPyConnection) -> None:
    """Version 3: a Liknande peer set is a group version (peer_set_id 'G36722:2024'), chosen per data year.

    The comparison mart is dropped, so the next load builds it whole: a load that changed only values
    would otherwise replace a few KPIs' rows and keep the others under the old ids.
    """
    con.execute("DROP TABLE IF EXISTS mart.municipality_comparison")


# version -> the step that brings a file from version - 1 to it
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    2: network_measure_by_network,
    3: comparison_by_group_version,
}


def migrate(con: duckdb.DuckDBPyConnection, from_version: int, to_version: int) -> list[int]:
    """Run the steps after `from_version` up to `to_version`, in order; return the versions applied."""
    applied = []
    for version in sorted(MIGRATIONS):
        if from_version < version <= to_version:
            MIGRATIONS[version](con)
            applied.append(version)
    return applied
