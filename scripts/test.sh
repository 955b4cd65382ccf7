#!/usr/bin/env bash
# Installs everything into .venv, builds the console, then lint, types and the whole test suite.
source "$(dirname "$0")/_venv.sh"
source scripts/_console.sh
console_build
console_checks
# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest -q -p no:cacheprovider "$@"
