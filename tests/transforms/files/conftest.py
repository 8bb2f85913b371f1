"""Shared: the region reference built from the real municipality fixture, and parsed fixture files."""

from __future__ import annotations

import polars as pl
import pytest

from sources.files import ParsedFile, read_delivery, read_municipality_list
from sources.fixtures import fixtures_dir
from transforms.files.regions import build_reference


@pytest.fixture(scope="session")
def reference() -> pl.DataFrame:
    return build_reference(read_municipality_list(fixtures_dir() / "municipalities/municipality_county.csv"))


def parsed(name: str) -> ParsedFile:
    return read_delivery(fixtures_dir() / name)
