#!/usr/bin/env bash
# A short check of planet_tf on a machine with a GPU, in under 10 minutes:
#   1. times one paper-size world-model update (benchmarks/train_step.py);
#   2. times one paper-size CEM action at B=1 and B=8 (benchmarks/plan_step.py);
#   3. trains the paper's cartpole_balance.gin for a fixed wall-clock budget
#      (6.5 minutes) and draws its learning curve.
# Everything goes to $OUT (default gpu_check/): train_step.json, plan_step.json,
# nvidia-smi.txt, the run directory run/, and curve.png.
#
#   benchmarks/gpu_check.sh                 # on the GPU machine, from a checkout
#   OUT=/tmp/check benchmarks/gpu_check.sh
#   benchmarks/gpu_check.sh --smoke         # CPU: tiny sizes, about a minute
#
# --smoke runs the same three steps at tiny sizes on any machine (the tests run
# it), so the script is known to work before it meets a GPU. Run it from a
# virtualenv with planet_tf installed as the README says, plus the plot extra
# (pip install -e '.[plot]').
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu_check}"
SMOKE=0
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=1; fi
mkdir -p "$OUT"
PY="${PYTHON:-python}"

if [[ $SMOKE == 1 ]]; then
  TRAIN_ARGS=(--batch 2 --length 4 --steps 1 --variants onednn+keras --timeout 300)
  PLAN_ARGS=(--batch_sizes 1 --variants graph --repeats 1 --horizon 3
             --iterations 2 --candidates 16 --top_k 4 --timeout 300)
  RUN_ARGS=(--gin_file=tiny.gin --max_minutes=0.05)
else
  # Worst case (every timeout hit): 2 x 60 + 2 x 45 + 6.5 x 60 s of training
  # plus start-up, seed episodes and the final export: under 10 minutes.
  TRAIN_ARGS=(--variants onednn+keras,onednn+keras+xla --timeout 60)
  PLAN_ARGS=(--batch_sizes 1,8 --variants graph,xla --repeats 3 --timeout 45)
  RUN_ARGS=(--gin_file=cartpole_balance.gin --max_minutes=6.5)
fi

if command -v nvidia-smi > /dev/null; then
  nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
fi
"$PY" -c 'import tensorflow as tf; print("GPUs:", tf.config.list_physical_devices("GPU"))' 2> /dev/null

echo "== train_step: $OUT/train_step.json"
"$PY" benchmarks/train_step.py "${TRAIN_ARGS[@]}" > "$OUT/train_step.json"
echo "== plan_step: $OUT/plan_step.json"
"$PY" benchmarks/plan_step.py "${PLAN_ARGS[@]}" > "$OUT/plan_step.json"
echo "== training ${RUN_ARGS[*]} in $OUT/run"
"$PY" bin/train "${RUN_ARGS[@]}" --root_dir="$OUT/run"
"$PY" bin/plot_returns --root_dir="$OUT/run" --output="$OUT/curve.png"
echo "gpu_check: done; results in $OUT"
