"""json-stat2 decoding by index arithmetic: real v1/v2 answers, sparse values and status, bad documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from sources.fixtures import fixtures_dir
from transforms.files.jsonstat import JsonStatError, decode_jsonstat2


def doc(name: str) -> dict[str, Any]:
    return json.loads((fixtures_dir() / "scb" / name).read_text("utf-8"))


def test_v2_monthly_population_cube() -> None:
    ds = decode_jsonstat2(doc("pxweb_v2/TAB6471_data.json"))
    assert ds.table_id == "TAB6471" and ds.time_dims == ["Tid"] and ds.metric_dims == ["ContentsCode"]
    assert ds.dims == ["Region", "Alder", "Kon", "ContentsCode", "Tid"] and ds.frame.height == 2772
    first = ds.frame.head(5).select("Region", "Alder", "Kon", "Tid", "value").rows()
    assert first == [
        ("01", "0-9", "TotSa", "2026M01", 245284.0),
        ("01", "0-9", "TotSa", "2026M02", 247245.0),
        ("01", "0-9", "TotSa", "2026M03", 249358.0),
        ("01", "0-9", "TotSa", "2026M04", 251635.0),
        ("01", "0-9", "1", "2026M01", 125373.0),
    ]
    # the last cell is the last län, last age group, kvinnor, April
    last = ds.frame.tail(1).select("Region", "Alder", "Kon", "Tid").row(0)
    assert last == ("25", ds.frame["Alder"][-1], "2", "2026M04")
    assert ds.frame["value"].to_list() == doc("pxweb_v2/TAB6471_data.json")["value"]
    assert ds.labels["Region"]["01"] == "Stockholms län"


def test_v1_answer_without_region() -> None:
    ds = decode_jsonstat2(doc("pxweb_v1/response_se.json"))
    assert ds.table_id == "TAB3554" and "Region" not in ds.dims
    assert ds.frame.select("Kon", "Tid", "value").rows()[:4] == [
        ("1", "2020", 332.8),
        ("1", "2021", 343.9),
        ("1", "2022", 359.9),
        ("2", "2020", 254.6),
    ]


def test_sparse_values_status_and_array_index() -> None:
    # synthetic: the v1 answer rewritten as a sparse document with an array index and a status object
    d = doc("pxweb_v1/response_se.json")
    d["value"] = {"0": 332.8, "8": 316.6}
    d["status"] = {"1": ".."}
    d["dimension"]["Tid"]["category"]["index"] = ["2020", "2021", "2022"]
    ds = decode_jsonstat2(d)
    assert ds.frame["value"].to_list() == [332.8, None, None, None, None, None, None, None, 316.6]
    assert ds.frame["status"].to_list()[:3] == [None, "..", None]
    assert ds.frame["Tid"].to_list()[:3] == ["2020", "2021", "2022"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update({"class": "collection"}), "not a json-stat2 dataset"),
        (lambda d: d.update({"size": [3, 1, 1]}), "does not match id"),
        (lambda d: d["dimension"].pop("Tid"), "dimension entries missing"),
        (lambda d: d.update({"value": d["value"][:-1]}), "has 8 entries but the sizes multiply to 9"),
        (lambda d: d["value"].__setitem__(2, "359,9"), "value at cell 2 is '359,9', not a number"),
        (
            lambda d: d["dimension"]["Kon"]["category"]["index"].update({"1": 5}),
            "index positions are not 0..2",
        ),
        (lambda d: d.update({"value": {"99": 1}}), "not a cell position below 9"),
    ],
)
def test_malformed_documents(change: Any, message: str) -> None:
    d = copy.deepcopy(doc("pxweb_v1/response_se.json"))
    change(d)
    with pytest.raises(JsonStatError, match=message):
        decode_jsonstat2(d, name="x.json")
