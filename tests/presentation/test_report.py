"""`jamfor report` on the SYNTHETIC warehouse of tests/comparison_data: chart specs as data, the page.

Expected figures (Aby 0101, U00001, 2020, its Liknande set G100 = Bby, Cby, Dby): Aby 50 against 70,
50, 30 → rank 2 av 4, peer mean 50, Riket 55 (Kolada's 0000 row), colour yellow (50 is the national
p25). U00001 2021 is preliminary and the latest year, so it is what the default report shows.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from jsonschema import ValidationError
from rich.console import Console

from flows.cli import main
from presentation import report_charts as charts
from presentation.report import render_svg, write_demo_report
from presentation.report_template import number
from settings.config import Paths
from tests import comparison_data as data
from warehouse.comparison_query import ComparisonFilter
from warehouse.report_query import ReportData, report_data

HOSTILE_NETWORK = """
networks:
  - name: trio
    title: "<script>alert('x')</script> & nätverk"
    members: ["0101", Bby, eby]
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data.publish(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="module")
def aby_2020(warehouse: Path) -> ReportData:
    return report_data(warehouse, "Aby", ComparisonFilter(year=2020))


@pytest.fixture(scope="module")
def page(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default report of Aby (every peer set, each KPI's latest year), written through the CLI."""
    target = tmp_path_factory.mktemp("page") / "aby.html"
    assert main(["report", "Aby", "--warehouse", str(warehouse), "--out", str(target)]) == 0
    return target.read_text(encoding="utf-8")


def _validated(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec, after checking it against the Vega-Lite JSON schema of the version vl-convert renders."""
    validate_jsonschema(spec, load_schema())
    return spec


def test_an_invalid_spec_is_caught_by_the_schema_check(aby_2020: ReportData) -> None:
    row = _row(aby_2020, data.K1, "liknande")
    spec = charts.peer_chart(_members(aby_2020, row), row, "Aby")
    spec["layer"][0]["mark"]["type"] = "staple"  # not a Vega-Lite mark
    with pytest.raises(ValidationError):
        _validated(spec)


def _layer_data(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a layer draws: its own data, else the data Altair hoisted to the top level."""
    return spec["datasets"][layer.get("data", spec.get("data"))["name"]]


def _row(report: ReportData, kpi: str, kind: str) -> dict[str, Any]:
    return report.rows.filter((pl.col("kpi_id") == kpi) & (pl.col("peer_set_kind") == kind)).to_dicts()[0]


def _members(report: ReportData, row: dict[str, Any]) -> pl.DataFrame:
    return report.peers.filter(
        (pl.col("peer_set_id") == row["peer_set_id"]) & (pl.col("kpi_id") == row["kpi_id"])
    )


def test_peer_chart_highlights_the_kommun_with_mean_and_riket(aby_2020: ReportData) -> None:
    row = _row(aby_2020, data.K1, "liknande")
    spec = _validated(charts.peer_chart(_members(aby_2020, row), row, "Aby"))
    bars, prel, rules = spec["layer"]
    assert bars["mark"]["type"] == "bar"
    shown = {(d["kommun"], d["värde"], d["markering"]) for d in _layer_data(spec, bars)}
    assert shown == {
        ("Aby", 50.0, "Aby"),
        ("Bby", 70.0, charts.OTHERS),
        ("Cby", 50.0, charts.OTHERS),
        ("Dby", 30.0, charts.OTHERS),
    }
    colour = bars["encoding"]["color"]
    assert colour["field"] == "markering"
    assert colour["scale"] == {
        "domain": ["Aby", charts.OTHERS],
        "range": [charts.BANDS["yellow"][0], charts.GREY],
    }
    y = bars["encoding"]["y"]
    assert y["sort"] == ["Bby", "Aby", "Cby", "Dby"]  # best first (higher is better), ties in id order
    assert y["title"] == "Kommun" and bars["encoding"]["x"]["title"] == "Värde 2020"
    assert '"Aby"' in y["axis"]["labelFontWeight"]["condition"]["test"]
    lines = {(d["linje"], d["värde"]) for d in _layer_data(spec, rules)}
    assert lines == {(charts.MEAN, 50.0), (charts.RIKET, 55.0)}
    assert "egen bearbetning" in charts.MEAN and "Källa: Kolada" in charts.RIKET
    assert rules["encoding"]["strokeDash"]["field"] == "linje"
    assert prel["transform"] == [{"filter": "datum.preliminärt"}]


def test_large_sets_become_a_strip_with_the_kommun_marked() -> None:
    members = pl.DataFrame(
        {
            "municipality_title": [f"K{i:02d}" for i in range(40)],
            "value": [float(i) for i in range(40)],
            "is_preliminary": [False] * 40,
            "is_selected": [i == 7 for i in range(40)],
        }
    )
    row = {"colour_band": "red", "year": 2020, "direction": "lower", "peer_set_title": "Riket: alla kommuner"}
    spec = _validated(charts.peer_chart(members, {**row, "peer_mean": 19.8, "national_value": None}, "K07"))
    ticks, point, label, rules = spec["layer"]
    assert [ticks["mark"]["type"], point["mark"]["type"], label["mark"]["type"]] == ["tick", "point", "text"]
    assert point["transform"] == [{"filter": 'datum.markering === "K07"'}]
    assert point["encoding"]["color"]["scale"]["range"][0] == charts.BANDS["red"][0]
    assert {(d["linje"], d["värde"]) for d in _layer_data(spec, rules)} == {(charts.MEAN, 19.8)}
    assert rules["encoding"]["strokeDash"]["scale"]["domain"] == [charts.MEAN]  # no Riket: not in the legend


def test_trend_chart_has_kommun_peer_means_and_riket(aby_2020: ReportData) -> None:
    trend = aby_2020.trend.filter(pl.col("kpi_id") == data.K1)
    spec = _validated(charts.trend_chart(trend, "Aby", "Syntetisk brukarbedömning"))
    lines, _points, preliminary = spec["layer"]
    values = {(d["serie"], d["år"]): d["värde"] for d in _layer_data(spec, lines)}
    assert {year: v for (serie, year), v in values.items() if serie == "Aby"} == {
        2017: 35.0,
        2019: 40.0,
        2020: 50.0,
    }
    assert {year: v for (serie, year), v in values.items() if serie == charts.RIKET} == {2020: 55.0}
    assert values[("Snitt liknande kommuner", 2019)] == pytest.approx((60 + 50 + 30) / 3)
    assert values[("Snitt liknande kommuner", 2020)] == 50.0
    assert not any(serie == "Snitt alla kommuner" for serie, _ in values)  # Riket is Kolada's value
    encoding = lines["encoding"]
    colour = encoding["color"]
    assert colour["field"] == "serie" and colour["scale"]["domain"][:2] == ["Aby", charts.RIKET]
    dash = encoding["strokeDash"]
    assert dash["scale"]["range"][1] == [5, 3]  # Riket dashed
    assert encoding["x"]["title"] == "År" and encoding["y"]["title"] == "Värde"
    assert preliminary["mark"]["filled"] is False and "preliminärt" in preliminary["transform"][0]["filter"]


def test_trend_marks_the_preliminary_year(warehouse: Path) -> None:
    report = report_data(warehouse, "0101", ComparisonFilter(kpis=[data.K1], peer_kind="liknande"))
    frame = charts.trend_frame(report.trend, "Aby")
    assert frame.filter(pl.col("serie") == "Aby").select("år", "preliminärt").rows() == [
        (2017, False),
        (2019, False),
        (2020, False),
        (2021, True),
    ]


def test_area_chart_this_year_against_last(aby_2020: ReportData, warehouse: Path) -> None:
    report = report_data(warehouse, "Aby", ComparisonFilter())  # latest ÖJ year 2021, and 2020
    spec = _validated(charts.area_chart(report.areas))
    shown = {(d["område"], d["år"], d["andel"]) for d in spec["datasets"][spec["data"]["name"]]}
    expected = set(report.areas.select("oj_area", pl.col("year").cast(pl.String), "share_positive").rows())
    assert shown == expected and {year for _, year, _ in shown} == {"2020", "2021"}
    assert spec["encoding"]["color"]["field"] == "år"
    assert spec["encoding"]["x"]["title"] == "Andel positiva faktorer"
    assert aby_2020.areas.filter(pl.col("is_current"))["year"].to_list() == [2020]


def test_svg_is_inline_ready_and_scalable(aby_2020: ReportData) -> None:
    row = _row(aby_2020, data.K1, "liknande")
    svg = render_svg(charts.peer_chart(_members(aby_2020, row), row, "Aby"), "Aby & <peers>")
    root = svg[: svg.index(">") + 1]
    assert "viewBox=" in root and "xmlns" not in root and 'aria-label="Aby &amp; &lt;peers&gt;"' in root
    assert "http" not in svg


def test_page_is_self_contained_and_attributed(page: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "Källa: Kolada" in page and "egen bearbetning" in page
    svgs = re.findall(r"<svg\b[^>]*>", page)
    # 8 KPIs × 5 peer sets (liknande, kommungrupp, län, riket, network) + a trend each + the ÖJ chart
    assert len(svgs) == 8 * 6 + 1 and all("viewBox" in s for s in svgs)
    assert '<meta name="viewport"' in page and "@media print" in page
    assert "preliminärt" in page  # U00001 2021
    assert "2025-12-01 01:00" in page  # fetched_at, Swedish time; no load run in this warehouse: okänt
    assert "Data laddad</dt><dd>okänt" in page
    assert "Syntetiskt område" in page and "Ingen ÖJ-faktordata" not in page


def test_year_and_peer_filters(warehouse: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "r.html"
    argv = ["report", "Aby", "--year", "2020", "--peers", "liknande", "--out", str(target)]
    assert main([*argv, "--warehouse", str(warehouse)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "2 av 4" in text and "Liknande kommuner IFO, Aby, 2024" in text
    assert "Grupp ett" not in text and "Syntetiskt nätverk" not in text
    assert str(target) in capsys.readouterr().out


def test_default_path_and_no_oj_data_note(warehouse: Path, tmp_path: Path, capsys) -> None:
    data_dir = tmp_path / "data"
    assert main(["report", "eby", "--warehouse", str(warehouse), "--data-dir", str(data_dir)]) == 0
    target = data_dir / "report-0105.html"  # ASCII name from the code, whatever the kommun's name
    text = target.read_text(encoding="utf-8")
    assert "Ingen ÖJ-faktordata laddad" in text and "Eby (0105)" in text
    out = capsys.readouterr().out
    assert str(target) in out and "KiB" in out
    assert [p.name for p in data_dir.iterdir()] == ["report-0105.html"]  # no temp file left


def test_a_year_without_rows_gives_a_page_that_says_so(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    assert main(["report", "Aby", "--year", "1990", "--warehouse", str(warehouse), "--out", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert "Inga jämförelserader för detta urval" in text and "<svg" not in text
    assert "Ingen ÖJ-faktordata laddad" in text


def test_hostile_titles_are_escaped(tmp_path: Path) -> None:
    warehouse = data.publish(tmp_path, networks=HOSTILE_NETWORK)
    target = tmp_path / "r.html"
    assert (
        main(["report", "Aby", "--peers", "network", "--warehouse", str(warehouse), "--out", str(target)])
        == 0
    )
    text = target.read_text(encoding="utf-8")
    assert "<script" not in text and "&lt;script&gt;alert(" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "Atlantis"], "no kommun has the code or name 'Atlantis'"),
        (["report", "Öst"], "'Öst' is ambiguous"),
        (["report", "Aby", "--peers", "friends"], "unknown peer set kind 'friends'"),
        (["report", "Aby", "--area", "skola"], "no area 'skola'"),
        (["report", "Aby", "--out", "report.pdf"], "--out must name an .html file"),
        (["report", "Aby", "--out", "missing-dir/r.html"], "does not exist"),
        (["report", "Aby", "--year", "tjugo"], "invalid int value"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    warehouse: Path, tmp_path: Path, monkeypatch, capsys, argv: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    try:
        code = main([*argv, "--warehouse", str(warehouse)])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_demo_writes_the_report_and_says_where(warehouse: Path, tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=200)
    target = write_demo_report(Paths(data_dir=tmp_path, warehouse=warehouse), console, "0101")
    assert target == tmp_path / "report-0101.html" and target.stat().st_size > 10_000
    assert str(target) in console.file.getvalue()


def test_numbers_are_written_the_swedish_way() -> None:
    assert number(26605.0) == "26\u00a0605"
    assert number(1.94681) == "1,9"
    assert number(0.834) == "0,83"
    assert number(-0.73, signed=True) == "−0,73"
    assert number(2071.0, signed=True) == "+2\u00a0071"
    assert number(-0.0001) == "0,00"
    assert number(None) == "–"


def test_neutral_kpi_section_says_value_order_and_has_no_colour(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    argv = ["report", "Aby", "--year", "2020", "--peers", "riket", "--out", str(target)]
    assert main([*argv, "--warehouse", str(warehouse)]) == 0
    text = target.read_text(encoding="utf-8")
    neutral = re.search(rf'<section class="kpi" id="kpi-{data.K3}">.*?</section>', text, re.S)
    directional = re.search(rf'<section class="kpi" id="kpi-{data.K1}">.*?</section>', text, re.S)
    assert neutral is not None and directional is not None
    section = neutral.group(0)
    assert "2 av 2 (1 = högst värde)" in section and "bäst" not in section
    # the chip is plain ink, not a band colour (the kommun's trend line keeps its own blue)
    assert '<span class="chip neutral" style="background:#222222">Ingen färg</span>' in section
    assert "2 av 4" not in section and "1 = bäst" in directional.group(0)
