# Hromada: `make up` starts the platform with the demo city, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
SOURCES := requirements.txt libs/common/pyproject.toml gateway/pyproject.toml \
	$(wildcard services/*/pyproject.toml)

WEB := gateway/gateway/web
ACCOUNTS := services/accounts/accounts
CATALOGUES := $(wildcard $(WEB)/translations/*/LC_MESSAGES/messages.po) \
	$(wildcard $(ACCOUNTS)/translations/*/LC_MESSAGES/messages.po)

VENDOR := $(WEB)/static/vendor
VENDOR_STAMP := $(VENDOR)/.vendored

.PHONY: install up test bench clean messages extract-messages vendor browser

$(STAMP): $(SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# compat editable mode: the folder gateway/ must not shadow the package gateway/gateway
	$(VENV)/bin/pip install --quiet --config-settings editable_mode=compat -r requirements.txt
	$(MAKE) --no-print-directory messages
	touch $(STAMP)

install: $(STAMP) $(VENDOR_STAMP) browser
	@$(MAKE) --no-print-directory messages

# The browser tests' Chromium and chromedriver, from Debian (never a browser download):
# installed with apt-get when missing and we are root, otherwise a note on what to run.
CHROMIUM ?= /usr/bin/chromium
CHROMEDRIVER ?= /usr/bin/chromedriver
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium and chromium-driver for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium chromium-driver >/dev/null \
		|| { apt-get update -q >/dev/null && \
		     apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	else \
		echo "note: the browser tests (tests/e2e/browser) need Debian's Chromium: run" \
		     "'sudo apt-get install chromium chromium-driver' (they fail without it)"; \
	fi

# The portal's front-end packages, pinned in package-lock.json, installed from npm and copied
# into the static folder the gateway serves (fingerprinted like the rest); nothing is fetched
# from a CDN at run time. axe-core stays in node_modules: only the browser tests inject it.
vendor: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/leaflet/images
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/leaflet/LICENSE $(VENDOR)/leaflet/LICENSE.txt
	cp node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE.txt
	touch $@

# Compile the translation catalogues (.po -> .mo) of the portal and of the mails accounts
# writes; `make install` does it.
messages: $(CATALOGUES:.po=.mo)

$(WEB)/translations/%/LC_MESSAGES/messages.mo: $(WEB)/translations/%/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile -i $< -o $@ -l $*

$(ACCOUNTS)/translations/%/LC_MESSAGES/messages.mo: $(ACCOUNTS)/translations/%/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile -i $< -o $@ -l $*

# After changing a page's or a mail's text: extract the strings and merge them into both catalogues,
# then translate what is new (tests fail on any untranslated string).
extract-messages:
	$(VENV)/bin/pybabel extract -F $(WEB)/babel.cfg -k N_ --no-location --sort-output \
		--omit-header -o $(WEB)/translations/messages.pot $(WEB)
	$(VENV)/bin/pybabel update -i $(WEB)/translations/messages.pot -d $(WEB)/translations \
		--ignore-obsolete
	$(VENV)/bin/pybabel extract -F $(ACCOUNTS)/babel.cfg -k N_ --no-location --sort-output \
		--omit-header -o $(ACCOUNTS)/translations/messages.pot $(ACCOUNTS)
	$(VENV)/bin/pybabel update -i $(ACCOUNTS)/translations/messages.pot \
		-d $(ACCOUNTS)/translations --ignore-obsolete

up: $(STAMP) $(VENDOR_STAMP)
	$(VENV)/bin/python -m deploy.launcher up --demo

test: $(STAMP)
	bash deploy/run-tests.sh

bench: $(STAMP)
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf var
