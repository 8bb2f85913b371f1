"""Directions and peer areas from ordered metadata rules (titles below are real Kolada KPI titles)."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.comparison.directions import OVERRIDE_SCHEMA, derive_directions
from transforms.comparison.peer_areas import kpi_peer_areas
from transforms.comparison.rules import Rule, RuleError

IFO, AOF = "Individ- och familjeomsorg", "Äldre och funktionshinder"
KPIS = pl.DataFrame(
    {
        "kpi_id": ["N21009", "U33401", "U21468", "N31807", "N31814", "N28892", "U23401"],
        "title": [
            "Kostnad hemtjänst äldreomsorg, kr/inv 65+",
            "Utredningstid i antal dagar från påbörjad utredning till avslutad utredning inom barn och "
            "ungdom 0-20 år, medelvärde",
            "Brukarbedömning hemtjänst äldreomsorg -  helhetssyn, andel (%)",
            "Invånare som någon gång under året erhållit ekonomiskt bistånd, andel (%) av bef.",
            "Vuxna biståndsmottagare (18+ år) med långvarigt ekonomiskt bistånd, andel (%) av "
            "biståndsmottagare 18+ år",
            "Invånare med insatser enl. LSS, antal/10 000 inv",
            "Väntetid i antal dagar från ansökan till erbjudet boende, medelvärde",
        ],
        "description": [None] * 7,
        "operating_area": [AOF, IFO, AOF, IFO, IFO, AOF, AOF],
        "perspective": [
            "Resurser",
            "Kvalitet och resultat",
            "Kvalitet och resultat",
            "Volymer",
            "Kvalitet och resultat",
            "Volymer",
            "Kvalitet och resultat",
        ],
    },
    schema_overrides={"description": pl.String},
)
DIRECTION_RULES = [
    Rule("cost", "neutral", patterns={"title": "kr/|kostnad"}),
    Rule("volume", "neutral", equals={"perspective": "volymer"}),
    Rule(
        "time_in_days",
        "lower",
        patterns={"title": r"väntetid|utredningstid|\bdagar\b"},
        excludes={"title": "andel"},
        note="shorter is better",
    ),
    Rule("user_assessment", "higher", patterns={"title": "brukarbedömning"}),
]
NO_OVERRIDES = pl.DataFrame(schema=OVERRIDE_SCHEMA)


def _directions(overrides: pl.DataFrame = NO_OVERRIDES) -> dict[str, tuple]:
    frame = derive_directions(KPIS, DIRECTION_RULES, overrides, override_source="directions.yaml")
    return {r["kpi_id"]: (r["direction"], r["basis"], r["rule"]) for r in frame.to_dicts()}


def test_rules_decide_in_order_and_unknown_is_neutral() -> None:
    assert _directions() == {
        "N21009": ("neutral", "rule", "cost"),
        "U33401": ("lower", "rule", "time_in_days"),
        "U21468": ("higher", "rule", "user_assessment"),
        "N31807": ("neutral", "rule", "volume"),
        "N31814": ("neutral", "unknown", None),
        "N28892": ("neutral", "rule", "volume"),
        "U23401": ("lower", "rule", "time_in_days"),
    }


def test_override_wins_and_may_name_a_kpi_outside_the_catalogue() -> None:
    overrides = pl.DataFrame(
        [("N31814", "lower", "synthetic test note"), ("U99999", "higher", None)],
        schema=OVERRIDE_SCHEMA,
        orient="row",
    )
    found = _directions(overrides)
    assert found["N31814"] == ("lower", "override", "directions.yaml")
    assert found["U99999"] == ("higher", "override", "directions.yaml")
    assert found["U33401"] == ("lower", "rule", "time_in_days")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("N31814", "better", None), "direction"),
        (("31814", "lower", None), "KPI id"),
    ],
)
def test_bad_overrides_are_refused(row: tuple, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        _directions(pl.DataFrame([row], schema=OVERRIDE_SCHEMA, orient="row"))


def test_bad_rules_are_refused() -> None:
    with pytest.raises(RuleError, match="cannot test"):
        Rule("x", "higher", patterns={"unit": "kr"})
    with pytest.raises(RuleError, match="bad title pattern"):
        Rule("x", "higher", patterns={"title": "(unclosed"})
    with pytest.raises(RuleError, match="result must be one of"):
        derive_directions(KPIS, [Rule("x", "better")], NO_OVERRIDES, override_source="f")


def test_peer_areas_follow_the_issue_mapping() -> None:
    rules = [
        Rule(
            "ekonomiskt_bistand",
            "ekonomiskt bistånd",
            equals={"operating_area": IFO},
            patterns={"title": "ekonomiskt bistånd|biståndsmottagare"},
        ),
        Rule("ifo", "IFO", equals={"operating_area": IFO}),
        Rule(
            "lss", "LSS", equals={"operating_area": AOF}, patterns={"title": r"\bLSS\b|funktionsnedsättning"}
        ),
        Rule("aldreomsorg", "äldreomsorg", equals={"operating_area": AOF}),
    ]
    frame = kpi_peer_areas(
        KPIS.vstack(
            KPIS.head(1).with_columns(
                kpi_id=pl.lit("N00945"), operating_area=pl.lit("Kommunen, övergripande")
            )
        ),
        rules,
        "övergripande",
    )
    assert dict(frame.select("kpi_id", "peer_area").iter_rows()) == {
        "N21009": "äldreomsorg",
        "U33401": "IFO",
        "U21468": "äldreomsorg",
        "N31807": "ekonomiskt bistånd",
        "N31814": "ekonomiskt bistånd",
        "N28892": "LSS",
        "U23401": "äldreomsorg",
        "N00945": "övergripande",
    }
    assert frame.filter(pl.col("kpi_id") == "N00945")["rule"].item() == "default"
