# Jixiao: the two commands a new user needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast bench install migrate demo worker lint clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# Install, migrate, load the demo region unless data exists, start the web server and the background worker.
run: $(STAMP)
	@mkdir -p var
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py load_demo --if-empty
	@DEBUG=1 $(PY) manage.py demo_logins --port $(PORT)
	@trap 'kill 0' EXIT INT TERM; \
	  DEBUG=1 $(PY) manage.py db_worker --interval 1 --no-reload & \
	  DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT) --noreload

# The whole test suite (SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL).
test: $(STAMP)
	JIXIAO_TESTING=1 $(PY) -m pytest -q

bench: $(STAMP)
	JIXIAO_TESTING=1 $(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check jixiao bench

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
