"""The reference files: the bundled ones validate against the real dimensions; bad ones fail the load."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.reference import (
    NetworkError,
    ReferenceConfigError,
    ReferenceFiles,
    apply_reference,
    reference_frames,
)
from tests import comparison_data as data
from tests.kolada_pages import metadata_pages
from transforms.kolada.groups import kpi_groups
from transforms.kolada.kpi import kpi_dimension
from transforms.kolada.municipality import municipality_dimension
from warehouse.publish import building, connect_readonly
from warehouse.reference import ReferenceInputs

SKL_IFO = {"0561", "0860", "0821", "0834", "0760", "0884"}


@pytest.fixture(scope="module")
def real_inputs() -> ReferenceInputs:
    """The current dimensions from the real v3 metadata fixtures (kpi groups: v2 2024-01)."""
    units = municipality_dimension(
        metadata_pages("municipality"), metadata_pages("municipality_groups")
    ).valid
    kpis = kpi_dimension(metadata_pages("kpi")).valid
    groups, members, _ = kpi_groups(metadata_pages("kpi_groups"))
    return ReferenceInputs(
        municipalities=units.select("municipality_id", "title", "kind"),
        kpis=kpis.select("kpi_id", "title", "description", "operating_area", "perspective"),
        kpi_group_members=members.join(groups.rename({"title": "group_title"}), on="kpi_group_id").select(
            "kpi_group_id", "group_title", "kpi_id", "member_title"
        ),
    )


def test_bundled_files_validate_against_the_real_dimensions(real_inputs: ReferenceInputs) -> None:
    frames = reference_frames(real_inputs, ReferenceFiles.from_env())
    members = frames["core.ref_network_member"]
    assert set(members["member_id"]) == SKL_IFO
    assert frames["core.ref_network"]["network_id"].to_list() == ["skl-ifo"]
    directions = dict(frames["core.ref_kpi_direction"].select("kpi_id", "direction").iter_rows())
    assert (directions["U33401"], directions["U21468"], directions["N21009"]) == (
        "lower",
        "higher",
        "neutral",
    )
    areas = dict(frames["core.ref_kpi_peer_area"].select("kpi_id", "peer_area").iter_rows())
    assert (areas["N31807"], areas["U30452"], areas["N28892"], areas["U21468"]) == (
        "ekonomiskt bistånd",
        "IFO",
        "LSS",
        "äldreomsorg",
    )
    factors = frames["core.ref_oj_factor"]
    assert set(factors["kpi_group_id"]) == {
        "GKPI251",
        "GKPI119",
        "GKPI122",
        "GKPI128",
        "GKPI202",
        "GKPI297",
        "GKPI255",
        "GKPI89",
    }
    # codings come from the current (2026) catalogue's titles: of the 2024 group members only 15 rows
    # (12 KPIs) are still in it with a coding; the rest are listed with the reason, never guessed
    statuses = dict(factors.group_by("coding_status").len().iter_rows())
    assert statuses == {"parsed": 15, "no coding": 49, "not in catalogue": 305}
    assert factors.filter(pl.col("coding_status") != "parsed")["reason"].null_count() == 0
    best = {(r["kpi_group_id"], r["kpi_id"]): r["best_label"] for r in factors.to_dicts()}
    assert (best[("GKPI255", "U30426")], best[("GKPI255", "U30464")], best[("GKPI255", "U30446")]) == (
        "Ja",  # (Ja=1, Nej=2)
        "Ja",
        "Överskott",
    )
    answers = frames["core.ref_oj_answer"]
    assert answers.filter(pl.col("kpi_id") == "U30426", "is_positive")["code"].to_list() == [1]


def test_environment_selects_another_networks_file(
    real_inputs: ReferenceInputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "networks:\n  - {name: par, title: Par, members: [Åtvidaberg, '0180']}\n", encoding="utf-8"
    )
    monkeypatch.setenv("JAMFOR_NETWORKS_FILE", str(path))
    members = reference_frames(real_inputs, ReferenceFiles.from_env())["core.ref_network_member"]
    assert members["member_id"].to_list() == ["0561", "0180"]


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        (
            "networks:\n  - {name: x, title: X, members: [Åtvidaberg, Atlantis]}\n",
            NetworkError,
            "network 'x': member 'Atlantis' matches no kommun code or name",
        ),
        (
            "networks:\n  - {name: x, title: X, members: [0561, '0860']}\n",
            ReferenceConfigError,
            "quote codes",
        ),
        (
            "networks:\n  - {name: x, title: X, members: [a, b], colour: red}\n",
            ReferenceConfigError,
            "colour",
        ),
        ("networks: [\n", ReferenceConfigError, "not valid YAML"),
    ],
)
def test_bad_networks_files_fail_with_one_line(
    real_inputs: ReferenceInputs, tmp_path: Path, text: str, error: type[Exception], message: str
) -> None:
    path = tmp_path / "networks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=message) as caught:
        reference_frames(real_inputs, ReferenceFiles.from_env(networks=path))
    assert "\n" not in str(caught.value)


def test_a_bad_network_fails_the_load_and_leaves_the_published_file(tmp_path: Path) -> None:
    warehouse = data.publish(tmp_path, run_id="first")
    bad = data.reference_files(
        tmp_path, networks="networks:\n  - {name: trio, title: T, members: [Aby, Nowhere]}\n"
    )
    with pytest.raises(NetworkError, match="member 'Nowhere'"), building(warehouse, run_id="second") as con:
        apply_reference(con, bad)
    con = connect_readonly(warehouse)
    try:
        assert con.execute("SELECT count(*) FROM core.ref_network_member").fetchall() == [(3,)]
    finally:
        con.close()


def test_reference_tables_are_replaced_not_appended(tmp_path: Path) -> None:
    con = duckdb.connect(":memory:")
    from warehouse.ddl import ensure_schema

    ensure_schema(con)
    data.load_dimensions(con)
    files = data.reference_files(tmp_path)
    first = apply_reference(con, files)
    assert apply_reference(con, files) == first
    assert first["core.ref_network_member"] == 3


def test_no_networks_is_allowed(real_inputs: ReferenceInputs, tmp_path: Path) -> None:
    path = tmp_path / "networks.yaml"
    path.write_text("networks: []\n", encoding="utf-8")
    frames = reference_frames(real_inputs, ReferenceFiles.from_env(networks=path))
    assert frames["core.ref_network"].height == frames["core.ref_network_member"].height == 0
