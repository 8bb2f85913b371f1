"""Direction coverage of the default scope on the real catalogue, and its command on a real warehouse file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.reference import ReferenceFiles
from pipeline.reference.coverage import direction_coverage, main
from tests import comparison_data as data
from tests.pipeline.test_reference import real_inputs  # noqa: F401 - the real dimensions fixture
from warehouse.reference import ReferenceInputs


def test_default_scope_is_mostly_decided(real_inputs: ReferenceInputs) -> None:  # noqa: F811
    counts = direction_coverage(real_inputs, "default", ReferenceFiles.from_env().directions)
    total = int(counts["n"].sum())
    unknown = int(counts.filter(pl.col("basis") == "unknown")["n"].sum())
    # 1,173 of the default scope's KPIs are in the 2026 catalogue; 424 (36 %) were unknown before
    assert total == 1173
    assert unknown / total < 0.10
    by_rule = dict(counts.filter(pl.col("basis") == "rule").select("rule", "n").iter_rows())
    assert by_rule["user_assessment_negative"] > 0 and by_rule["adverse_event"] > 0
    assert by_rule["oj_factor_reversed"] == 3  # U30426, U30427, N30466
    assert counts["share"].sum() == pytest.approx(1.0)


def test_command_prints_rules_and_unknowns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warehouse = data.publish(tmp_path)
    assert main(["--warehouse", str(warehouse), "--scope", "default"]) == 0
    out = capsys.readouterr().out
    # the synthetic catalogue: 8 KPIs, all of the IFO operating area; the bundled rules decide them
    assert out.splitlines()[0] == "scope default: 8 KPIs in the catalogue"
    assert "oj_factor" in out and out.splitlines()[-1].startswith("unknown: ")


def test_command_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--warehouse", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse at" in capsys.readouterr().err
    warehouse = data.publish(tmp_path)
    assert main(["--warehouse", str(warehouse), "--scope", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coverage: error:") and err.count("\n") == 1
