# ivigtrack: `make run` for the demo, `make test` for the whole suite. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= ivig-demo-2026
PORT ?= 8000

.PHONY: run test bench faults lighthouse css messages browser install install-test install-bench migrate seed clean check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $@

install: $(VENV)/.run-installed
install-test: $(VENV)/.test-installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo queues e-mails (a lot signal) as it seeds: their links must point where `make run` serves.
seed: migrate
	WEB_PORT=$(PORT) $(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"

## Start web (http://127.0.0.1:$(PORT), default 8000), Celery worker and beat with the demo data, on the
## embedded default. Every process gets WEB_PORT, so e-mail links (SITE_URL) point where the web serves.
run: seed
	@echo "ivigtrack on http://127.0.0.1:$(PORT)  (demo password: $(DEMO_PASSWORD); e-mails land in var/mail/)"
	WEB_PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

## The browser tests drive Debian's Chromium (Playwright cannot download browsers here).
browser:
	@scripts/ensure_apt.sh chromium chromium

## Run the whole test suite (on SQLite, or on DATABASE_URL / REDIS_URL when set), browser journeys included.
test: install-test browser
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit --quiet -r ivigtrack reactions -ll
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.bench-installed: requirements.txt bench/requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -r bench/requirements.txt
	touch $@

install-bench: $(VENV)/.bench-installed

## Benchmarks (not part of `make test`): PostgreSQL + Redis + Debian's `hey`; see bench/README.md.
## DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench; dropped and re-created), REDIS_URL
## (default redis://127.0.0.1:6379/5), BENCH_ARGS (e.g. --quick, --scale 1,10,100).
bench: install-bench
	@scripts/ensure_apt.sh hey hey
	$(BIN)/python -m bench $(BENCH_ARGS)

## Delivery fault suite (not part of `make test`): the real Celery stack, PostgreSQL, Redis and an SMTP
## listener, one fault per scenario; see bench/README.md. DATABASE_URL (default
## postgres://postgres@127.0.0.1:5432/faults; dropped and re-created), REDIS_URL (default
## redis://127.0.0.1:6379/6; flushed), FAULTS_ARGS (e.g. --quick, --smtp-down 60, --only kill,slow).
faults: install-bench
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)

## Lighthouse 12 (mobile) on the patient pages of the app run as in production; fails below the bars.
lighthouse: install-test browser
	$(BIN)/python scripts/lighthouse.py

## Rebuild the trimmed Bootstrap after using a new Bootstrap class (tests/test_css.py says when).
css: install-test
	PYTHON=$(BIN)/python scripts/build_css.sh

## Refresh the Spanish catalogue after changing user-facing text, then translate what it marks and recompile.
messages: install-test
	$(BIN)/python manage.py makemessages -l es --no-obsolete --no-wrap --add-location=file
	$(BIN)/python manage.py compilemessages -l es --ignore=.venv

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache test-artifacts
