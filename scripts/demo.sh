#!/usr/bin/env bash
# Install jihua (base dependencies only) into .venv and run the main job on the bundled
# sample corpus: one JSON record per document in out/sample.jsonl, and an excerpt of it.
JIHUA_EXTRAS=""
source "$(dirname "$0")/_venv.sh"
mkdir -p out
.venv/bin/jihua extract corpora/sample -o out/sample.jsonl
.venv/bin/python scripts/excerpt.py out/sample.jsonl
