# Hromada: `make up` starts the platform with the demo city, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
SOURCES := requirements.txt libs/common/pyproject.toml gateway/pyproject.toml \
	$(wildcard services/*/pyproject.toml)

WEB := gateway/gateway/web
CATALOGUES := $(wildcard $(WEB)/translations/*/LC_MESSAGES/messages.po)

.PHONY: install up test bench clean messages extract-messages

$(STAMP): $(SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# compat editable mode: the folder gateway/ must not shadow the package gateway/gateway
	$(VENV)/bin/pip install --quiet --config-settings editable_mode=compat -r requirements.txt
	$(MAKE) --no-print-directory messages
	touch $(STAMP)

install: $(STAMP)
	@$(MAKE) --no-print-directory messages

# Compile the portal's translation catalogues (.po -> .mo); `make install` does it.
messages: $(CATALOGUES:.po=.mo)

$(WEB)/translations/%/LC_MESSAGES/messages.mo: $(WEB)/translations/%/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile -i $< -o $@ -l $*

# After changing a page's text: extract the strings and merge them into both catalogues,
# then translate what is new (tests fail on any untranslated string).
extract-messages:
	$(VENV)/bin/pybabel extract -F $(WEB)/babel.cfg -k N_ --no-location --sort-output \
		--omit-header -o $(WEB)/translations/messages.pot $(WEB)
	$(VENV)/bin/pybabel update -i $(WEB)/translations/messages.pot -d $(WEB)/translations \
		--ignore-obsolete

up: $(STAMP)
	$(VENV)/bin/python -m deploy.launcher up --demo

test: $(STAMP)
	bash deploy/run-tests.sh

bench: $(STAMP)
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf var
