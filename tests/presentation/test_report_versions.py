"""`jamfor report` marks what compare marks, on real data (tests/peer_versions_data, Åtvidaberg 0561):
a value older than its KPI's newest year by more than JAMFOR_OUTDATED_YEARS, a Liknande group version
of another year than the value, and a legend that says what the labels mean."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flows.cli import main
from tests import peer_versions_data as real


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return real.build(tmp_path_factory.mktemp("report_versions"))


def _page(warehouse: Path, target: Path) -> str:
    assert main(["report", real.ANCHOR, "--warehouse", str(warehouse), "--out", str(target)]) == 0
    page = target.read_text(encoding="utf-8")
    HTMLParser().feed(page)
    return page


def _section(page: str, kpi: str) -> str:
    start = page.index(f'<section class="kpi" id="kpi-{kpi}">')
    return page[start : page.index("</section>", start)]


def test_old_values_and_other_year_groups_are_marked_with_a_legend(warehouse: Path, tmp_path: Path) -> None:
    page = _page(warehouse, tmp_path / "r.html")
    old = '<span class="old">äldre värde: nyckeltalets senaste år är 2022</span>'
    # U31402 2017: old, and compared within the IFO group's 2022 version (none of 2017 exists)
    u31402 = _section(page, "U31402")
    assert f"<b>2017</b> {old}" in u31402
    vintage = '<span class="vintage">grupp från 2022, värde från 2017</span>'
    assert f"Liknande kommuner IFO, Åtvidaberg, 2022 {vintage}" in u31402
    assert u31402.count(vintage) == 2  # the peer table row and the chart's caption
    assert old in _section(page, "U23401") and old in _section(page, "U33401")
    # N30005 2022: current, and compared within the group version of its own year: no label
    n30005 = _section(page, "N30005")
    assert 'class="old"' not in n30005 and 'class="vintage"' not in n30005
    assert "Liknande kommuner IFO, Åtvidaberg, 2022</td>" in n30005
    # the overview marks the year, the legend explains the labels
    assert re.search(r'>2018 <span class="old">äldre</span><', page)
    assert "Märkningar:" in page and "mer än 2 år äldre än\n nyckeltalets senaste år" in page
    assert '<span class="vintage">grupp från 2024</span> jämfört inom Liknande kommuner-gruppen' in page


def test_the_threshold_is_the_setting(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAMFOR_OUTDATED_YEARS", "5")
    page = _page(warehouse, tmp_path / "r.html")
    assert 'class="old"' not in _section(page, "U31402")  # 2017 is 5 years older: not more than 5
    assert 'class="old"' in _section(page, "U33401")  # 2014: 8 years
    assert "mer än 5 år äldre" in page
