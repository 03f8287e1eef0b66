# Two commands matter: `make run` and `make test`. Both work on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format install migrate migrations worker bench browser-deps clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 ($(PY))"; exit 1; }
	$(PY) -m venv $(VENV)

$(STAMP): requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install -q --python $(BIN)/python --require-hashes -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python -m bot db upgrade

run: migrate
	$(BIN)/python -m bot serve

worker: migrate
	$(BIN)/python -m bot worker

test: install browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate migrations after a model change (tortoise-orm's own, dialect-neutral).
migrations: install
	$(BIN)/tortoise -c bot.db.TORTOISE_ORM makemigrations

bench: install
	$(BIN)/python -m bench

# The sandbox end-to-end test drives Debian's Chromium; install it when missing.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium + chromium-driver (sandbox browser test)"; \
			apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "chromium missing: browser tests will be skipped"; fi; \
	fi

clean:
	rm -rf $(VENV) data/app.sqlite3*
