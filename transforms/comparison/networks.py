"""User-defined comparison networks: members given by code or name, resolved against the kommuner."""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

NETWORK_ID = re.compile(r"^[\w-]+$")
CODE_PATTERN = r"^\d{4}$"
MIN_MEMBERS = 2
NETWORK_SCHEMA = pl.Schema(
    {
        "network_id": pl.String,
        "title": pl.String,
        "description": pl.String,
        "n_members": pl.Int32,
        "source_file": pl.String,
    }
)
MEMBER_SCHEMA = pl.Schema(
    {"network_id": pl.String, "member_id": pl.String, "member_title": pl.String, "given_as": pl.String}
)


class NetworkError(ValueError):
    """A network that cannot be used; the one-line message names the file, the network and the member."""


@dataclass(frozen=True)
class NetworkSpec:
    """One network as written in the networks file."""

    network_id: str
    title: str
    description: str
    members: tuple[str, ...]


def resolve_networks(
    networks: list[NetworkSpec], municipalities: pl.DataFrame, *, source: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(core.ref_network, core.ref_network_member) frames; NetworkError on any unusable entry.

    `municipalities` is the current unit dimension (municipality_id, title, kind). A member is a
    4-digit code or a name compared case-insensitively with the units' titles; it must match exactly
    one unit and that unit must be a kommun.
    """
    _check_specs(networks, source)
    given = pl.DataFrame(
        [(n.network_id, m.strip()) for n in networks for m in n.members],
        schema={"network_id": pl.String, "given_as": pl.String},
        orient="row",
    ).with_row_index("position")
    units = municipalities.filter(pl.col("kind") != "group").select(
        "municipality_id", "title", "kind", _key=pl.col("title").str.strip_chars().str.to_lowercase()
    )
    is_code = pl.col("given_as").str.contains(CODE_PATTERN)
    by_code = given.filter(is_code).join(units, left_on="given_as", right_on="municipality_id", how="left")
    by_code = by_code.with_columns(municipality_id=pl.when(pl.col("title").is_not_null()).then("given_as"))
    by_name = given.filter(~is_code).join(
        units, left_on=pl.col("given_as").str.to_lowercase(), right_on="_key", how="left"
    )
    matches = pl.concat(
        [by_code.drop("_key", strict=False), by_name.drop("_key", strict=False)], how="diagonal_relaxed"
    )
    checked = matches.group_by("position", "network_id", "given_as").agg(
        n_matches=pl.col("municipality_id").drop_nulls().n_unique(),
        member_id=pl.col("municipality_id").drop_nulls().first(),
        member_title=pl.col("title").drop_nulls().first(),
        kind=pl.col("kind").drop_nulls().first(),
        candidates=pl.format("{} {}", "municipality_id", "title").drop_nulls().sort().str.join(", "),
    )
    _raise_problems(checked.sort("position"), source)
    members = checked.sort("position").select(MEMBER_SCHEMA.names())
    counts = members.group_by("network_id").agg(n_members=pl.len().cast(pl.Int32))
    frame = pl.DataFrame(
        [(n.network_id, n.title, n.description or None, source) for n in networks],
        schema=dict.fromkeys(["network_id", "title", "description", "source_file"], pl.String),
        orient="row",
    ).join(counts, on="network_id", how="left")
    return frame.select(NETWORK_SCHEMA.names()).cast(NETWORK_SCHEMA), members.cast(MEMBER_SCHEMA)


def _check_specs(networks: list[NetworkSpec], source: str) -> None:
    """Names, titles and member counts, before anything is looked up."""
    seen: set[str] = set()
    for network in networks:
        where = f"{source}: network {network.network_id!r}"
        if not NETWORK_ID.match(network.network_id):
            raise NetworkError(f"{where}: a name is letters, digits, '_' or '-' only")
        if network.network_id.lower() in seen:
            raise NetworkError(f"{where} is defined twice")
        seen.add(network.network_id.lower())
        if not network.title.strip():
            raise NetworkError(f"{where}: missing title")
        if len(network.members) < MIN_MEMBERS:
            raise NetworkError(f"{where}: needs at least {MIN_MEMBERS} members, has {len(network.members)}")


def _raise_problems(checked: pl.DataFrame, source: str) -> None:
    """One line naming every unknown, ambiguous, non-kommun or repeated member."""
    problem = (
        pl.when(pl.col("n_matches") == 0)
        .then(pl.lit("matches no kommun code or name"))
        .when(pl.col("n_matches") > 1)
        .then(pl.format("is ambiguous: matches {}", "candidates"))
        .when(pl.col("kind") != "kommun")
        .then(pl.format("is {} {} ({}), not a kommun", "member_id", "member_title", "kind"))
        .when(pl.col("member_id").is_duplicated().over("network_id"))
        .then(pl.format("is listed twice (as {})", "member_id"))
    )
    problems = (
        checked.select(pl.format("network '{}': member '{}' {}", "network_id", "given_as", problem))
        .drop_nulls()
        .to_series()
    )
    if problems.len():
        raise NetworkError(f"{source}: " + "; ".join(problems.to_list()))
