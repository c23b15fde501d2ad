#!/usr/bin/env bash
# Install jihua with its test extras into .venv, lint, and run every test.
JIHUA_EXTRAS="test"
source "$(dirname "$0")/_venv.sh"
source scripts/browser.sh
source scripts/ocr.sh
source scripts/postgres.sh
.venv/bin/ruff check pipeline tests benchmarks corpora notebooks models scripts
.venv/bin/python -m pytest -q "$@"
