# Sourced by demo.sh and test.sh: a virtual environment in .venv with jihua installed.
# JIHUA_EXTRAS names the extras to add to the base install (empty for the demo, "test" for
# the tests); the base install is what `jihua extract` needs and nothing more.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $PY" >&2
  "$PY" -m venv .venv
fi
target="."
[ -n "${JIHUA_EXTRAS:-}" ] && target=".[${JIHUA_EXTRAS}]"
echo "installing jihua${JIHUA_EXTRAS:+ with extras: $JIHUA_EXTRAS} into .venv (log: .venv/install.log)" >&2
if ! { .venv/bin/python -m pip install --upgrade pip \
       && .venv/bin/python -m pip install -e "$target"; } >.venv/install.log 2>&1; then
  tail -n 30 .venv/install.log >&2
  echo "pip install failed; the whole log is in .venv/install.log" >&2
  exit 1
fi
