# ivigtrack: `make run` for the demo, `make test` for the whole suite. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= ivig-demo-2026
PORT ?= 8000

.PHONY: run test install install-test migrate seed clean check

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

seed: migrate
	$(BIN)/python manage.py seed_demo --password "$(DEMO_PASSWORD)"

## Start web (http://127.0.0.1:8000), Celery worker and beat with the demo data, on the embedded default.
run: seed
	@echo "ivigtrack on http://127.0.0.1:$(PORT)  (demo password: $(DEMO_PASSWORD); e-mails land in var/mail/)"
	PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

## Run the whole test suite (on SQLite, or on DATABASE_URL / REDIS_URL when set).
test: install-test
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit --quiet -r ivigtrack reactions -ll
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
