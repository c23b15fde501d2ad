#!/usr/bin/env bash
# Install jihua into .venv and run the main job on the bundled sample corpus.
source "$(dirname "$0")/_venv.sh"
mkdir -p out
.venv/bin/jihua extract corpora/sample -o out/sample.jsonl
echo "wrote out/sample.jsonl; the first record, indented:"
head -n 1 out/sample.jsonl | .venv/bin/python -m json.tool --no-ensure-ascii | head -n 60
