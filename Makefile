# The commands the README promises and CI runs. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint typecheck bench lock clean

run: export VULNDESK_ORGANIZATION_NAME ?= Larkmoor Systems PSIRT
run: $(VENV)/.installed-run
	$(BIN)/vulndesk migrate --noinput -v 0
	$(BIN)/vulndesk demo
	PORT=$(PORT) $(BIN)/vulndesk serve

test: $(VENV)/.installed-dev lint typecheck
	$(BIN)/vulndesk makemigrations --check --dry-run -v 1
	@# The deployment checklist, under settings a production host would use (no database needed).
	VULNDESK_MODE=production VULNDESK_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		VULNDESK_ALLOWED_HOSTS=vulndesk.example VULNDESK_BASE_URL=https://vulndesk.example \
		DATABASE_URL=postgresql://check@127.0.0.1/check $(BIN)/vulndesk check --deploy --fail-level WARNING
	@echo "== pytest on SQLite =="
	$(BIN)/pytest --cov --cov-report=term
	@if [ -n "$$VULNDESK_TEST_DATABASE_URL" ]; then \
		echo "== pytest on PostgreSQL =="; \
		DATABASE_URL="$$VULNDESK_TEST_DATABASE_URL" $(BIN)/pytest; \
	else \
		echo "VULNDESK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (CI sets it)."; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--reports 1000000 --keep-database vd_bench1m" (bench/README.md).
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Regenerate the lock files after changing dependencies in pyproject.toml.
lock: $(VENV)/.installed-dev
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 pyproject.toml -o requirements/run.lock
	$(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11 --extra dev pyproject.toml -o requirements/dev.lock

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "vulndesk needs Python 3.11 or newer; set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed-run: $(VENV)/.python-ok requirements/run.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements/run.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.python-ok requirements/dev.lock pyproject.toml
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .coverage
