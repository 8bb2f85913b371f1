"""Read the reference YAML files (networks, directions, peer areas, ÖJ areas) into typed specs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from transforms.comparison.codings import Scale
from transforms.comparison.directions import OVERRIDE_SCHEMA
from transforms.comparison.networks import NetworkSpec
from transforms.comparison.rules import EQUALS_COLUMNS, PATTERN_COLUMNS, Rule, RuleError

REFERENCE_DIR = Path(__file__).parent
# file key -> (environment variable, bundled file name)
FILES = {
    "networks": ("JAMFOR_NETWORKS_FILE", "networks.yaml"),
    "directions": ("JAMFOR_DIRECTIONS_FILE", "directions.yaml"),
    "peer_areas": ("JAMFOR_PEER_AREAS_FILE", "peer_areas.yaml"),
    "oj_areas": ("JAMFOR_OJ_AREAS_FILE", "oj_areas.yaml"),
}


class ReferenceConfigError(ValueError):
    """A reference file that cannot be read; the one-line message names the file and the entry."""


@dataclass(frozen=True)
class ReferenceFiles:
    """Paths of the four reference files."""

    networks: Path
    directions: Path
    peer_areas: Path
    oj_areas: Path

    @classmethod
    def from_env(cls, **overrides: Path | None) -> ReferenceFiles:
        """Explicit paths, else JAMFOR_*_FILE, else the files bundled in pipeline/reference/."""
        paths = {}
        for key, (variable, name) in FILES.items():
            given = overrides.get(key) or os.environ.get(variable)
            paths[key] = Path(given) if given else REFERENCE_DIR / name
        return cls(**paths)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReferenceConfigError(f"reference file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ReferenceConfigError(f"{path}: not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(raw, dict):
        raise ReferenceConfigError(f"{path}: expected a mapping at the top level")
    return raw


def _keys(where: str, entry: object, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ReferenceConfigError(f"{where}: expected a mapping, got {entry!r}")
    unknown = sorted(set(entry) - allowed)
    missing = sorted(required - set(entry))
    if unknown or missing:
        raise ReferenceConfigError(f"{where}: unknown keys {unknown}, missing keys {missing}")
    return entry


def read_networks(path: Path) -> list[NetworkSpec]:
    """The networks of a networks file (structure only; members are resolved at load time)."""
    raw = _keys(str(path), _read(path), {"networks"}, set())
    specs = []
    for n, entry in enumerate(raw.get("networks") or []):
        where = f"{path}: network #{n + 1}"
        entry = _keys(where, entry, {"name", "title", "description", "members"}, {"name", "title", "members"})
        members = entry["members"]
        if not isinstance(members, list) or not all(isinstance(m, str | int) for m in members):
            raise ReferenceConfigError(f"{where}: members must be a list of codes or names")
        # A code written without quotes arrives as an int and has lost its leading zero.
        if any(isinstance(m, int) for m in members):
            raise ReferenceConfigError(f'{where} ({entry["name"]}): quote codes, e.g. "0561", not 0561')
        specs.append(
            NetworkSpec(
                str(entry["name"]), str(entry["title"]), str(entry.get("description") or ""), tuple(members)
            )
        )
    return specs


def _rules(path: Path, entries: object, result_key: str) -> list[Rule]:
    if not isinstance(entries, list):
        raise ReferenceConfigError(f"{path}: rules must be a list")
    conditions = set(EQUALS_COLUMNS) | set(PATTERN_COLUMNS) | {f"{c}_not" for c in PATTERN_COLUMNS}
    rules = []
    for n, entry in enumerate(entries):
        where = f"{path}: rule #{n + 1}"
        entry = _keys(where, entry, {"name", "note", result_key} | conditions, {"name", result_key})
        try:
            rules.append(
                Rule(
                    name=str(entry["name"]),
                    result=str(entry[result_key]),
                    equals={c: str(entry[c]) for c in EQUALS_COLUMNS if c in entry},
                    patterns={c: str(entry[c]) for c in PATTERN_COLUMNS if c in entry},
                    excludes={c: str(entry[f"{c}_not"]) for c in PATTERN_COLUMNS if f"{c}_not" in entry},
                    note=str(entry.get("note") or ""),
                )
            )
        except RuleError as exc:
            raise ReferenceConfigError(f"{path}: {exc}") from None
    return rules


def read_directions(path: Path) -> tuple[list[Rule], pl.DataFrame]:
    """(rules, overrides frame kpi_id/direction/note) of a directions file."""
    raw = _keys(str(path), _read(path), {"rules", "overrides"}, {"rules"})
    overrides = raw.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise ReferenceConfigError(f"{path}: overrides must map KPI ids to {{direction, note}}")
    rows = []
    for kpi_id, entry in overrides.items():
        entry = _keys(f"{path}: override {kpi_id}", entry, {"direction", "note"}, {"direction"})
        rows.append((str(kpi_id), str(entry["direction"]), str(entry.get("note") or "") or None))
    frame = pl.DataFrame(rows, schema=OVERRIDE_SCHEMA, orient="row")
    return _rules(path, raw["rules"], "direction"), frame


def read_peer_areas(path: Path) -> tuple[list[Rule], str]:
    """(rules, default area) of a peer areas file."""
    raw = _keys(str(path), _read(path), {"rules", "default_area"}, {"rules", "default_area"})
    return _rules(path, raw["rules"], "area"), str(raw["default_area"])


@dataclass(frozen=True)
class OjAreas:
    """An ÖJ areas file: the KPI groups, the answer scales (best level first) and configured thresholds."""

    groups: list[str]
    scales: list[Scale]
    positive_min_code: dict[str, int]


def _scales(path: Path, entries: object) -> list[Scale]:
    if not isinstance(entries, list) or not entries:
        raise ReferenceConfigError(f"{path}: scales must be a non-empty list of {{name, levels, note}}")
    scales = []
    for n, entry in enumerate(entries):
        where = f"{path}: scale #{n + 1}"
        entry = _keys(where, entry, {"name", "levels", "note"}, {"name", "levels"})
        levels = entry["levels"]
        if not isinstance(levels, list) or len(levels) < 2 or not all(isinstance(v, str) for v in levels):
            raise ReferenceConfigError(f"{where} ({entry['name']}): levels must list two or more patterns")
        for pattern in levels:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ReferenceConfigError(
                    f"{where} ({entry['name']}): bad pattern {pattern!r}: {exc}"
                ) from None
        scales.append(Scale(str(entry["name"]), tuple(levels), str(entry.get("note") or "")))
    return scales


def read_oj_areas(path: Path) -> OjAreas:
    """The ÖJ KPI group ids, answer scales and positive_min_code per KPI of an ÖJ areas file."""
    raw = _keys(str(path), _read(path), {"groups", "scales", "positive_min_code"}, {"groups"})
    groups = raw["groups"]
    if not isinstance(groups, list) or not groups:
        raise ReferenceConfigError(f"{path}: groups must be a non-empty list of KPI group ids")
    minimum = raw.get("positive_min_code") or {}
    if not isinstance(minimum, dict) or not all(isinstance(v, int) for v in minimum.values()):
        raise ReferenceConfigError(f"{path}: positive_min_code must map KPI ids to integer codes")
    # a file without its own scales uses the bundled ones: the scales are the same facts everywhere
    bundled = REFERENCE_DIR / FILES["oj_areas"][1]
    scales = raw["scales"] if "scales" in raw else _read(bundled).get("scales")
    return OjAreas(
        [str(g) for g in groups],
        _scales(path if "scales" in raw else bundled, scales),
        {str(k): int(v) for k, v in minimum.items()},
    )
