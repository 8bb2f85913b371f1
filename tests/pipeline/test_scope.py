"""Scope files and flags: parsing, errors, and KPI selection by area and group."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.scope import (
    Scope,
    ScopeError,
    load_scope,
    parse_kpis,
    parse_years,
    resolve_kpis,
    with_overrides,
)


def test_years_forms() -> None:
    assert parse_years("2015-2022") == tuple(range(2015, 2023))
    assert parse_years("2020") == (2020,)
    assert parse_years("2024-", today=date(2026, 11, 22)) == (2024, 2025, 2026)


@pytest.mark.parametrize("text", ["20x1", "2022-2015", "1850", "2015-2022-2023", ""])
def test_malformed_years_are_refused(text: str) -> None:
    with pytest.raises(ScopeError):
        parse_years(text)


def test_kpi_ids_are_normalised_and_checked() -> None:
    assert parse_kpis("n31807, U21468,N31807") == ("N31807", "U21468")
    with pytest.raises(ScopeError, match="X1"):
        parse_kpis("N31807,X1")


def test_bundled_scopes_load() -> None:
    demo = load_scope("demo")
    # the 13 KPIs of the first dump folder, then IFO costs, väntetid and the GKPI255 factors (issue 14)
    assert len(demo.kpis) == 20 and demo.years[0] == 1994 and demo.years[-1] == 2022
    assert {"N30001", "U31402", "U23401", "U30446", "U30464"} <= set(demo.kpis)
    default = load_scope("default")
    assert "Individ- och familjeomsorg" in default.operating_areas and "N01951" in default.kpis


def test_unknown_scope_and_keys(tmp_path) -> None:
    with pytest.raises(ScopeError, match="not found"):
        load_scope("nope")
    with pytest.raises(ScopeError, match="bare name"):
        load_scope("../../etc/passwd")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nkpi: [N31807]\n", encoding="utf-8")
    with pytest.raises(ScopeError, match="unknown keys"):
        load_scope(bad)


def test_overrides_replace_selection() -> None:
    scope = with_overrides(load_scope("default"), kpis="N31807", years="2020-2021")
    assert scope.kpis == ("N31807",) and scope.operating_areas == () and scope.years == (2020, 2021)


def test_resolve_by_area_group_and_explicit() -> None:
    kpi_dim = pl.DataFrame({"kpi_id": ["N1", "N2", "N3"], "operating_area": ["A", "B", "A"]})
    members = pl.DataFrame({"kpi_group_id": ["G1", "G2"], "kpi_id": ["N2", "N9"]})
    scope = Scope(name="t", kpis=("N7",), operating_areas=("A",), kpi_groups=("G1",))
    assert resolve_kpis(scope, kpi_dim, members) == ["N1", "N2", "N3", "N7"]
