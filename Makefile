# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench sandbox clean redis-server postgresql

$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (first run only, about half a minute)..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/pivotal-bot demo

test: $(STAMP) redis-server postgresql lint typecheck unit

# The replica tests start their own redis-server (no persistence) and stop it at the end.
redis-server:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing redis-server (the replica tests start their own)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "redis-server is missing: install it (sudo apt-get install redis-server, or brew install redis), then run make test again"; \
	    exit 1; \
	  fi; }

# The durable-tier tests start their own PostgreSQL (a throwaway cluster) and stop it at the end.
# Debian keeps initdb in /usr/lib/postgresql/<version>/bin, off the PATH.
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing postgresql (the durable-tier tests start their own)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is missing: install it (sudo apt-get install postgresql, or brew install postgresql), then run make test again"; \
	    exit 1; \
	  fi; }

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy --strict bot

unit: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

sandbox: $(STAMP)
	$(BIN)/pivotal-bot sandbox

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
