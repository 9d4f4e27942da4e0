# planner: `make run` plans the shipped default cluster (greedy against CP-SAT, out/report.html), `make test` runs the whole test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CACHE := .cache
TESTSUITE := $(CACHE)/ganeti-testsuite/usr/share/ganeti/testsuite/test/data/htools
DEFAULT := scenarios/new-node-small-5n-73i-mimic.data

.PHONY: run test testdata lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,dask]'
	touch $(STAMP)

# greedy (hbal's plan) and CP-SAT side by side, the CP-SAT plan's commands and day plan, and the HTML report
run: $(STAMP)
	$(BIN)/planner report $(DEFAULT) --html out/report.html --jobs-per-day 10 --window 09:00-17:00

# Ganeti's own test data (htools *.data, RAPI dumps): downloaded, never committed.
testdata:
	@if [ ! -d $(TESTSUITE) ] && command -v apt-get >/dev/null; then \
	  mkdir -p $(CACHE) && cd $(CACHE) && rm -f ganeti-testsuite_*.deb && \
	  (apt-get download ganeti-testsuite >/dev/null 2>&1 || echo "testdata: apt-get download failed; tests that need it will skip") && \
	  for d in ganeti-testsuite_*.deb; do [ -f "$$d" ] && dpkg-deb -x "$$d" ganeti-testsuite; done; true; \
	fi

test: $(STAMP) testdata
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check planner tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_score.py

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .hypothesis
