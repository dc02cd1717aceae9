# The README's commands. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-packages run test check lint types bench clean

# Debian packages the tests drive: Chromium for the dashboard's browser tests, docker-compose
# to validate docker-compose.yml, nginx (the production front) and wrk (the bench's load). Installed when missing and we may (root); otherwise those
# tests say they are skipped.
SYSTEM_PACKAGES := chromium chromium-driver docker-compose nginx wrk

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-packages:
	@if [ ! -x /usr/bin/chromium ] || ! command -v docker-compose >/dev/null \
	    || ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(SYSTEM_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "note: $(SYSTEM_PACKAGES) missing; browser and compose tests will be skipped"; fi; \
	fi

run: $(STAMP)
	$(BIN)/pactlog serve --port $${PORT:-8000}

test: $(STAMP) system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check events service api tests bench
	$(BIN)/ruff format --check events service api tests bench

types: $(STAMP)
	$(BIN)/mypy

check: lint types test

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
