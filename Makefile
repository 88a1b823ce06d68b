# The two commands a newcomer needs: `make run` and `make test`.
# Each creates ./.venv and installs what it needs first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# pytest-xdist workers: the suite waits on servers, browsers and subprocesses, so four
# keep two cores busy. PYTEST_WORKERS=0 runs it in one process; PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 4

.PHONY: run test lint check-format format install clean browser

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

## run: a local gateway on ./var/openams.db with a ready sandbox merchant
run: $(INSTALLED)
	$(BIN)/openams dev

## test: lint, types, import contracts, then the whole suite
test: lint browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## browser: Debian's Chromium for the Playwright tests (never a downloaded browser)
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(INSTALLED)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) .venv-official var .pytest_cache .mypy_cache .ruff_cache
