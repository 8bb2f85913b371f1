"""presentation.csv_out: text cells a spreadsheet would run as formulas get a leading quote; numbers not."""

from __future__ import annotations

import io

import polars as pl

from presentation.csv_out import defuse_formulas, spreadsheet_csv


def test_formula_like_text_is_prefixed_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "kpi_title": ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "Andel", None],
            "value": [-3.5, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, None],
            "rank": [-1, 1, 2, 3, 4, 5, 6, None],
        }
    )
    safe = defuse_formulas(frame)
    assert safe["kpi_title"].to_list() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "Andel",
        None,
    ]
    assert safe["value"].to_list() == frame["value"].to_list() and safe["rank"].dtype == pl.Int64
    back = pl.read_csv(io.StringIO(spreadsheet_csv(frame)))
    assert back["value"].dtype == pl.Float64 and back["value"][0] == -3.5
    assert back["rank"][0] == -1
    assert back["kpi_title"][0] == '\'=HYPERLINK("http://x")'
