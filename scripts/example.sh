#!/usr/bin/env bash
# The main job on the bundled example, from a fresh machine: set up, create a project from examples/aldermoor,
# ingest it, answer a question with cited sources, build training data, fine-tune the ft (LoRA on QA pairs and
# paraphrases) and hybrid (RAFT) models, compare base / rag / ft / hybrid on held-out questions with the v2
# document update (freshness) and base / few-shot / rag / ft / hybrid on the example's four tasks (ticket routing,
# RMA extraction to JSON, replies in the house style, a policy quiz), write the report and recommend. Prints where
# the time went.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
source scripts/setup.sh
PROJECT="${PROJECT:-demo}"
# Sized for a 2-core CPU (the 15-minute goal): short answers, two retrieved chunks (as many as a RAFT row holds:
# the right one and a distractor; recall@2 is 1.00 on this example), two paraphrases per question, a
# paraphrase-free RAFT set, one latency probe per variant; each model trains for a time budget (the run times its
# steps and keeps the planned steps that fit), and the evaluation samples are sized to this machine's measured
# speed (scripts/size_example.py). On a GPU or a bigger machine drop these for the defaults.
FAST=(--set generation.max_new_tokens=48 --set retrieval.k=2 --set data.paraphrases=2
      --set data.raft_paraphrases=0 --set data.raft_distractors=1 --set evaluation.latency_probes=1)
TRAIN_FT_S="${TRAIN_FT_S:-165}"
TRAIN_HYBRID_S="${TRAIN_HYBRID_S:-135}"
# bf16 batched answers only where the CPU computes bf16 natively (AVX512-BF16/AMX: ~1.7x faster); elsewhere torch
# emulates bf16 (~28x slower matrix products), so generation stays at its auto dtype (float32 on CPU).
cpu="$(python -c 'from ragtune.hardware import cpu_class; print(cpu_class())')"
if python -c 'from ragtune.hardware import cpu_has_native_bf16 as f; raise SystemExit(0 if f() else 1)'; then
  FAST+=(--set generation.dtype=bfloat16)
  echo "CPU: $cpu: batched answers in bfloat16"
else
  echo "CPU: $cpu: answers in float32 (bf16 is emulated here)"
fi
# The tasks: 24 train rows of each in the ft and hybrid training data, outputs as long as they need; their test
# rows are seeded samples sized below (all of them: drop the limits).
TASKS=(--set data.task_rows=24 --set tasks.rma_extract.max_new_tokens=64 --set tasks.reply_style.max_new_tokens=96)
# The team's situation in this example: the documents change weekly and answers must cite their sources.
TEAM=(--set constraints.content_changes=weekly --set constraints.traceable=true)
declare -a STAGES=()
stage() {  # stage NAME COMMAND...: run a command and record its wall time
  local name="$1" t0=$SECONDS
  shift
  "$@"
  STAGES+=("$(printf '%-28s %5d s' "$name" $((SECONDS - t0)))")
}
STAGES+=("$(printf '%-28s %5d s' "set up" $((SECONDS - started)))")
if [ ! -f "$PROJECT/ragtune.yaml" ]; then
  ragtune init "$PROJECT" --example examples/aldermoor
fi
stage "ingest" ragtune ingest "$PROJECT"
echo; echo "Q: How long is the warranty on the X200?"
stage "ask (rag)" ragtune ask "$PROJECT" "How long is the warranty on the X200?" "${FAST[@]}"
echo
stage "build training data" ragtune data "$PROJECT" build "${FAST[@]}" "${TASKS[@]}"
echo
stage "train ft (LoRA, ${TRAIN_FT_S} s)" ragtune train "$PROJECT" --variant ft "${FAST[@]}" --set training.epochs=2 \
  --set training.time_budget_s="$TRAIN_FT_S"
stage "train hybrid (RAFT, ${TRAIN_HYBRID_S} s)" ragtune train "$PROJECT" --variant hybrid "${FAST[@]}" \
  --set training.epochs=1 --set training.time_budget_s="$TRAIN_HYBRID_S"
echo
sizes="$(python scripts/size_example.py "$PROJECT")"  # prints what it chose
read -r -a SIZES <<< "$sizes"
stage "compare + freshness + tasks" ragtune compare "$PROJECT" --freshness "${FAST[@]}" "${TASKS[@]}" "${SIZES[@]}" \
  "${TEAM[@]}"
echo; echo "The same evidence for a team whose deployment cannot run a retrieval store:"
stage "recommend (closed env.)" ragtune recommend "$PROJECT" --no-ask --no-save "${TEAM[@]}" \
  --set constraints.traceable=null --set constraints.closed_environment=true
echo; echo "Where the time went (CPU: $cpu, $(nproc) cores):"
printf '  %s\n' "${STAGES[@]}"
printf '  %-28s %5d s\n' "total" $((SECONDS - started))
