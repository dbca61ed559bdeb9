# Everything a fresh machine needs is installed from here: the venv, torch (CPU build first, so
# sentence-transformers does not pull CUDA), the project with its extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser run test lint typecheck unit services-stop clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[embeddings,dev]'
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the inbox browser test comes from Debian (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null) \
	  || { echo "could not install chromium (need root + apt); the browser test will fail"; exit 1; }; }

run: install
	$(BIN)/fanpilot up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# pytest as three processes side by side (the fault proofs, tests/api, the rest): see scripts/test-suite.
unit: install browser
	BIN=$(BIN) scripts/test-suite

test: lint typecheck unit

services-stop: install
	$(BIN)/fanpilot services stop

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
