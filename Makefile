# The two commands a newcomer needs: `make run` and `make test`.
# Each creates ./.venv and installs what it needs first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# pytest-xdist workers: the suite waits on servers, browsers and subprocesses, so four
# keep two cores busy. PYTEST_WORKERS=0 runs it in one process; PYTEST_ARGS adds options.
PYTEST_WORKERS ?= 4
# A worker that dies ends the run with its test named, instead of being replaced: after a
# replacement, pytest-xdist 3.8 was seen waiting for ever on tests nobody had been given.
XDIST_ARGS := --max-worker-restart=0

.PHONY: run test lint check-format format install clean browser mutation

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
	$(TIMEOUT) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(XDIST_ARGS) $(PYTEST_ARGS)

## browser: Debian's Chromium for the Playwright tests (never a downloaded browser)
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

## mutation: mutation testing of the critical modules (long; not part of `make test`).
## MUTATION_ARGS picks groups or a sample, e.g. MUTATION_ARGS="signing --sample 40".
mutation: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e ".[mutation]"
	$(BIN)/python bench/mutation.py $(MUTATION_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(INSTALLED)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) .venv-official .antom-npm var .pytest_cache .mypy_cache .ruff_cache
