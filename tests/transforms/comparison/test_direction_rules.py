"""The bundled direction rules (pipeline/reference/directions.yaml) on real titles of the 6,099-KPI catalogue.

Each rule has examples it decides and real titles it must leave to another rule (or to unknown);
titles and metadata are read from the v3 catalogue fixture by KPI id, never retyped.
"""

from __future__ import annotations

import json
from functools import cache

import polars as pl
import pytest

from pipeline.reference.config import ReferenceFiles, read_directions
from sources.fixtures import fixtures_dir
from transforms.comparison.directions import derive_directions

# kpi_id -> (rule that decides it, direction); None = no rule (unknown, shown neutral)
EXPECTED = {
    # cost: neutral by design, kr/inv, tkr and utbetalt bistånd alike
    "N21009": ("cost", "neutral"),
    "N31852": ("cost", "neutral"),
    "N30001": ("cost", "neutral"),
    # survey_response before the HME index: a response rate is not engagement
    "N00898": ("survey_response", "neutral"),
    "U21482": ("survey_response", "neutral"),
    "N23590": ("survey_response", "neutral"),  # "färre än 30 svarande ( Ja=1, Nej=0)"
    # (Ja=1, Nej=2): Ja has the lower code
    "U30426": ("oj_factor_reversed", "lower"),
    "N30466": ("oj_factor_reversed", "lower"),
    "U30464": ("oj_factor", "higher"),
    "U21340": ("oj_factor", "higher"),  # Breddinfört=2, testverksamhet=1, Nej=0
    "U23340": (None, "neutral"),  # (inget=0, några=1, alla=2) is not written best-first
    "N31807": ("volume", "neutral"),
    "U31462": ("not_reactualised", "higher"),  # "Ej återaktualiserade ..., andel"
    "N31814": (None, "neutral"),  # långvarigt bistånd: left to the analyst
    "U23401": ("time_in_days", "lower"),
    "U31402": ("time_in_days", "lower"),
    "N70619": (None, "neutral"),  # "Väntetid ..., andel (%)": a share within a limit, not days
    "N20402": ("adverse_event", "lower"),  # fallskador
    "U20462": ("adverse_event", "lower"),
    "U21426": ("adverse_event", "lower"),  # olämpliga läkemedel
    "U23412": (None, "neutral"),
    "U30200": ("staff_engagement_index", "higher"),  # HME totalindex
    "U30301": ("staff_engagement_index", "higher"),
    "U31401": ("kkik_index", "higher"),
    "U31904": ("kkik_index", "higher"),
    "U31002": ("context", "neutral"),  # resursindex: resources used
    "U26478": ("user_assessment_middle", "neutral"),  # "är ibland rädd"
    "U28626": ("user_assessment_middle", "neutral"),  # "Några av assistenterna ..."
    "U26475": ("user_assessment_negative", "lower"),  # "Personalen bryr sig inte om brukaren"
    "U28577": ("user_assessment_negative", "lower"),  # "får aldrig den hjälp hen vill ha"
    "N28706": ("user_assessment", "higher"),  # "är aldrig rädd": positive, not negative
    "U21468": ("user_assessment", "higher"),
    "U28112": ("unit_survey", "higher"),
    "N28147": (None, "neutral"),  # unit survey: visstidsanställda without education
    "U31404": ("qualified_staff", "higher"),  # socionomexamen
    "N28153": (None, "neutral"),  # "övrig eller saknar utbildning"
    "U01803": ("context", "neutral"),
    "N30020": ("purchased_services", "neutral"),
    "N30212": ("staff_structure", "neutral"),
    "N28165": ("count", "neutral"),
    "N21610": (None, "neutral"),  # "Antal hemtjänsttagare per en omsorgspersonal"
}


@cache
def _catalogue() -> pl.DataFrame:
    path = fixtures_dir() / "kolada" / "rkolada_sysdata" / "rkolada_v3_2026-03-23_kpi.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    return pl.DataFrame(
        [(k["id"], k["title"], k["description"], k["operating_area"], k["perspective"]) for k in rows],
        schema=["kpi_id", "title", "description", "operating_area", "perspective"],
        orient="row",
    )


@cache
def _decided() -> dict[str, tuple[str | None, str]]:
    path = ReferenceFiles.from_env().directions
    rules, overrides = read_directions(path)
    frame = derive_directions(_catalogue(), rules, overrides, override_source=str(path))
    return {r["kpi_id"]: (r["rule"], r["direction"]) for r in frame.to_dicts()}


@pytest.mark.parametrize(("kpi_id", "expected"), EXPECTED.items())
def test_rule_on_real_title(kpi_id: str, expected: tuple[str | None, str]) -> None:
    assert _decided()[kpi_id] == expected, _catalogue().filter(pl.col("kpi_id") == kpi_id)["title"].item()


# rule -> real titles its wording suggests that it must NOT decide (another rule or none does)
NOT_BY = {
    "cost": ["N31807"],
    "survey_response": ["U30200"],
    "oj_factor_reversed": ["U30464"],
    "oj_factor": ["U30426", "U23340"],
    "volume": ["U20462"],
    "not_reactualised": ["N31814"],
    "time_in_days": ["N70619"],
    "adverse_event": ["U23412"],
    "staff_engagement_index": ["N00898"],
    "kkik_index": ["U31002"],
    "user_assessment_middle": ["N28706"],
    "user_assessment_negative": ["N28706"],
    "user_assessment": ["U26475", "U26478", "U21482"],
    "unit_survey": ["N28147", "N21610"],
    "qualified_staff": ["N28153"],
    "context": ["U31401"],
    "purchased_services": ["N30001"],
    "staff_structure": ["U31404"],
    "count": ["N21610"],
}


@pytest.mark.parametrize(("rule", "kpi_ids"), NOT_BY.items())
def test_rule_leaves_lookalike_titles_alone(rule: str, kpi_ids: list[str]) -> None:
    assert all(_decided()[k][0] != rule for k in kpi_ids)
    assert all(k in EXPECTED for k in kpi_ids)  # and what does decide them is pinned above


def test_every_rule_has_true_and_false_examples() -> None:
    rules, _ = read_directions(ReferenceFiles.from_env().directions)
    names = {r.name for r in rules}
    assert names == {rule for rule, _ in EXPECTED.values() if rule} == set(NOT_BY)
