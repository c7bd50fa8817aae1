# One command surface for people and CI. Every install step lives here; nothing is done by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := ilos-data/demo
STAMP := $(VENV)/.installed
FEEDS := arrivals departures status_events court_events criminal_dispositions encounters designations relationships

.PHONY: run test lint typecheck bench docs clean bytecode

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# Bytecode written ahead: a process started with PYTHONDONTWRITEBYTECODE set (as on this project's
# machines) would otherwise compile every module it imports, about 1.8 s of each `ilos` command's start.
# Dependencies are compiled as they are installed; ILOS's own modules before each run and test.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src

$(DEMO)/truth/manifest.json: $(STAMP)
	$(BIN)/ilos generate --persons 5000 --seed 1 --end 2026-11-30 --out $(DEMO)

## make run: install, generate demo data, load it into the embedded store, print what was loaded,
## the overstay report and the head of a worklist
run: bytecode $(DEMO)/truth/manifest.json
	for feed in $(FEEDS); do $(BIN)/ilos ingest --no-resolve $$feed $(DEMO)/$$feed.csv || exit 1; done
	$(BIN)/ilos resolve
	$(BIN)/ilos summary
	$(BIN)/ilos report overstays --fiscal-year 2026 --as-of 2026-11-30 --format md | grep -E '^#|^\| group|^\|---|TOTAL'
	$(BIN)/ilos worklist --policy guidelines-2021 --as-of 2026-11-30 > $(DEMO)/worklist.csv && head -6 $(DEMO)/worklist.csv

## make test: lint, types, architecture contracts and the whole test suite: two workers (one per
## core, a module's tests on one worker), then the tests marked `alone` (they kill processes on a
## clock) by themselves
test: $(STAMP) bytecode lint typecheck
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not alone"
	$(BIN)/python -m pytest -m alone

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

## make bench: benchmarks; JSON in benchmarks/results/, table in docs/benchmarks.md
## make docs: regenerate the references in docs/reference/ from the code
docs: $(STAMP)
	$(BIN)/python -m ilos.entrypoints.reference

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) ilos-data .pytest_cache .mypy_cache .ruff_cache
