#!/usr/bin/env bash
# Installs everything into .venv and runs the embedded stack in the foreground.
source "$(dirname "$0")/_venv.sh"
exec .venv/bin/wayline dev "$@"
