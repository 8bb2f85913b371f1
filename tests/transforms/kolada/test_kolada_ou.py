"""ou_dimension on the real v2 (2024-01) list of 35,368 organisational units."""

from __future__ import annotations

import polars as pl

from schemas.kolada import Ou
from tests.kolada_pages import fixture_records, metadata_pages, pages_from_records
from transforms.kolada.ou import ou_dimension


def test_all_real_ous_pass() -> None:
    pages = metadata_pages("ou")
    assert pages.height == 8
    valid, quarantine = ou_dimension(pages)
    assert quarantine.height == 0
    assert valid.height == 35_368
    assert valid.columns == ["ou_id", "municipality_id", "title", "ou_type"]
    Ou.validate(valid)
    types = dict(valid.group_by("ou_type").len().iter_rows())
    assert types["V21"] == 3990 and types["V23"] == 4004
    regional = valid.filter(pl.col("ou_id").is_in(["V60U11001", "V11E26.."]))
    assert dict(regional.select("ou_id", "ou_type").iter_rows()) == {"V60U11001": "V60", "V11E26..": "V11"}


def test_bad_ous_are_quarantined() -> None:
    ous = fixture_records("ou")[:100]
    bad = [ous[10] | {"id": "X21E1"}, ous[11] | {"municipality": "0180x"}, ous[12] | {"title": "Ã–STRA"}]
    valid, quarantine = ou_dimension(pages_from_records(ous + bad, "ou"))
    # the renamed copy of ous[10] is simply invalid; the two changed copies clash with their originals
    assert valid.height == 98 and quarantine.height == 5
    reasons = quarantine.group_by("natural_key", maintain_order=True).agg("failed_check")
    reasons = dict(reasons.iter_rows())
    assert reasons["X21E1"] == [
        r"ou_id: str_matches('^V\d{2}[EU][0-9.]+$') (got X21E1); ou_type: str_matches('^V\d{2}$') (got X21)"
    ]
    assert reasons[ous[11]["id"]] == [
        "duplicate natural key",
        r"duplicate natural key; municipality_id: str_matches('^\d{4}$') (got 0180x)",
    ]
    assert reasons[ous[12]["id"]][1] == "duplicate natural key; title: no_mojibake (got Ã–STRA)"
