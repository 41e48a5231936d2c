# recipe-recommender: the developer entry points. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCKS := requirements/dev.lock requirements/embeddings.lock requirements/recommender.lock \
         requirements/llm.lock requirements/gateway.lock requirements/mlops.lock
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 -q --no-header

.PHONY: help install run test test-fast protos protos-check lint check-deploy format lock bench bench-full clean

help:
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

install: $(STAMP) ## create .venv and install every pinned, hashed dependency (idempotent)

$(STAMP): requirements/dev.lock requirements/bootstrap.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements/bootstrap.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r requirements/dev.lock
	@touch $@

run: install ## start every service locally (Ctrl-C stops them all)
	$(BIN)/python -m scripts.stack

test: install ## run the whole test suite
	$(BIN)/python -m pytest -q

test-fast: install ## unit tests only
	$(BIN)/python -m pytest -q tests/unit

protos: install ## regenerate recipes/ (Python code + .pyi stubs) from protos/
	$(BIN)/python scripts/gen_protos.py

protos-check: protos ## fail if the committed generated code is stale
	@git diff --exit-code --stat -- recipes/ || (echo "generated code is stale: run 'make protos' and commit" && exit 1)
	@test -z "$$(git status --porcelain -- recipes/)" || (git status --porcelain -- recipes/; echo "untracked generated files: run 'make protos' and commit"; exit 1)

node_modules/.bin/buf: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: install node_modules/.bin/buf ## ruff, format check, mypy and buf lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	cd protos && ../node_modules/.bin/buf lint

check-deploy: ## promtool checks of the Prometheus config and alert rules (with their unit tests)
	@command -v promtool >/dev/null || { echo "promtool missing: apt-get install prometheus"; exit 1; }
	cd deploy/prometheus && promtool check config prometheus.yml && promtool test rules alerts_test.yml

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: ## recompile every lock file from pyproject.toml
	$(UV_COMPILE) --extra dev -o requirements/dev.lock
	$(UV_COMPILE) --extra embeddings -o requirements/embeddings.lock
	$(UV_COMPILE) --extra recommender -o requirements/recommender.lock
	$(UV_COMPILE) --extra llm -o requirements/llm.lock
	$(UV_COMPILE) --extra gateway -o requirements/gateway.lock
	$(UV_COMPILE) --extra mlops -o requirements/mlops.lock

bench: install ## quick benchmarks (a few minutes); figures beside same-run baselines
	$(BIN)/python -m bench --quick

bench-full: install ## full-size benchmarks (230k synthetic catalog)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
