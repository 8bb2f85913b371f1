"""Register files to core.register_value frames: the ekonomiskt bistånd table cell by cell, the CSV
export with soft hyphens, the statistics-API rows, a non-population SCB table."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.files import read_delivery
from sources.fixtures import fixtures_dir
from tests.transforms.files.conftest import parsed
from transforms.files.jsonstat import decode_jsonstat2
from transforms.files.registers import (
    register_from_api_rows,
    register_from_export,
    register_from_jsonstat,
    register_from_result_page,
)

HTML = "socialstyrelsen/sdb_web/ekonomiskt_bistand_2017_antal_hushall_resultat.html"
HOUSEHOLD = "Inrikes- eller utrikesfödda hushåll"


def _page(path: Path | str, reference: pl.DataFrame):
    p = read_delivery(path if isinstance(path, Path) else fixtures_dir() / path)
    t = p.table
    return register_from_result_page(
        t.to_frame(), t.header, t.groups, t.title, reference, p.raw.name, t.notes
    )


@pytest.fixture(scope="module")
def bistand(reference: pl.DataFrame):
    return _page(HTML, reference)


def test_every_cell_of_the_bistand_table(bistand) -> None:
    v = bistand.valid
    assert (bistand.rows_in, v.height, bistand.quarantine.height) == (4656, 4656, 0)  # 582 rows x 8 months
    assert v["municipality_id"].n_unique() == 291 and v["period"].n_unique() == 8
    assert sorted(v["period"].unique()) == [f"2017-{m:02d}" for m in range(1, 9)]
    counts = dict(v.group_by("status").len().rows())
    assert counts == {"ok": 4274, "suppressed": 211, "not_reported": 171}
    assert v.filter(pl.col("status") != "ok")["value"].null_count() == 382  # markers never become numbers
    assert set(v["measure"]) == {"Ekonomiskt bistånd, Antal hushåll"} and set(v["source"]) == {
        "socialstyrelsen"
    }
    assert set(v["breakdown"]) == {
        f"{HOUSEHOLD}=Inrikes födda",
        f"{HOUSEHOLD}=En av sökande/sambo utrikesfödd",
    }


def test_bistand_exact_values(bistand) -> None:
    riket = bistand.valid.filter(
        (pl.col("municipality_id") == "0000") & (pl.col("breakdown") == f"{HOUSEHOLD}=Inrikes födda")
    ).sort("period")
    assert riket["value"].to_list() == [None, None, 44164.0, 44885.0, 44737.0, 43925.0, 42817.0, 42634.0]
    assert riket["status"].to_list()[:3] == ["not_reported", "not_reported", "ok"]
    botkyrka = bistand.valid.filter((pl.col("municipality_id") == "0127") & (pl.col("period") == "2017-01"))
    assert botkyrka.filter(pl.col("breakdown").str.ends_with("Inrikes födda"))["value"].to_list() == [257.0]


def test_unknown_region_and_bad_cell_are_quarantined(tmp_path: Path, reference: pl.DataFrame) -> None:
    # synthetic: the real page with one region renamed and one cell made unreadable
    html = (fixtures_dir() / HTML).read_text("utf-8")
    html = html.replace("<td>Botkyrka</td>", "<td>Botkyrka stadsdel</td>", 1)
    html = html.replace('<td align="right">44&nbsp;164</td>', '<td align="right">44,1,64</td>', 1)
    path = tmp_path / "bistand.html"
    path.write_text(html, encoding="utf-8")
    result = _page(path, reference)
    assert result.rows_in == 4656 and result.valid.height + result.quarantine.height == 4656
    reasons = result.quarantine["failed_check"].to_list()
    assert sum("unknown region name 'Botkyrka stadsdel'" in r for r in reasons) == 8
    bad = [r for r in reasons if "not a number" in r]
    assert len(bad) == 1 and "column 'Mars': not a number or status marker (got '44,1,64')" in bad[0]
    assert bad[0].startswith("bistand.html, row ")


def test_export_with_soft_hyphens(reference: pl.DataFrame) -> None:
    p = parsed("socialstyrelsen/sdb_web/Statistikdatabasen_10_antibiotics.csv")
    result = register_from_export(p.table.to_frame(), p.table.header, reference, p.raw.name, p.table.notes)
    v = result.valid
    assert (result.rows_in, v.height, result.quarantine.height) == (228, 228, 0)
    assert set(v["measure"]) == {"Patienter/1000 invånare"} and set(v["municipality_id"]) == {"0000"}
    sept = v.filter(pl.col("period") == "2024-09").sort("value", descending=True)
    first = v.filter((pl.col("period") == "2024-09") & pl.col("breakdown").str.ends_with("Ålder=0-4"))
    assert first["breakdown"].to_list() == ["Läkemedel=A07AA Antibiotika | Kön=Båda könen | Ålder=0-4"]
    assert first["value"].to_list() == [1.54]
    assert sept.height == 19 and v["period"].n_unique() == 12
    assert not v["breakdown"].str.contains("\u00ad").any()


def test_api_rows(reference: pl.DataFrame) -> None:
    p = parsed("socialstyrelsen/sdb_api/adhd_medication_2006-tbc.json")
    result = register_from_api_rows(p.document, reference, p.raw.name)
    v = result.valid
    assert (result.rows_in, v.height, result.quarantine.height) == (14806, 14806, 0)
    assert set(v["measure"]) == {"lakemedel/matt=2"}
    assert sorted(v["municipality_id"].unique())[:3] == ["0000", "0001", "0003"]
    first = v.filter(
        (pl.col("breakdown") == "alderId=1 | atcId=C02AC02 | konId=1") & (pl.col("municipality_id") == "0000")
    ).sort("period")
    assert first.select("period", "value").rows()[0] == ("2016", 0.01)


def test_scb_table_other_than_population(reference: pl.DataFrame) -> None:
    ds = decode_jsonstat2(parsed("scb/pxweb_v1/response_se.json").document)
    result = register_from_jsonstat(ds, reference, "response_se.json")
    v = result.valid.sort("breakdown", "period")
    assert (
        v.height == 9 and set(v["measure"]) == {"TAB3554/HE0110J8"} and set(v["municipality_id"]) == {"0000"}
    )
    assert v.filter(pl.col("breakdown") == "Kon=1+2 | Alder=tot16+")["value"].to_list() == [
        291.9,
        301.5,
        316.6,
    ]
