"""Which comparison network a network file's rows belong to (the network is part of their key).

A row's `nätverk` cell names the network by id or title (case does not matter) and becomes the
network's id from networks.yaml; a name that file does not know is kept as written (stored, compared
in no network). Rows without a name take the network the file's other rows name; when none do, the
only network of networks.yaml that lists every kommun of the file is assumed, and the load report
says so. Anything else (no such network, or several) refuses the file: a guess could put one
network's values under another's. Rows that load but that no network will compare (an unknown
network, or a kommun its network does not list) are reported by `uncompared`.
"""

from __future__ import annotations

import polars as pl

NETWORKS_SCHEMA = pl.Schema({"network_id": pl.String, "title": pl.String, "member_id": pl.String})
ERROR_COL = "_network_error"
# how many kommuner a report line names before it says "..."
LISTED_KOMMUNER = 10


class NetworkNotNamed(ValueError):
    """The file names no network and none can be assumed; the message says what to add."""


def empty_networks() -> pl.DataFrame:
    """No networks known (networks.yaml lists none)."""
    return pl.DataFrame(schema=NETWORKS_SCHEMA)


def assign_network(frame: pl.DataFrame, networks: pl.DataFrame, label: str) -> tuple[pl.DataFrame, list[str]]:
    """`frame` (columns network: the stripped cell or null, municipality_id) with `network` resolved and
    ERROR_COL set on rows that cannot get one; plus the notes for the load report (which network was
    assumed, and why). A name networks.yaml does not know is kept as written (see `uncompared`)."""
    lookup = pl.concat(
        [
            networks.select(_key=pl.col("network_id").str.to_lowercase(), _id=pl.col("network_id")),
            networks.select(_key=pl.col("title").str.strip_chars().str.to_lowercase(), _id="network_id"),
        ]
    ).unique("_key", keep="first")
    named = frame.with_columns(_key=pl.col("network").str.to_lowercase()).join(
        lookup, on="_key", how="left", maintain_order="left"
    )
    notes: list[str] = []
    named = named.with_columns(network=pl.coalesce("_id", "network")).drop("_key", "_id")
    given = sorted(named["network"].drop_nulls().unique().to_list())
    empty = named["network"].is_null()
    if not empty.any():
        return named.with_columns(pl.lit(None, pl.String).alias(ERROR_COL)), notes
    if len(given) > 1:
        error = f"column '{label}': empty, and the file names several networks ({', '.join(given)})"
        return named.with_columns(
            pl.when(pl.col("network").is_null()).then(pl.lit(error)).alias(ERROR_COL)
        ), notes
    if len(given) == 1:
        assumed = given[0]
        notes.insert(
            0, f"network '{assumed}' for rows with an empty {label}: the only network the file names"
        )
    elif named["municipality_id"].drop_nulls().is_empty():
        # no row has a known kommun: every row is quarantined for that, a network would change nothing
        return named.with_columns(pl.lit(None, pl.String).alias(ERROR_COL)), notes
    else:
        assumed = _only_network_of(named, networks, label)
        kommuner = named["municipality_id"].drop_nulls().n_unique()
        notes.insert(
            0,
            f"network '{assumed}' assumed: the file names no network (no or empty '{label}' column), "
            f"and it is the only network in networks.yaml listing all {kommuner} kommuner of the file",
        )
    return named.with_columns(
        pl.col("network").fill_null(assumed), pl.lit(None, pl.String).alias(ERROR_COL)
    ), notes


def _only_network_of(frame: pl.DataFrame, networks: pl.DataFrame, label: str) -> str:
    """The one network whose members include every kommun of the file; NetworkNotNamed otherwise."""
    kommuner = set(frame["municipality_id"].drop_nulls().to_list())
    members = networks.group_by("network_id").agg(pl.col("member_id"))
    fits = sorted(n for n, m in members.iter_rows() if kommuner and kommuner <= set(m))
    if len(fits) == 1:
        return str(fits[0])
    which = "no network" if not fits else f"{len(fits)} networks ({', '.join(fits)})"
    raise NetworkNotNamed(
        f"the file names no network (no or empty '{label}' column) and {which} in networks.yaml "
        f"{'lists' if not fits else 'list'} all its {len(kommuner)} kommuner; add a nätverk column "
        "naming the network"
    )


def uncompared(
    valid: pl.DataFrame, networks: pl.DataFrame, reference: pl.DataFrame, file_name: str
) -> list[str]:
    """The load report's lines on loaded rows no comparison will ever use: rows of a network that
    networks.yaml does not know, and rows of kommuner their network does not list (one line each)."""
    known = networks["network_id"].unique().to_list()
    counts = valid.group_by("network").agg(pl.len().alias("rows")).sort("network")
    lines = [
        f"{file_name}: network '{network}' is not in networks.yaml: {_rows_load(rows, 'its')}"
        for network, rows in counts.filter(~pl.col("network").is_in(known)).rows()
    ]
    members = networks.select(network="network_id", municipality_id="member_id")
    outside = valid.filter(pl.col("network").is_in(known)).join(
        members, on=["network", "municipality_id"], how="anti"
    )
    # a kommun by its shortest name: "Stockholm" rather than "Stockholms kommun"
    names = reference.group_by("municipality_id").agg(
        pl.col("name").sort_by(pl.col("name").str.len_chars(), "name").first()
    )
    labelled = outside.join(names, on="municipality_id", how="left").select(
        "network", kommun=pl.concat_str(["municipality_id", pl.col("name").fill_null("?")], separator=" ")
    )
    per_network = (
        labelled.group_by("network")
        .agg(pl.len().alias("rows"), pl.col("kommun").unique().sort())
        .sort("network")
    )
    for network, rows, kommuner in per_network.rows():
        many = len(kommuner) > 1
        shown = ", ".join(kommuner[:LISTED_KOMMUNER]) + (", ..." if len(kommuner) > LISTED_KOMMUNER else "")
        lines.append(
            f"{file_name}: {len(kommuner)} kommun{'er' if many else ''} ({shown}) {'are' if many else 'is'} "
            f"in no network of networks.yaml for '{network}': {_rows_load(rows, 'their' if many else 'its')}"
        )
    return lines


def _rows_load(rows: int, whose: str) -> str:
    """'their 4 rows load but are compared in no network' (singular for one row)."""
    if rows == 1:
        return f"{whose} 1 row loads but is compared in no network"
    return f"{whose} {rows} rows load but are compared in no network"
