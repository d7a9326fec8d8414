# tenderhub — the one place for the documented commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?=

.PHONY: help demo test test-sqlite test-pg lint typecheck imports serve scenarios clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tenderhub needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) ## install on first run, then run the built-in procurement on SQLite
	$(BIN)/tenderhub demo $(if $(DATA_DIR),--data-dir $(DATA_DIR))

serve: $(STAMP) ## start the hub and two trading platforms on SQLite (http://127.0.0.1:8000)
	$(BIN)/tenderhub serve $(if $(DATA_DIR),--data-dir $(DATA_DIR))

scenarios: $(STAMP) ## run every shipped scenario
	$(BIN)/tenderhub scenario run scenarios/*.yaml

lint: $(STAMP) ## ruff and the import-direction contracts
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

typecheck: $(STAMP) ## mypy
	$(BIN)/mypy

test: $(STAMP) ## install what the tests need (PostgreSQL too) and run them all on SQLite and PostgreSQL
	$(MAKE) lint typecheck
	@url="$$(bash scripts/ensure-postgres.sh | tail -n 1)" && \
	echo "== the whole suite (SQLite; the db package's own tests on SQLite and PostgreSQL)" && \
	TENDERHUB_TEST_PG_URL="$$url" TENDERHUB_REQUIRE_PG=1 $(BIN)/pytest && \
	echo "== every test that uses a database, again on PostgreSQL" && \
	TENDERHUB_TEST_PG_URL="$$url" TENDERHUB_REQUIRE_PG=1 TENDERHUB_TEST_DB=postgresql $(BIN)/pytest -m db

test-sqlite: $(STAMP) ## the suite on SQLite only
	$(BIN)/pytest

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
