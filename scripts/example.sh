#!/usr/bin/env bash
# The main job on the bundled example, from a fresh machine: set up, create a project from
# examples/aldermoor, ingest it, answer a few of its questions with cited sources, then build training
# data, fine-tune a LoRA model on the train split and ask it the same questions without retrieval.
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
echo; time ragtune data "$PROJECT" build
# Two epochs keep this demo to a couple of minutes on a 2-core CPU (the default is 3, with early stopping).
echo; time ragtune train "$PROJECT" --variant ft --set training.epochs=2
for question in \
  "How long is the warranty on the X200?" \
  "What is the price of the X200 in Japanese yen?"; do
  echo; echo "Q (ft, no retrieval): $question"
  ragtune ask "$PROJECT" "$question" --variant ft
done
