"""Data migrations between schema versions; `ddl.ensure_schema` runs the ones a file has not had yet.

Column additions are handled by ddl._migrate; a step here rewrites rows whose meaning changed.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from warehouse.ddl import quote
from warehouse.spec import table as table_spec


def network_measure_by_network(con: duckdb.DuckDBPyConnection) -> None:
    """Version 2: the network is part of core.network_measure's key and never NULL.

    A name matching a network of core.ref_network (id or title, any case) becomes its id. A NULL
    network used to mean "every network of the kommun", so such a row becomes one row per network
    listing the kommun (the comparisons stay as they were); a kommun in no network gets ''.
    """
    columns = [c for c in table_spec("core.network_measure").column_names if c != "network"]
    names = ", ".join(quote(c) for c in columns)
    picked = ", ".join("m." + quote(c) for c in columns)
    con.execute(
        "UPDATE core.network_measure AS m SET network = n.network_id FROM core.ref_network AS n "
        "WHERE m.network IS NOT NULL AND m.network <> n.network_id "
        "AND lower(trim(m.network)) IN (lower(n.network_id), lower(trim(n.title)))"
    )
    con.execute(
        f"INSERT INTO core.network_measure (network, {names}) "
        f"SELECT r.network_id, {picked} FROM core.network_measure AS m "
        "JOIN core.ref_network_member AS r ON r.member_id = m.municipality_id WHERE m.network IS NULL "
        "ORDER BY r.network_id, m.measure_id, m.municipality_id, m.period, m.valid_from"
    )
    con.execute(
        "DELETE FROM core.network_measure AS m WHERE m.network IS NULL AND EXISTS "
        "(SELECT 1 FROM core.ref_network_member AS r WHERE r.member_id = m.municipality_id)"
    )
    con.execute("UPDATE core.network_measure SET network = '' WHERE network IS NULL")
    con.execute("ALTER TABLE core.network_measure ALTER COLUMN network SET NOT NULL")


# version -> the step that brings a file from version - 1 to it
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {2: network_measure_by_network}


def migrate(con: duckdb.DuckDBPyConnection, from_version: int, to_version: int) -> list[int]:
    """Run the steps after `from_version` up to `to_version`, in order; return the versions applied."""
    applied = []
    for version in sorted(MIGRATIONS):
        if from_version < version <= to_version:
            MIGRATIONS[version](con)
            applied.append(version)
    return applied
