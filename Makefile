# Kundesenter: `make run` serves the demo, `make test` checks everything.
# Both install what they need first (Python venv from constraints.txt, npm from
# package-lock.json); nothing has to be installed by hand but Python 3.11+,
# Node and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs on two processes (pytest-xdist), each with its own test database:
# the machine has two cores, and one process leaves one idle while it waits on
# PostgreSQL or Chromium. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

.PHONY: install run stop-db serve test lint typecheck migrations-check pytest bench bench-queue messages screenshots lock clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kundesenter needs Python 3.11 or newer")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Development server with the demo data and one worker for the queue (Procfile.dev),
# in this terminal; Ctrl-C stops both. DEBUG on, e-mail printed by the worker.
run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py createcachetable
	DEBUG=1 $(PY) manage.py seed_demo
	@echo "Kundesenter: http://$(HOST):$(PORT)/  (demo logins: see README.md)"
	DEBUG=1 HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

# Stop the embedded PostgreSQL (var/pgdata) by hand, e.g. one a killed `make run` left running.
stop-db:
	DEBUG=1 $(PY) manage.py embedded_postgres stop

test: install lint typecheck migrations-check pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	SECRET_KEY=check-only $(BIN)/mypy .

migrations-check:
	SECRET_KEY=check-only $(PY) manage.py makemigrations --check --dry-run

pytest:
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py

# The queue's load run (issue 16, bench/queue_load.py): two app processes, two workers,
# 32 customers and 2 staff for 3 minutes, then every case, message, export and e-mail
# checked. On a database of its own: DATABASE_URL=postgresql://…/kundesenter_queue_bench
# (created if missing), or the embedded server's kundesenter_queue_bench.
bench-queue: install
	BENCH_DB_NAME=$${BENCH_DB_NAME:-kundesenter_queue_bench} $(PY) bench/run.py queue_load

# The README's screenshots of the demo (docs/screenshots/*.png), from the code as it is.
screenshots: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py createcachetable
	$(PY) docs/screenshots/take.py

# Recompile translations after editing locale/*/LC_MESSAGES/django.po.
messages:
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

# Refresh constraints.txt from what is installed now (after changing pyproject.toml).
lock:
	{ echo "# Versions the test suite last passed with; 'make' installs with -c constraints.txt."; \
	  echo "# Refresh: make lock"; $(BIN)/pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .mypy_cache .ruff_cache
