"""A warehouse for per-capita figures: real Kolada metadata, SYNTHETIC count values, real SCB population.

Real: the KPI catalogue, the 290 kommuner, their groups (Liknande kommuner, kommungrupper, län) and the
N21701 values (andel, not a count) come from the bundled fixtures through the replay server and the
real load; the population is SCB's befolkning.csv (Folkmängd 2017), loaded by `jamfor load files`.

SYNTHETIC: no real values of a count KPI ("..., antal") are bundled, so the real KPI N21702
"Hemtjänsttagare 65+ i ordinärt boende, antal" gets made-up values (`synthetic_value`) for every kommun
in 2017 and 2018, NULL for some. 2018 has no population: the missing-population case.

The expected figures are worked out from the fixture files themselves (`expected_figures`), not read
back from the warehouse.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from flows.cli import main
from pipeline.reference import apply_reference
from settings.config import Paths
from sources.fixtures import fixtures_dir
from tests.comparison_data import values_frame
from tests.replay_load import fetch_and_load
from warehouse import history, marts
from warehouse.publish import building

COUNT_KPI = "N21702"  # Hemtjänsttagare 65+ i ordinärt boende, antal (values SYNTHETIC)
RATE_KPI = "N21701"  # Invånare 65+ med hemtjänst i ordinärt boende, andel (%) (values real)
YEARS = (2017, 2018)
BEFOLKNING = fixtures_dir() / "scb" / "web_export" / "befolkning.csv"
GROUPS = fixtures_dir() / "kolada" / "rkolada_sysdata" / "rkolada_v3_2026-03-23_municipality_groups.json"
NETWORKS = Path(__file__).resolve().parents[1] / "pipeline" / "reference" / "networks.yaml"


def scb_population() -> dict[str, tuple[str, int]]:
    """code -> (name, Folkmängd 2017) read straight from befolkning.csv (ISO-8859-1, "0114 Name")."""
    rows = list(csv.reader(io.StringIO(BEFOLKNING.read_text(encoding="latin-1"))))
    assert rows[0] == ["region", "2017"]
    return {region[:4]: (region[5:], int(count)) for region, count in rows[1:]}


def synthetic_value(code: str, year: int) -> float | None:
    """SYNTHETIC count of N21702 for a kommun and year; None (published as missing) for every 13th code."""
    number = int(code)
    if number % 13 == 0:
        return None
    return float(40 + number % 173 + 7 * (year - 2017))


def build(root: Path) -> Path:
    """Build the warehouse under `root` (see the module docstring); return the published file."""
    paths = Paths(root, root / "jamfor.duckdb")
    fetch_and_load(paths, [RATE_KPI], YEARS, run_id="per-capita-load", as_of=datetime.now(UTC))
    counts = [(COUNT_KPI, code, y, "T", synthetic_value(code, y)) for code in scb_population() for y in YEARS]
    with building(paths.warehouse, run_id="per-capita-synthetic") as con:
        history.merge_values(
            con, values_frame(counts), run_id="per-capita-synthetic", as_of=datetime.now(UTC), scope=None
        )
        apply_reference(con)
        marts.rebuild(con)
    argv = ["load", "files", str(BEFOLKNING), "--warehouse", str(paths.warehouse), "--data-dir", str(root)]
    assert main(argv) == 0
    return paths.warehouse


def set_members(kind: str, set_id: str, anchor: str) -> list[str]:
    """The kommuner of a peer set other than `anchor`, from the fixture files (groups, län code, networks)."""
    population = scb_population()
    if kind in ("liknande", "kommungrupp"):
        groups = json.loads(GROUPS.read_text(encoding="utf-8"))
        # a Liknande set is a group version, "G176758:2024": the fixture holds that version
        [group] = [g for g in groups if g["id"] == set_id.split(":")[0]]
        members = [m["member_id"] for m in group["members"]]
    elif kind == "lan":
        members = [code for code in population if code[:2] == set_id.removeprefix("lan:")]
    elif kind == "riket":
        members = list(population)
    else:
        networks = yaml.safe_load(NETWORKS.read_text(encoding="utf-8"))["networks"]
        [network] = [n for n in networks if f"network:{n['name']}" == set_id]
        by_name = {name.lower(): code for code, (name, _) in population.items()}
        members = [m if m.isdigit() else by_name[m.lower()] for m in network["members"]]
    return sorted(m for m in set(members) if m != anchor)


def expected_figures(kind: str, set_id: str, anchor: str, year: int) -> dict[str, float | int]:
    """The peers' summed value and population and per 1000 invånare, over peers with both (2017 only)."""
    population = scb_population()
    used = [
        (synthetic_value(m, year), population[m][1])
        for m in set_members(kind, set_id, anchor)
        if synthetic_value(m, year) is not None and m in population
    ]
    value = sum(v for v, _ in used)
    people = sum(p for _, p in used)
    return {"n_used": len(used), "value": value, "population": people, "per_1000": value / people * 1000}
