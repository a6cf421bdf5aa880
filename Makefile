# Doorman: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint format bench screenshots translations chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

HOST ?= 127.0.0.1
PORT ?= 5000

## run: install, upgrade the database, seed demo data on first run (printing its credentials
## then only), build the static files, serve on $HOST:$PORT (default 127.0.0.1:5000)
run: $(VENV)/.runtime
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty --users 40 --days 90 --attempts 20000
	$(BIN)/flask assets build
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: the whole suite (TEST_DATABASE_URL / TEST_REDIS_URL switch to MariaDB / Redis) on one
## pytest-xdist worker per CPU this process may use, at most two (each has its own database and
## Redis db; PYTEST_XDIST_AUTO_NUM_WORKERS=0 runs none); xdist_group keeps a group on one worker
test: $(VENV)/.dev chromium
	$(BIN)/pytest -q -p no:cacheprovider -n logical --maxprocesses 2 --dist loadgroup

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev
	$(BIN)/python -m bench.login_timing

## screenshots: the main pages at 1280 and 390 px, light and dark, on a fresh demo database,
## into docs/screenshots (TOUR_LANG=de: in that browser language, into docs/screenshots/de)
screenshots: $(VENV)/.dev chromium
	$(BIN)/python -m tools.screenshots $(if $(TOUR_LANG),--lang $(TOUR_LANG))

## translations: collect the marked strings into translations/messages.pot, merge them into
## each language's messages.po (new ones arrive untranslated), and compile the .mo files
translations: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output \
	  --project Doorman --copyright-holder "Doorman maintainers" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -N --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d translations --statistics

## chromium: the system browser for the Playwright tests (never a downloaded one)
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
