# The two commands of the README: `make dev` runs the local stack, `make test` runs the tests.
# Each creates .venv and installs what it needs on first use (again only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: dev test lint lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,ocr]'
	touch $@

dev: $(VENV)/.installed
	$(BIN)/imgpipe dev

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# The images' dependency locks (requirements/*.txt), with hashes, resolved from PyPI for Python 3.11 on any
# platform (amd64 and arm64 images). Run after changing dependencies in pyproject.toml; a test checks they agree.
# Wheels only, but for pyvips: pure Python, published only as an sdist (the Dockerfiles build it from its hash).
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--only-binary :all: --no-binary pyvips --custom-compile-command "make lock"
lock: $(VENV)/.installed
	$(LOCK) pyproject.toml -o requirements/image.txt
	$(LOCK) pyproject.toml --extra ocr -o requirements/image-ocr.txt
	$(LOCK) requirements/build.in -o requirements/build.txt
