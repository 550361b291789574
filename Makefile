# One command to run the dashboard, one to test it. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install worker redis clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ -f

install: $(VENV)/.installed $(CATALOGS)

run: install
	$(FLASK) db upgrade
	$(FLASK) ensure-admin
	$(FLASK) serve

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: install
	$(FLASK) worker

redis: install
	$(FLASK) redis

clean:
	rm -rf $(VENV) .pytest_cache
