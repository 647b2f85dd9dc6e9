# Hromada: `make up` starts the platform with the demo city, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
SOURCES := requirements.txt libs/common/pyproject.toml gateway/pyproject.toml \
	$(wildcard services/*/pyproject.toml)

.PHONY: install up test bench clean

$(STAMP): $(SOURCES)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# compat editable mode: the folder gateway/ must not shadow the package gateway/gateway
	$(VENV)/bin/pip install --quiet --config-settings editable_mode=compat -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(VENV)/bin/python -m deploy.launcher up --demo

test: $(STAMP)
	bash deploy/run-tests.sh

bench: $(STAMP)
	$(VENV)/bin/python bench/pipeline.py

clean:
	rm -rf var
