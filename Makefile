# The two set-up commands: `make run` and `make test`. See README.md.
# The newest supported Python present (requires-python in pyproject.toml). Each candidate is run, not
# just looked up: a pyenv shim exists for every installed version but runs only the selected ones.
PYTHON ?= $(firstword $(foreach py,python3.13 python3.12 python3.11,$(if $(shell $(py) -c '' 2>/dev/null && echo ok),$(py))) python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/council
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

.PHONY: install run lint test test-sqlite test-postgres bench chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# WeasyPrint (the PDF/A minutes) needs Pango and a font; Debian has them as packages. The captions test needs
# espeak-ng.
$(STAMP): pyproject.toml | $(BIN)/python
	@if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }; \
	fi
	@# espeak-ng speaks the known sentences of the captions test (tests/captions/), as real speech.
	@if ! command -v espeak-ng >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q espeak-ng >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q espeak-ng >/dev/null; }; \
	fi
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# collectstatic: under DEBUG=0 the pages name hashed files that only it writes (config/storage.py).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
		n=$${MEDIA_WORKERS:-1}; echo "REDIS_URL is set: starting $$n media worker(s) and a captions worker as their own processes"; \
		pids=""; for w in $$(seq 0 $$((n - 1))); do \
			MEDIA_WORKERS=$$n $(BIN)/python manage.py run_media_worker --worker $$w & pids="$$pids $$!"; \
		done; \
		$(BIN)/python manage.py run_captions_worker & pids="$$pids $$!"; \
		trap 'kill $$pids 2>/dev/null' EXIT INT TERM; \
		MEDIA_WORKERS=$$n MEDIA_IN_PROCESS=0 $(BIN)/python -m config.server -b 127.0.0.1 -p 8000 asgi:application; \
	else \
		$(BIN)/python -m config.server -b 127.0.0.1 -p 8000 asgi:application; \
	fi

# Debian's chromium for the browser tests (the Playwright package drives it; it never downloads a browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; \
	fi
	@/usr/bin/chromium --version

# ruff (rules in pyproject.toml) on the whole tree, mypy on the domain and the member-media package.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Lint, then the whole suite on SQLite with the in-memory channel layer, then everything that touches
# the database again on PostgreSQL with the Redis channel layer (media and browser tests do not depend
# on the database engine, so they run once).
# Tests that run their own processes on their own SQLite file (engine_independent) and the fuzzers' wide
# search run in the first pass only; the second pass runs the fuzzers with a quarter of their examples
# (tests/helpers.py `examples`). Both passes share one collectstatic output (COLLECTED_STATIC).
COLLECTED_STATIC ?= $(CURDIR)/.test-static

test: install lint chromium
	rm -rf $(COLLECTED_STATIC)
	$(MAKE) --no-print-directory test-sqlite test-postgres

# The tests without media or a browser run on both cores (pytest-xdist: a test database and a Redis key
# prefix per worker); the media and browser tests, which measure timing and signals, one at a time.
test-sqlite:
	COLLECTED_STATIC=$(COLLECTED_STATIC) $(BIN)/pytest -p no:cacheprovider -n 2 -m "not media and not browser"
	COLLECTED_STATIC=$(COLLECTED_STATIC) $(BIN)/pytest -p no:cacheprovider -m "media or browser"

test-postgres:
	COLLECTED_STATIC=$(COLLECTED_STATIC) TEST_PASS=second_engine DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -p no:cacheprovider -n 2 -m "not media and not browser and not engine_independent"

bench: install
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .test-db*.sqlite3* staticfiles .test-static
