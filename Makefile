# Marvec: `make run` sets up and runs the whole stack; `make test` sets up and runs every test.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-test run test browser lint screenshots bench clean

# `make run` installs what runs; the test tools (the [test] extra) only come with `make test`.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

# Where the dashboard listens: `make run MARVEC_PORT=8060` (or MARVEC_HOST=0.0.0.0).
MARVEC_HOST ?= 127.0.0.1
MARVEC_PORT ?= 8050

run: setup
	MARVEC_HOST=$(MARVEC_HOST) MARVEC_PORT=$(MARVEC_PORT) $(VENV)/bin/marvec up

# Debian's Chromium and ChromeDriver for the browser tests (installed when missing).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

test: setup-test browser
	$(PY) -m pytest -q

lint: setup-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

screenshots: setup-test browser
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .marvec .pytest_cache
