# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make demo   - create .venv, install, tell the whole daily story on the embedded defaults
#   make test   - create .venv, install, lint, type-check, run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check lint types unit bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "planner needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner demo

check: $(STAMP) lint types

lint: $(STAMP)
	$(BIN)/ruff check planner bot sheets tests bench
	$(BIN)/ruff format --check planner bot sheets tests bench
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder

test: check unit

bench: $(STAMP)
	$(BIN)/python bench/store.py --series 10000 --days 730

clean:
	rm -rf $(VENV) planner-data .pytest_cache .mypy_cache .ruff_cache
