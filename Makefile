# Everyday commands. `make setup` is idempotent; `make run` and `make test` call it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
PORT   ?= 5000
# Test processes (pytest-xdist): one per core; each has its own browser and, on
# PostgreSQL, its own database (tests/conftest.py).
TEST_WORKERS ?= auto

.PHONY: setup python assets translations db demo run test test-fast test-pg lint bench bench-http clean

setup: python assets translations

python: $(BIN)/.installed
$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

assets: static/vendor/.installed
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor/fonts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	cp node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf \
	   node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Oblique.ttf node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-BoldOblique.ttf \
	   static/vendor/fonts/
	touch $@

translations: python
	$(FLASK) translate compile

db: python
	$(FLASK) db upgrade

demo: db
	$(FLASK) demo

run: setup demo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(FLASK) translate check
	$(BIN)/pytest -n $(TEST_WORKERS)

# Quick feedback while working: everything but the slow tests (browsers, live servers,
# fuzzing, child processes); `make test` runs them all.
test-fast: setup
	$(BIN)/pytest -m "not slow" -q -n $(TEST_WORKERS)

# The database tests again, against PostgreSQL (TEST_DATABASE_URL).
test-pg: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/pytest -m "not browser" -n $(TEST_WORKERS)

lint: python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench

# Pages through HTTP against a bare Flask hello-world (gunicorn, wrk from Debian).
bench-http: setup
	$(BIN)/python -m bench http

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
	find translations -name '*.mo' -delete
