#!/usr/bin/env bash
# Set up (if needed) and run the test suite with the real models and stores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh dev
export RAGTUNE_PROGRESS=0
python -m ruff check src tests bench
python -m pytest -q "$@"
