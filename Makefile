# Vanguard: developer and CI entry points.  `make help` lists the targets.
#
# Works from a fresh clone: .venv, node_modules and static/vendor are created
# on demand and re-created only when pyproject.toml / package-lock.json change
# (stamp files .venv/.stamp, node_modules/.stamp, static/vendor/.stamp).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV          := .venv
PY            := $(VENV)/bin/python
VENV_STAMP    := $(VENV)/.stamp
NODE_STAMP    := node_modules/.stamp
VENDOR_STAMP  := static/vendor/.stamp
SERVICES_ENV  := .make-services.env

HOST          ?= 127.0.0.1
PORT          ?= 5000
PYTEST_ARGS   ?= -n 2
BENCH_ARGS    ?=
WORKERS       ?= 2
LINT_PATHS    := server inbox tests
TYPED_PATHS   := server inbox

.PHONY: help setup venv node node_modules vendor browser services migrate run seed-demo \
        test pytest lint bench scale-out deploy-check nginx clean distclean

help:
	@echo "Targets:"
	@echo "  setup / venv   .venv with 'pip install -e .[dev]' (redone when pyproject.toml changes)"
	@echo "  node           npm ci (when package-lock.json changes) + scripts/vendor-assets.sh -> static/vendor/"
	@echo "  migrate        python -m server upgrade (Alembic to head)"
	@echo "  run            setup + node + migrate, then serve with demo data on \$$PORT ($(PORT))"
	@echo "  seed-demo      python -m server seed-demo"
	@echo "  test           browser + services checks, pytest $(PYTEST_ARGS), ruff, mypy, lint-imports"
	@echo "  pytest         only pytest (PYTEST_ARGS='$(PYTEST_ARGS)')"
	@echo "  lint           ruff check $(LINT_PATHS); mypy $(TYPED_PATHS); lint-imports"
	@echo "  bench          python -m bench $(BENCH_ARGS)"
	@echo "  scale-out      gunicorn -w $(WORKERS) on $(HOST):$(PORT) + celery worker (server.worker)"
	@echo "  deploy-check   scripts/deploy-check.sh: docs/deploy.md followed in a clean temporary folder (~2 min)"
	@echo "  browser        scripts/ensure-browser.sh (Debian chromium + CJK font)"
	@echo "  nginx          scripts/ensure-nginx.sh (Debian nginx + openssl, for tests/deploy/test_behind_nginx.py)"
	@echo "  services       scripts/ensure-services.sh (PostgreSQL, Redis) -> $(SERVICES_ENV)"
	@echo "  clean          caches, static/vendor, .make-* ; distclean: also .venv and node_modules"

# --- Python ------------------------------------------------------------------

setup venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@py=""; \
	for cand in python3.11 python3; do \
	  if command -v "$$cand" >/dev/null 2>&1 && \
	     "$$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	    py="$$cand"; break; \
	  fi; \
	done; \
	if [ -z "$$py" ]; then echo "error: Python 3.11 not found (tried python3.11, python3)" >&2; exit 1; fi; \
	if [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
	  echo "$(VENV) is not Python 3.11: recreating it"; rm -rf "$(VENV)"; \
	fi; \
	if [ ! -x "$(PY)" ]; then echo "$$py -m venv $(VENV)"; "$$py" -m venv "$(VENV)"; fi
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

# --- Front-end libraries (static files, no build step) -----------------------

node node_modules vendor: $(VENDOR_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENDOR_STAMP): $(NODE_STAMP) scripts/vendor-assets.sh scripts/bundle-bpmnlint.cjs
	bash scripts/vendor-assets.sh
	@touch $@

# --- Machine prerequisites ---------------------------------------------------

browser:
	@bash scripts/ensure-browser.sh

nginx:
	@bash scripts/ensure-nginx.sh

# Always re-checked: writes $(SERVICES_ENV) (export/unset of VANGUARD_TEST_*_URL).
services:
	@bash scripts/ensure-services.sh $(SERVICES_ENV)

# --- Application -------------------------------------------------------------

migrate: $(VENV_STAMP)
	$(PY) -m server upgrade

run: $(VENV_STAMP) $(VENDOR_STAMP) migrate
	$(PY) -m server assets
	VANGUARD_DEMO=1 PORT=$(PORT) $(PY) -m server serve

seed-demo: $(VENV_STAMP) migrate
	$(PY) -m server seed-demo

# gunicorn serves the app, celery runs the background jobs; Ctrl-C stops both.
scale-out: $(VENV_STAMP) $(VENDOR_STAMP) services migrate
	$(VENV)/bin/celery -A server.worker worker --loglevel=INFO & celery_pid=$$!; \
	trap 'kill $$celery_pid 2>/dev/null || true; wait $$celery_pid 2>/dev/null || true' EXIT; \
	trap 'exit 130' INT TERM; \
	VANGUARD_SCHEDULER=off VANGUARD_LAUNCHES=celery $(VENV)/bin/gunicorn -w $(WORKERS) -b $(HOST):$(PORT) server.wsgi:app

# --- Checks ------------------------------------------------------------------

# Runs pytest, ruff and mypy even when an earlier one fails, then fails if any did.
test: $(VENV_STAMP) $(VENDOR_STAMP) browser services
	@status=0; \
	set -a; source $(SERVICES_ENV); set +a; \
	$(PY) -m server assets; \
	echo "== pytest $(PYTEST_ARGS)"; \
	$(PY) -m pytest $(PYTEST_ARGS) -q || { echo "FAILED: pytest"; status=1; }; \
	echo "== ruff check $(LINT_PATHS)"; \
	$(VENV)/bin/ruff check $(LINT_PATHS) || { echo "FAILED: ruff"; status=1; }; \
	echo "== mypy $(TYPED_PATHS)"; \
	$(VENV)/bin/mypy $(TYPED_PATHS) || { echo "FAILED: mypy"; status=1; }; \
	echo "== lint-imports (layers: pyproject.toml [tool.importlinter])"; \
	$(VENV)/bin/lint-imports --no-cache || { echo "FAILED: lint-imports"; status=1; }; \
	exit $$status

pytest: $(VENV_STAMP) $(VENDOR_STAMP) browser services
	set -a; source $(SERVICES_ENV); set +a; \
	$(PY) -m pytest $(PYTEST_ARGS) -q

lint: $(VENV_STAMP)
	@status=0; \
	$(VENV)/bin/ruff check $(LINT_PATHS) || status=1; \
	$(VENV)/bin/mypy $(TYPED_PATHS) || status=1; \
	$(VENV)/bin/lint-imports --no-cache || status=1; \
	exit $$status

deploy-check: $(VENV_STAMP) $(VENDOR_STAMP)
	DEPLOY_CHECK_VENV=$(VENV) bash scripts/deploy-check.sh

bench: $(VENV_STAMP) services
	set -a; source $(SERVICES_ENV); set +a; \
	$(PY) -m bench $(BENCH_ARGS)

# --- Cleaning ----------------------------------------------------------------

clean:
	rm -rf static/vendor static-dist .make-* .pytest_cache .mypy_cache .ruff_cache test-artifacts *.egg-info
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
	  -type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules
