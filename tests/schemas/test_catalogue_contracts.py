"""The Pandera models of the core frames against the model catalogue: same columns, dtypes and keys.

The catalogue (models/<schema>/<table>.yml) declares each table once; a Pandera model keeps its value
checks but may not drift from the table's frame: a column renamed, retyped, dropped or made nullable
in one and not the other fails here.
"""

from __future__ import annotations

import dataclasses

import pandera.polars as pa
import pytest

from models.catalogue import TYPES, Table, table
from models.frames import POLARS_TYPES, frame_schema
from schemas import kolada, registers
from transforms.kolada.values import VALUE_COLUMNS
from warehouse.quarantine import QUARANTINE_FRAME_SCHEMA

CONTRACTS: dict[str, type[pa.DataFrameModel]] = {
    "core.kpi_value_history": kolada.DataValue,
    "core.kpi": kolada.Kpi,
    "core.municipality": kolada.Municipality,
    "core.municipality_group": kolada.CoreMunicipalityGroup,
    "core.municipality_group_member": kolada.CoreMunicipalityGroupMember,
    "core.kpi_group": kolada.CoreKpiGroup,
    "core.kpi_group_member": kolada.CoreKpiGroupMember,
    "core.ou": kolada.Ou,
    "meta.quarantine": kolada.Quarantine,
    **registers.MODELS,
}


def contract_problems(model: type[pa.DataFrameModel], spec: Table) -> list[str]:
    """How `model` differs from `spec`'s frame: names and order, dtypes, nullability, unique key."""
    columns = model.to_schema().columns
    expected = frame_schema(spec)
    problems = []
    if list(columns) != list(expected):
        problems.append(
            f"{model.__name__} columns {list(columns)} != {spec.qualified} frame {list(expected)}"
        )
    for name in set(columns) & set(expected):
        if columns[name].dtype.type != expected[name]:
            problems.append(
                f"{model.__name__}.{name} is {columns[name].dtype}, the model says {expected[name]}"
            )
        if spec.column(name).not_null and columns[name].nullable:
            problems.append(f"{model.__name__}.{name} allows null, {spec.qualified} declares it not null")
    unique = getattr(model.Config, "unique", None)
    if spec.key and tuple(unique or ()) != spec.key:
        problems.append(f"{model.__name__} unique {unique} != {spec.qualified} key {spec.key}")
    return problems


@pytest.mark.parametrize("qualified", sorted(CONTRACTS))
def test_the_pandera_model_matches_its_catalogue_frame(qualified: str) -> None:
    assert contract_problems(CONTRACTS[qualified], table(qualified)) == []


def test_a_column_renamed_in_the_catalogue_fails_the_contract() -> None:
    spec = table("core.population")
    renamed = tuple(
        dataclasses.replace(c, name="inhabitants") if c.name == "population" else c for c in spec.columns
    )
    frame = tuple("inhabitants" if n == "population" else n for n in spec.frame)
    changed = dataclasses.replace(spec, columns=renamed, frame=frame)
    assert any("columns" in p for p in contract_problems(registers.Population, changed))


def test_every_catalogue_type_has_a_polars_dtype() -> None:
    assert set(POLARS_TYPES) == TYPES


def test_the_frame_copies_outside_the_catalogue_still_match_it() -> None:
    # warehouse.quarantine and transforms.kolada.values keep their own lists; until they derive them,
    # they may not drift from the model files
    assert frame_schema(table("meta.quarantine")) == QUARANTINE_FRAME_SCHEMA
    assert ("kpi_id", "municipality_id", *VALUE_COLUMNS) == table("core.kpi_value_history").frame
