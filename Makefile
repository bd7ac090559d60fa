# Two commands: `make run` sets everything up and serves the app; `make test` sets up and runs all tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app tracker
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/govuk-frontend/package.json node_modules/axe-core/package.json node_modules/sass/package.json
# GOV.UK Frontend compiled in Arial for a service not on GOV.UK (tracker/assets, tracker.web.branding).
STYLES := build/assets/govuk-frontend-generic.min.css
CHROMIUM := /usr/bin/chromium
# Tests run on every core, a file's tests on one worker (its module fixtures are built once).
# PYTEST_WORKERS= runs them in one process.
PYTEST_WORKERS ?= -n auto --dist loadfile --no-loadscope-reorder

.PHONY: setup run test test-postgres db demo bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(ASSETS) &: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

# The browser tests drive Debian's Chromium (never a browser downloaded at run time).
$(CHROMIUM):
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else echo "Chromium is missing and this is not root: the browser tests will be skipped (apt-get install chromium)"; fi

$(STYLES): $(wildcard tracker/assets/*.scss) $(ASSETS) $(INSTALLED)
	$(BIN)/python -m tracker.web.assets --force

setup: $(INSTALLED) $(ASSETS) $(STYLES) $(CHROMIUM)

db: setup
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo load
	$(FLASK) search sync

# The email sender runs in the background while the app is served (every 10 s; without
# TRACKER_MAIL_SERVER messages are only kept, for Admin > Outbox) and stops with it.
run: demo
	TRACKER_DEVELOPMENT=1 $(FLASK) notify send --every 10 & sender=$$!; \
	trap 'kill $$sender 2>/dev/null' EXIT INT TERM; \
	TRACKER_DEVELOPMENT=1 $(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pytest -q $(PYTEST_WORKERS)

# The browser tests serve their own SQLite demo site whatever the database, so they run once, in `make test`.
test-postgres: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q $(PYTEST_WORKERS) -m "not browser"

bench: setup
	$(BIN)/python -m bench

# Recall and precision of extraction on the documents in tests/corpus against their gold (no database).
eval: setup
	$(BIN)/python -m bench.eval

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache
