# Carbon-Trace: `make run` starts the application, `make test` runs the test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

run: $(STAMP)
	$(VENV_PYTHON) -m carbontrace_site.launcher

test: $(STAMP)
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever requirements.txt changes.
$(STAMP): requirements.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) var node_modules .pytest_cache
