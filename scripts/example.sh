#!/usr/bin/env bash
# The main job on the bundled example, from a fresh machine: set up, create a project from
# examples/aldermoor, ingest it, and answer a few of its questions with cited sources.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh
PROJECT="${PROJECT:-demo}"
if [ ! -f "$PROJECT/ragtune.yaml" ]; then
  ragtune init "$PROJECT" --example examples/aldermoor
fi
time ragtune ingest "$PROJECT"
for question in \
  "How long is the warranty on the X200?" \
  "Within how many days must a return be requested?" \
  "What is the price of the X200 in Japanese yen?"; do
  echo; echo "Q: $question"
  ragtune ask "$PROJECT" "$question"
done
echo; ragtune kb "$PROJECT" versions
