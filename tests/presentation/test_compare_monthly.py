"""`jamfor compare KOMMUN --monthly` and the report's monthly section, through the CLI, on a warehouse
holding the real Kolada units, networks.yaml and the real Socialstyrelsen page (ekonomiskt bistånd,
antal hushåll per month, Jan-Aug 2017) plus the SYNTHETIC network file of tests/monthly_data."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from pipeline.files import load_files
from tests.monthly_data import BISTAND_PAGE, INRIKES, NETWORK_CSV, with_units


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare_monthly")
    path = with_units(root / "jamfor.duckdb")
    network = root / "natverk_manad.csv"
    network.write_text(NETWORK_CSV, encoding="utf-8")
    load_files([BISTAND_PAGE, network], warehouse=path)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_table_shows_months_against_each_peer_set(warehouse: Path, capsys) -> None:
    code, out, err = run(["compare", "0561", "--monthly", "--warehouse", str(warehouse)], capsys)
    assert code == 0, err
    out = " ".join(out.split())  # titles wrap at the console width
    assert (
        "Åtvidaberg (0561): Ekonomiskt bistånd, Antal hushåll · Inrikes födda, against Kommuner i län 05"
        in out
    )
    assert "Riket: alla kommuner (riket)" in out and "(network)" in out
    assert "2017-01" in out and "2017-08" in out and "1 = högst värde" in out
    assert "Källa: Socialstyrelsen" in out and "Källa: nätverkets egen fil" in out
    assert "Egen bearbetning" in out


def test_json_is_the_marts_rows(warehouse: Path, capsys) -> None:
    argv = ["compare", "Åtvidaberg", "--monthly", "--peers", "riket", "--format", "json"]
    code, out, _ = run([*argv, "--warehouse", str(warehouse)], capsys)
    assert code == 0
    rows = json.loads(out)
    assert {r["peer_set_id"] for r in rows} == {"riket"} and {r["municipality_id"] for r in rows} == {"0561"}
    january = [r for r in rows if r["period"] == "2017-01" and r["breakdown"] == INRIKES]
    assert len(january) == 1 and january[0]["value"] == 72.0 and january[0]["n_peers"] == 289
    assert len(rows) == 2 * 8  # two breakdowns x the page's eight months


def test_csv_parses_and_year_filter(warehouse: Path, capsys) -> None:
    argv = ["compare", "0561", "--monthly", "--peers", "network:skl-ifo", "--year", "2024", "--format", "csv"]
    code, out, _ = run([*argv, "--warehouse", str(warehouse)], capsys)
    assert code == 0
    frame = pl.read_csv(io.StringIO(out), schema_overrides={"municipality_id": pl.String})
    assert frame.select("source", "period", "value", "rank_in_peers", "delta_prev_year").rows() == [
        ("network:skl-ifo", "2024-03", 10.0, 1, -6.0)  # SYNTHETIC values
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "Ingenstans", "--monthly"], "no kommun has the code or name 'Ingenstans'"),
        (
            ["compare", "0561", "--monthly", "--year", "1999"],
            "no monthly figures for Åtvidaberg (0561) with year 1999",
        ),
        (["compare", "0561", "--monthly", "--peers", "liknande"], "monthly figures have the peer sets"),
        (["compare", "0561", "--monthly", "--kpi", "N31807"], "--monthly takes --peers and --year"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(warehouse: Path, capsys, argv: list[str], message: str) -> None:
    code, out, err = run([*argv, "--warehouse", str(warehouse)], capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_no_monthly_data_at_all(tmp_path: Path, capsys) -> None:
    path = with_units(tmp_path / "units_only.duckdb")  # no file loaded: the mart is missing or empty
    code, _, err = run(["compare", "0561", "--monthly", "--warehouse", str(path)], capsys)
    assert code == 2 and "no monthly figures for Åtvidaberg (0561)" in err and "jamfor load files" in err


class _Page(HTMLParser):
    """Collects the ids of sections and the svg elements inside #manad."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.monthly_svgs = 0
        self._in_monthly = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.sections.append(dict(attrs).get("id") or "")
            self._in_monthly = dict(attrs).get("id") == "manad"
        if tag == "svg" and self._in_monthly:
            self.monthly_svgs += 1


def test_report_has_the_monthly_section(warehouse: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.html"
    code, _, err = run(["report", "0561", "--warehouse", str(warehouse), "--out", str(out)], capsys)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert "manad" in page.sections
    assert page.monthly_svgs == 3  # two breakdowns of the register, one network measure
    section = text[text.index('<section id="manad">') :]
    section = section[: section.index("</section>")]
    assert "Månadsuppföljning" in section and "Källa: Socialstyrelsen" in section
    assert "Källa: nätverkets egen fil (skl-ifo)" in section and "egen bearbetning" in section
    assert "Snitt övriga i länet (egen bearbetning)" in section  # the chart's legend
    assert "2017-08" in section


def test_report_without_monthly_data_has_no_section(tmp_path: Path, capsys) -> None:
    path = with_units(tmp_path / "units_only.duckdb")
    out = tmp_path / "r.html"
    assert run(["report", "0561", "--warehouse", str(path), "--out", str(out)], capsys)[0] == 0
    assert 'id="manad"' not in out.read_text(encoding="utf-8")


def test_csv_defuses_a_formula_like_measure_name_json_keeps_it(tmp_path: Path, capsys) -> None:
    """A network file's own text reaches the monthly CSV: a formula-like name is defused (SYNTHETIC)."""
    formula = '=HYPERLINK("http://example.invalid")'
    path = with_units(tmp_path / "w.duckdb")
    network = tmp_path / "natverk.csv"
    network.write_text(
        "nätverk;kommun;mått;måttnamn;period;värde\n"
        f"skl-ifo;0561;X1;{formula};2024-05;3\nskl-ifo;0860;X1;{formula};2024-05;4\n",
        encoding="utf-8",
    )
    load_files([network], warehouse=path)
    argv = ["compare", "0561", "--monthly", "--warehouse", str(path), "--format"]
    _, csv_out, _ = run([*argv, "csv"], capsys)
    _, json_out, _ = run([*argv, "json"], capsys)
    assert pl.read_csv(io.StringIO(csv_out))["measure_title"].to_list() == ["'" + formula]
    assert [r["measure_title"] for r in json.loads(json_out)] == [formula]
    code, out, _ = run(argv[:-1], capsys)
    assert code == 0 and "1 = högst värde" in out  # no riktning: neutral, ranked in value order


def test_monthly_chart_specs_are_valid_vega_lite(warehouse: Path) -> None:
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    from presentation import report_monthly
    from warehouse.monthly_query import monthly_trend

    months = report_monthly.groups(monthly_trend(warehouse, "0561"))
    assert len(months) == 3
    for rows in months:
        spec = report_monthly.monthly_chart(rows, "Åtvidaberg", report_monthly.chart_title(rows))
        validate_jsonschema(spec, load_schema())  # raises on anything Vega-Lite would not accept
        lines, points = spec["layer"]
        assert lines["mark"]["type"] == "line" and points["transform"] == [
            {"filter": "datum.serie === " + json.dumps("Åtvidaberg")}
        ]
        assert spec["datasets"][spec["data"]["name"]], "the chart draws rows"
