"""Network members resolved against a small SYNTHETIC unit dimension (codes and names invented)."""

from __future__ import annotations

import re

import polars as pl
import pytest

from transforms.comparison.networks import NetworkError, NetworkSpec, resolve_networks

UNITS = pl.DataFrame(
    {
        "municipality_id": ["0101", "0102", "0103", "0104", "0001", "G7"],
        "title": ["Aby", "Bby", "Cby", "CBY", "Region Ett", "Aby"],
        "kind": ["kommun", "kommun", "kommun", "kommun", "region", "group"],
    }
)


def _resolve(*members: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    return resolve_networks([NetworkSpec("net", "Nätverk", "", members)], UNITS, source="networks.yaml")


def test_codes_and_names_resolve_case_insensitively() -> None:
    networks, members = _resolve("0101", "bby", "0103")
    assert networks.row(0, named=True)["n_members"] == 3
    assert members["member_id"].to_list() == ["0101", "0102", "0103"]
    assert members["member_title"].to_list() == ["Aby", "Bby", "Cby"]
    assert members["given_as"].to_list() == ["0101", "bby", "0103"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (("0101", "Nowhere"), "network 'net': member 'Nowhere' matches no kommun code or name"),
        (("0101", "9999"), "member '9999' matches no kommun"),
        (("0101", "cby"), "member 'cby' is ambiguous: matches 0103 Cby, 0104 CBY"),
        (("0101", "0001"), "member '0001' is 0001 Region Ett (region), not a kommun"),
        (("0101", "Aby"), "is listed twice"),
        (("0101",), "needs at least 2 members"),
    ],
)
def test_unusable_members_fail_with_one_line_naming_network_and_member(members: tuple, message: str) -> None:
    with pytest.raises(NetworkError, match=re.escape(message)) as caught:
        _resolve(*members)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("networks.yaml: ")


def test_duplicate_and_malformed_network_names() -> None:
    spec = NetworkSpec("net", "Nätverk", "", ("0101", "0102"))
    with pytest.raises(NetworkError, match="defined twice"):
        resolve_networks([spec, spec], UNITS, source="f")
    with pytest.raises(NetworkError, match="letters, digits"):
        resolve_networks([NetworkSpec("a b", "x", "", ("0101", "0102"))], UNITS, source="f")
