"""settings.config: JAMFOR_* memory and batching settings, the outdated-value threshold, and their errors."""

from __future__ import annotations

import pytest

from settings.config import Paths, Tuning, outdated_years


def test_defaults_bound_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "JAMFOR_DUCKDB_MEMORY_LIMIT",
        "JAMFOR_DUCKDB_THREADS",
        "JAMFOR_VALUE_BATCH_PAGES",
        "JAMFOR_MART_CHUNK_VALUES",
    ):
        monkeypatch.delenv(name, raising=False)
    tuning = Tuning.from_env()
    assert tuning == Tuning()
    assert tuning.duckdb_config() == {"memory_limit": "1536MB"}


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_DUCKDB_MEMORY_LIMIT", "6GB")
    monkeypatch.setenv("JAMFOR_DUCKDB_THREADS", "2")
    monkeypatch.setenv("JAMFOR_VALUE_BATCH_PAGES", "7")
    monkeypatch.setenv("JAMFOR_MART_CHUNK_VALUES", "250000")
    tuning = Tuning.from_env()
    assert (tuning.value_batch_pages, tuning.mart_chunk_values) == (7, 250_000)
    assert tuning.duckdb_config() == {"memory_limit": "6GB", "threads": "2"}


@pytest.mark.parametrize("value", ["many", "0", "-3", "1.5"])
def test_bad_numbers_name_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("JAMFOR_VALUE_BATCH_PAGES", value)
    with pytest.raises(ValueError, match="JAMFOR_VALUE_BATCH_PAGES"):
        Tuning.from_env()


def test_bad_memory_limit_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAMFOR_DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="JAMFOR_DUCKDB_MEMORY_LIMIT"):
        Tuning.from_env()


def test_outdated_years_default_zero_and_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAMFOR_OUTDATED_YEARS", raising=False)
    assert outdated_years() == 2
    monkeypatch.setenv("JAMFOR_OUTDATED_YEARS", "0")  # 0: every value older than the newest year
    assert outdated_years() == 0
    for bad, message in (("-1", "must be 0 or more"), ("two", "is not a whole number")):
        monkeypatch.setenv("JAMFOR_OUTDATED_YEARS", bad)
        with pytest.raises(ValueError, match=f"JAMFOR_OUTDATED_YEARS='{bad}' {message}"):
            outdated_years()


def test_the_warehouse_path_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("JAMFOR_WAREHOUSE", raising=False)
    monkeypatch.setenv("JAMFOR_DATA_DIR", str(tmp_path))
    assert Paths.from_env().warehouse == tmp_path / "jamfor.duckdb"
    monkeypatch.setenv("JAMFOR_WAREHOUSE", str(tmp_path / "x.duckdb"))
    assert Paths.from_env().warehouse == tmp_path / "x.duckdb"
