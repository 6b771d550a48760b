# Carbon-Trace: `make run` starts the application, `make test` runs the test suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

VENDOR := static/vendor
VENDOR_STAMP := $(VENDOR)/.installed

.PHONY: run test lint clean vendor

run: $(STAMP) $(VENDOR_STAMP)
	$(VENV_PYTHON) -m carbontrace_site.launcher

test: $(STAMP) $(VENDOR_STAMP)
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

# Front-end libraries from npm (committed package-lock.json), copied into static/vendor/
# so that Carbon-Trace serves them itself: no CDN, works offline.
vendor: $(VENDOR_STAMP)
static/vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js
	cp node_modules/cobe/dist/index.esm.js $(VENDOR)/cobe.esm.js
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
	   node_modules/swagger-ui-dist/favicon-16x16.png node_modules/swagger-ui-dist/favicon-32x32.png \
	   $(VENDOR)/swagger-ui/
	touch $(VENDOR_STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)

# Reinstalled whenever requirements.txt changes.
$(STAMP): requirements.txt | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) var node_modules .pytest_cache $(VENDOR) staticfiles
