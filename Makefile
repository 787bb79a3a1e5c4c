# The two contract commands are `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
DEMO_BORROWERS ?= 20000
DEMO_DAY := $(shell date -d yesterday +%F)
BENCH_LOANS ?= 1000000
BENCH_RUN_LOANS ?= 100000 1000000 3000000
BENCH_RUN_WORKERS ?= 2
BENCH_WEB_LOANS ?= 1000000
# Loans the end-of-day run ages before the rest are loaded (the run over all of them takes hours here).
# 100,000 keeps one allocation under PostgreSQL's 65,535 bound parameters, which the allocate stage exceeds.
BENCH_WEB_RUN_LOANS ?= 100000
BENCH_WEB_USERS ?= 200
BENCH_WEB_SECONDS ?= 120
BENCH_ANALYTICS_LOANS ?= 1000000

SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-wqy-microhei poppler-utils

.PHONY: demo test system-deps install install-dev lint typecheck unit bench-ledger bench-guard bench-run bench-classify bench-analytics bench-web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Debian packages the tests need: Chromium for the browser tests, CJK fonts for PDF
# letters and packs, poppler-utils to read the PDFs back. Installed only when missing.
system-deps:
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The end-of-day run of day D prepares the queues worked on D+1, so the demo portfolio
# is built and run as of yesterday: today's queues are ready when the app starts.
# The last step serves the app on http://127.0.0.1:8000 until interrupted (Ctrl-C).
demo: install
	$(BIN)/arrears db upgrade
	$(BIN)/arrears demo --borrowers $(DEMO_BORROWERS) --replace --as-of $(DEMO_DAY)
	$(BIN)/arrears scripts seed
	$(BIN)/arrears templates seed
	$(BIN)/arrears run --as-of $(DEMO_DAY) --tenant demo
	$(BIN)/arrears summary --tenant demo --as-of $(DEMO_DAY)
	$(BIN)/arrears user demo-logins --tenant demo
	@echo "Arrears is starting on http://127.0.0.1:8000 - sign in with one of the accounts above."
	$(BIN)/arrears serve --host 127.0.0.1 --port 8000

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install-dev
	$(BIN)/mypy

# Runs every test on SQLite and on PostgreSQL in one session. The 20 slowest are listed at the end, so a
# test that costs minutes is seen the day it lands (the whole of `make test` should stay under 15 minutes).
unit: install-dev
	ARREARS_TEST_POSTGRES_URL=$${ARREARS_TEST_POSTGRES_URL:-$(PG_URL)} $(BIN)/pytest -q --durations=20

test: system-deps lint typecheck unit

bench-ledger: install-dev
	$(BIN)/python -m arrears.bench.ledger --loans $(BENCH_LOANS) --postgres-url $(PG_URL) --report docs/benchmarks.md

bench-run: install-dev
	$(BIN)/python -m arrears.bench.run $(foreach n,$(BENCH_RUN_LOANS),--loans $(n)) --workers $(BENCH_RUN_WORKERS) --postgres-url $(PG_URL) --report docs/benchmarks.md

bench-guard: install-dev
	$(BIN)/python -m arrears.bench.guard --events 1000 --repeats 5000 --report docs/benchmarks.md

bench-classify: install-dev
	$(BIN)/python -m arrears.bench.classifier --repeats 20 --load-runs 7 --report docs/benchmarks.md

bench-analytics: install-dev
	$(BIN)/python -m arrears.bench.analytics $(foreach n,$(BENCH_ANALYTICS_LOANS),--loans $(n)) --postgres-url $(PG_URL) --report docs/benchmarks.md

# The load generator (locust) is only needed here: the bench extra, installed first.
bench-web: install-dev
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m arrears.bench.web --loans $(BENCH_WEB_LOANS) --run-loans $(BENCH_WEB_RUN_LOANS) --users $(BENCH_WEB_USERS) --seconds $(BENCH_WEB_SECONDS) --postgres-url $(PG_URL) --report docs/benchmarks.md

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
