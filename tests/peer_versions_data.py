"""A real-data warehouse that holds two versions of the Liknande kommuner groups, as a long-lived one would.

Kolada serves only each group's current version. A warehouse first loaded in January 2024 got the
groups as pykolada's v2 snapshot has them ("Liknande kommuner IFO, Åtvidaberg, 2022"), and its load in
March 2026 the ones of rKolada's v3 snapshot (same ids, titled 2024, or 2023 for ekonomiskt bistånd,
other members). Both snapshots are real; only the two load dates are taken from their provenance.
Values are open-numbers' real Kolada values through the replay server and the real load (to 2022).

Expected figures are worked out from the fixture files themselves (`group_members`, `kommun_values`),
not read back from the warehouse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from settings.config import Paths
from sources.fixtures import fixtures_dir
from tests.kolada_pages import METADATA_FILES, kolada_dir, metadata_pages
from tests.replay_load import fetch_and_load
from transforms.kolada import metadata as meta_tf
from warehouse import history
from warehouse.publish import building

ANCHOR = "0561"  # Åtvidaberg, the demo kommun
# N30005 nettokostnad IFO (area IFO, neutral), N31807 ekonomiskt bistånd (its own area), U23401 and
# U31402 väntetid (Åtvidaberg's newest values 2018 and 2017, the KPIs' 2022), U33401 utredningstid
KPIS = ["N30005", "N31807", "U23401", "U31402", "U33401"]
YEARS = list(range(2010, 2023))
V2_LOADED = datetime(2024, 1, 15, tzinfo=UTC)  # pykolada's snapshot commit
V3_LOADED = datetime(2026, 3, 23, tzinfo=UTC)  # rKolada's snapshot commit
# the long KPI title the CLI must print whole
LONG_TITLE = (
    "Väntetid i antal dagar från ansökningsdatum till första erbjudet inflyttningsdatum till särskilt "
    "boende, medelvärde"
)


def build(root: Path) -> Path:
    """Load the 2024-01 groups, then the 2026 metadata and the values; return the published file."""
    paths = Paths(root, root / "jamfor.duckdb")
    groups = metadata_pages("municipality_groups_v2", V2_LOADED)
    muni, _ = meta_tf.municipality_dimension(metadata_pages("municipality", V2_LOADED), groups)
    frames, members, _ = meta_tf.municipality_groups(groups, muni)
    with building(paths.warehouse, run_id="groups-2024-01") as con:
        for table, frame, key in (
            ("core.municipality", muni, ("municipality_id",)),
            ("core.municipality_group", frames, ("group_id",)),
            ("core.municipality_group_member", members, ("group_id", "member_id")),
        ):
            history.merge_dimension(con, table, frame, key_cols=key, run_id="groups-2024-01", as_of=V2_LOADED)
    fetch_and_load(paths, KPIS, YEARS, run_id="load-2026-03", as_of=V3_LOADED)
    return paths.warehouse


def group_members(snapshot: str, group_id: str) -> tuple[str, list[str]]:
    """(title, member ids) of a group in a fixture snapshot ("municipality_groups_v2" or "…groups")."""
    groups = json.loads((kolada_dir() / METADATA_FILES[snapshot]).read_text(encoding="utf-8"))
    [group] = [g for g in groups if g["id"] == group_id]
    return group["title"], sorted(m["member_id"] for m in group["members"])


def kommun_values(kpi: str) -> dict[tuple[str, int], float]:
    """(kommun, year) -> value (gender T) straight from the open-numbers CSV of the KPI."""
    for folder in ("opennumbers_ddf_kolada_dump", "opennumbers_ddf_kolada_dump_ifo"):
        path = fixtures_dir() / "kolada" / folder / "datapoints--by--geo--year"
        path = path / f"ddf--datapoints--{kpi.lower()}--by--geo--year.csv"
        if path.is_file():
            raw = pl.read_csv(path, infer_schema=False).drop_nulls(kpi.lower())
            return {
                (geo, int(year)): float(value)
                for geo, year, value in raw.select("geo", "year", kpi.lower()).iter_rows()
                if len(geo) == 4 and value.strip()
            }
    raise FileNotFoundError(f"no open-numbers values of {kpi}")
