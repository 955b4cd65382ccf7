#!/usr/bin/env bash
# Installs everything into .venv, then lint, types and the whole test suite.
source "$(dirname "$0")/_venv.sh"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest -q -p no:cacheprovider "$@"
