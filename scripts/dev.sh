#!/usr/bin/env bash
# Installs everything into .venv, builds the console and runs the embedded stack in the foreground.
source "$(dirname "$0")/_venv.sh"
source scripts/_console.sh
console_build
exec .venv/bin/wayline dev "$@"
