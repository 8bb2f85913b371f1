"""Reference data for the comparison tables: networks, KPI directions, peer areas and ÖJ factors.

A Kolada load writes `reference_frames` inside its build, just before the marts are refreshed
(pipeline.skeleton, warehouse.load.replace_reference): the YAML files in this folder (or the
JAMFOR_*_FILE overrides) are read, validated against the core dimensions just merged, and replace the
core.ref_* tables; `apply_reference(con)` does the same on any connection. An unusable file fails
the load with a one-line message naming the file and the entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

# imported for no name: without it a failed `jamfor load` ends with DuckDB's "nanobind: leaked ..."
# report on stderr (an interpreter teardown-order effect whose cause is not found yet; see
# tests/flows/test_prefect_server.py::test_failed_cli_load_ends_with_its_one_line_reason)
import warehouse.comparison  # noqa: F401
from pipeline.reference.config import (
    ReferenceConfigError,
    ReferenceFiles,
    read_directions,
    read_networks,
    read_oj_areas,
    read_peer_areas,
)
from transforms.comparison.codings import parse_codings
from transforms.comparison.directions import derive_directions
from transforms.comparison.networks import NetworkError, resolve_networks
from transforms.comparison.peer_areas import kpi_peer_areas
from transforms.files.network_owner import NETWORKS_SCHEMA, empty_networks
from warehouse.reference import ReferenceInputs, read_inputs, write_reference

if TYPE_CHECKING:  # a DuckDB connection only ever passes through pipeline/
    from warehouse.load import Connection

OJ_TITLE_PREFIX = "Öppna jämförelser - "

__all__ = [
    "NetworkError",
    "ReferenceConfigError",
    "ReferenceFiles",
    "apply_reference",
    "network_members",
    "reference_frames",
]


def reference_frames(inputs: ReferenceInputs, files: ReferenceFiles) -> dict[str, pl.DataFrame]:
    """Every reference table's frame from the files and the current dimensions (no DuckDB)."""
    specs = read_networks(files.networks)
    if specs and inputs.municipalities.height == 0:
        raise NetworkError(f"{files.networks}: core.municipality is empty, so no member can be validated")
    networks, members = resolve_networks(specs, inputs.municipalities, source=str(files.networks))
    rules, overrides = read_directions(files.directions)
    directions = derive_directions(inputs.kpis, rules, overrides, override_source=str(files.directions))
    area_rules, default_area = read_peer_areas(files.peer_areas)
    oj = read_oj_areas(files.oj_areas)
    # the coding is read from the KPI's own title in the current catalogue, not the group's member title
    titles = inputs.kpis.select("kpi_id", pl.col("title").alias("kpi_title"))
    oj_members = (
        inputs.kpi_group_members.filter(pl.col("kpi_group_id").is_in(oj.groups))
        .select(
            "kpi_group_id",
            pl.col("group_title").str.strip_prefix(OJ_TITLE_PREFIX).alias("oj_area"),
            "kpi_id",
            "member_title",
        )
        .join(titles, on="kpi_id", how="left")
    )
    factors, answers = parse_codings(oj_members, oj.scales, oj.positive_min_code)
    return {
        "core.ref_network": networks,
        "core.ref_network_member": members,
        "core.ref_kpi_direction": directions,
        "core.ref_kpi_peer_area": kpi_peer_areas(inputs.kpis, area_rules, default_area),
        "core.ref_oj_factor": factors,
        "core.ref_oj_answer": answers,
    }


def apply_reference(con: Connection, files: ReferenceFiles | None = None) -> dict[str, int]:
    """Validate the reference files against the current dimensions and rewrite core.ref_*; rows per table."""
    frames = reference_frames(read_inputs(con), files or ReferenceFiles.from_env())
    return write_reference(con, frames)


def network_members(reference: pl.DataFrame, files: ReferenceFiles | None = None) -> pl.DataFrame:
    """The networks of networks.yaml (JAMFOR_NETWORKS_FILE) with their members resolved against the
    kommuner delivered files are checked against (`reference`: municipality_id, name, kind): rows of
    (network_id, title, member_id), the ids a network file's measures are stored under."""
    path = (files or ReferenceFiles.from_env()).networks
    specs = read_networks(path)
    if not specs:
        return empty_networks()
    units = reference.select("municipality_id", title="name", kind="kind")
    frame, members = resolve_networks(specs, units, source=str(path))
    return members.join(frame.select("network_id", "title"), on="network_id").select(list(NETWORKS_SCHEMA))
