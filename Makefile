# Carbon-Trace: `make run` starts the application, `make test` runs the test suite,
# `make bench` measures a million-row audit end to end (needs PostgreSQL and Redis).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

VENDOR := static/vendor
VENDOR_STAMP := $(VENDOR)/.installed

.PHONY: run test bench lint clean vendor

run: $(STAMP) $(VENDOR_STAMP)
	$(VENV_PYTHON) -m carbontrace_site.launcher

test: $(STAMP) $(VENDOR_STAMP)
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

# Its own database (created if missing), Redis database and queue; see docs/benchmarks.md.
bench: $(STAMP) $(VENDOR_STAMP)
	DJANGO_SETTINGS_MODULE=carbontrace_site.settings.bench $(VENV_PYTHON) manage.py bench $(BENCH_ARGS)

# Front-end libraries from npm (committed package-lock.json), copied into static/vendor/
# so that Carbon-Trace serves them itself: no CDN, works offline.
vendor: $(VENDOR_STAMP)
static/vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/swagger-ui
	# Source maps go along: collectstatic's manifest storage follows their references.
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/
	cp node_modules/cobe/dist/index.esm.js $(VENDOR)/cobe.esm.js
	cd node_modules/swagger-ui-dist && cp swagger-ui.css swagger-ui.css.map \
	   swagger-ui-bundle.js swagger-ui-bundle.js.map \
	   swagger-ui-standalone-preset.js swagger-ui-standalone-preset.js.map \
	   favicon-16x16.png favicon-32x32.png ../../$(VENDOR)/swagger-ui/
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
