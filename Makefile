# jamfor: two commands on a fresh machine, `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# the newest DuckDB CLI on PyPI, a 1.x reader: tests open the published warehouse with it
DUCKDB_CLI_VERSION := 1.5.6
DUCKDB_CLI_STAMP := .tools/duckdb-cli/.installed-$(DUCKDB_CLI_VERSION)
export JAMFOR_DATA_DIR ?= data
# test processes: CI has 2 cores; each worker takes whole modules (module fixtures such as one Prefect
# server are started once), `make test TEST_WORKERS=0` runs in one process
TEST_WORKERS ?= 2

.PHONY: demo test soak lint venv tools chromium clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

# tools the tests drive from outside Python, each in its own folder (not in .venv)
$(DUCKDB_CLI_STAMP): | $(STAMP)
	rm -rf .tools/duckdb-cli
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --target .tools/duckdb-cli duckdb-cli==$(DUCKDB_CLI_VERSION)
	touch $(DUCKDB_CLI_STAMP)

# Debian's chromium for the report's browser test, installed only when missing and we may (root, apt-get);
# elsewhere the test skips and says why (under CI it fails)
chromium:
	@command -v chromium >/dev/null || ! command -v apt-get >/dev/null || [ "$$(id -u)" != 0 ] || \
	  { timeout 300 apt-get update -q >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -q chromium >/dev/null; }

tools: $(DUCKDB_CLI_STAMP) chromium

demo: $(STAMP)
	$(BIN)/jamfor demo

test: $(STAMP) tools
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -m "not soak" -n $(TEST_WORKERS) --dist loadscope

soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) .tools data .pytest_cache .ruff_cache
