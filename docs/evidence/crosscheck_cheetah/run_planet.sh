#!/bin/bash
# Starts or resumes one planet_tf cheetah-run run of the cross-check.
#   run_planet.sh SEED MAX_MINUTES [more bin/train flags]
# bin/train stops cleanly after MAX_MINUTES (checkpoint every episode) and the
# same command resumes. It runs from a separate clone pinned at the commit that
# added crosscheck_cheetah.gin (README.md here), so that later edits to the
# repository do not change a run that is under way.
set -euo pipefail
SEED=$1
MAX_MINUTES=$2
shift 2
CLONE=${XC_PLANET:-/work/xc/planet_tf}
PYTHON=${XC_PYTHON:-/work/main/.venv/bin/python}
RUNS=${XC_RUNS:-/work/runs/xc_cheetah}
mkdir -p "$RUNS"
export TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1
export MUJOCO_GL=${MUJOCO_GL:-egl}
cd "$CLONE"
echo "$(date -Is) $CLONE at $(git rev-parse --short HEAD): seed $SEED, $MAX_MINUTES min" \
    >> "$RUNS/planet_s$SEED.log"
exec nice -n 19 "$PYTHON" bin/train --root_dir="$RUNS/planet_s$SEED" \
    --gin_file=docs/evidence/crosscheck_cheetah/crosscheck_cheetah.gin \
    --gin_param="train_eval.seed = $SEED" --max_minutes="$MAX_MINUTES" "$@" \
    >> "$RUNS/planet_s$SEED.log" 2>&1
