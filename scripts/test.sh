#!/usr/bin/env bash
# Set up (if needed) and run the test suite with the real models and stores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh dev
export RAGTUNE_PROGRESS=0
# The page test drives Debian's chromium (tests/test_page.py); install it where we can (root with apt-get).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the page test (apt-get install chromium)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "could not install chromium: the page test will be skipped"
fi
python -m ruff check src tests bench
# Two test processes (RAGTUNE_TEST_WORKERS), each a whole module at a time (module fixtures are built once) on one
# torch thread (tests/conftest.py): 10.9 min against 19-21 in one process on a 2-core CPU (docs/benchmarks.md).
python -m pytest -q -n "${RAGTUNE_TEST_WORKERS:-2}" --dist loadfile --durations=20 "$@"
