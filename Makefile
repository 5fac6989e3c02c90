# Two commands for a newcomer: `make run` (the site with a demo territory) and `make test`.
# Everything lands in .venv; installs re-run only when pyproject.toml or constraints.txt change.

PYTHON ?= $(shell command -v python3.11 >/dev/null 2>&1 && echo python3.11 || echo python3)
PORT ?= 5000
# A local stand-in for Stripe for card and SEPA payments (test cards: see README.md).
LOCALSTRIPE_PORT ?= 8420
PYTEST_ARGS ?=
# The app refuses to start with development defaults unless told it runs in development.
export MARKETPLACE_ENV ?= development
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PIP_INSTALL := $(BIN)/pip install --disable-pip-version-check --quiet -c constraints.txt
TRANSLATIONS := marketplace/translations

SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help run serve test test-postgres test-dates lint format migration translations clean

help:
	@echo "make run            le site sur http://127.0.0.1:$(PORT)/ avec un territoire de démo (PORT=8000 make run)"
	@echo "make serve          le serveur de production (gunicorn) sur PostgreSQL, avec le planificateur (docs/deploy.md)"
	@echo "make test           lint puis tests (DATABASE_URL=postgresql://... pour PostgreSQL, PYTEST_ARGS=\"-x tests/...\")"
	@echo "make test-postgres  la suite sur un serveur PostgreSQL jetable (scripts/with-postgres)"
	@echo "make test-dates     la suite à sept dates piégeuses : changements d'heure, fin d'année, 29 février... (scripts/calendar-sweep)"
	@echo "make lint | format  ruff check / ruff format"
	@echo "make migration m=\"ce qui change\"  une nouvelle révision Alembic à partir des modèles"
	@echo "make translations   met à jour le catalogue anglais après un changement de texte"
	@echo "make clean          supprime .venv, les caches et les fichiers générés (pas instance/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e '.[test]'
	@touch $@

# .mo files are generated (git-ignored) from the .po catalogues, when there are any.
compile_translations = @if compgen -G '$(TRANSLATIONS)/*/LC_MESSAGES/*.po' >/dev/null; then \
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS); fi

run: $(VENV)/.installed-run
	$(compile_translations)
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo
	@echo "  Site : http://127.0.0.1:$(PORT)/  (Ctrl-C arrête le site et le planificateur)"
	@echo "  Courriels de développement : instance/mail/"
	@echo "  Paiements par carte : localstripe sur le port $(LOCALSTRIPE_PORT) (carte 4242 4242 4242 4242)"
	@echo
	@trap 'kill $$scheduler $$stripe 2>/dev/null; wait $$scheduler $$stripe 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	export STRIPE_API_BASE=$${STRIPE_API_BASE-http://127.0.0.1:$(LOCALSTRIPE_PORT)}; \
	$(BIN)/localstripe --port $(LOCALSTRIPE_PORT) >instance/localstripe.log 2>&1 & stripe=$$!; \
	$(BIN)/python scripts/localstripe-webhook http://127.0.0.1:$(LOCALSTRIPE_PORT) http://127.0.0.1:$(PORT)/stripe/webhook; \
	$(FLASK) scheduler run & scheduler=$$!; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The production server (gunicorn.conf.py) and the scheduler, on the PostgreSQL of DATABASE_URL
# (and the Redis of REDIS_URL). Without DATABASE_URL: a throwaway PostgreSQL and Redis holding
# the demo territory, deleted on Ctrl-C. DEMO=1 seeds the demo territory in a real database.
serve: $(VENV)/.installed-run
	$(compile_translations)
	@if [ -z "$$DATABASE_URL" ]; then \
		echo "DATABASE_URL absent : PostgreSQL et Redis jetables, avec le territoire de démo (effacés à l'arrêt)."; \
		exec scripts/with-postgres scripts/with-redis $(MAKE) --no-print-directory serve DEMO=1; \
	fi; \
	set -e; $(FLASK) db upgrade; \
	if [ "$(DEMO)" = 1 ]; then $(FLASK) demo seed; fi; \
	echo; echo "  Site : http://127.0.0.1:$${PORT:-8000}/  (gunicorn, Ctrl-C arrête le site et le planificateur)"; echo; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	LOG_FORMAT=$${LOG_FORMAT:-json} $(FLASK) scheduler run & scheduler=$$!; \
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# axe-core for the browser tests' accessibility audit, from package-lock.json (npm ci).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm absent : apt-get install npm (audit d'accessibilité)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test: $(VENV)/.installed-test node_modules/.installed
	$(compile_translations)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@echo "pytest $(PYTEST_ARGS)"; $(BIN)/pytest $(PYTEST_ARGS) || { status=$$?; if [ $$status -eq 5 ]; then \
		echo "ÉCHEC : pytest n'a collecté aucun test (code 5) : une suite vide ne doit pas passer."; fi; \
		exit $$status; }

test-postgres:
	scripts/with-postgres $(MAKE) --no-print-directory test

# The suite at each date of scripts/calendar-sweep (PYTEST_ARGS="tests/delivery" for a part).
test-dates: $(VENV)/.installed-test
	$(compile_translations)
	scripts/calendar-sweep $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migration: $(VENV)/.installed-run
	@test -n "$(m)" || { echo 'Usage : make migration m="ce qui change"'; exit 2; }
	$(FLASK) db upgrade
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache test-artifacts build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
	find marketplace -name '*.mo' -delete

# After changing French wording: extract the messages, merge them into the English catalogue,
# then translate the new entries (the tests refuse an incomplete catalogue).
translations: $(VENV)/.installed-test
	$(BIN)/pybabel extract --width=100 -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --width=100 --no-fuzzy-matching --ignore-obsolete -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(compile_translations)
