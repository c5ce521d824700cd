#!/bin/bash
# Starts or resumes one Kaixhin/PlaNet cheetah-run run of the cross-check.
#   run_kaixhin.sh SEED MAX_MINUTES [more main.py flags, which win]
# Stops cleanly after MAX_MINUTES (harness/kaixhin_run.py: a stop loses the
# episode in progress, no more); the same command resumes from the newest
# checkpoint and rewrites $XC_RUNS/kaixhin_s$SEED/eval/returns.csv.
# Kaixhin/PlaNet is a scratch clone at 28c8491 in /work/xc/PlaNet, its own
# virtualenv /work/xc/venv (README.md here): nothing of it is in this repository.
set -euo pipefail
SEED=$1
MAX_MINUTES=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
PLANET=${XC_KAIXHIN:-/work/xc/PlaNet}
VENV=${XC_VENV:-/work/xc/venv}
RUNS=${XC_RUNS:-/work/runs/xc_cheetah}
RUN_DIR=$RUNS/kaixhin_s$SEED
mkdir -p "$RUN_DIR"
# One thread; headless rendering; ../crosscheck/harness: the torchvision
# stand-in and cv2.destroyAllWindows for opencv-python-headless.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 MUJOCO_GL=egl
export PYTHONPATH=$HERE/../crosscheck/harness
# main.py loads its pickled experience replay with a bare torch.load, which
# torch >= 2.6 refuses (weights_only) unless told otherwise: our own files.
export TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1
# --experience-size: room for 60 episodes of 250 steps (main.py allocates the
# whole replay and --checkpoint-experience pickles all of it: 16000 x 3x64x64
# bytes, 197 MB, where its default of 10^6 would be 12 GB per checkpoint).
exec nice -n 19 "$VENV/bin/python" "$HERE/harness/kaixhin_run.py" \
    --planet "$PLANET" --run-dir "$RUN_DIR" --id "xc_kx_s$SEED" \
    --max-minutes "$MAX_MINUTES" -- \
    --seed "$SEED" --disable-cuda --env cheetah-run --action-repeat 4 \
    --max-episode-length 1000 --experience-size 16000 \
    --embedding-size 1024 --hidden-size 200 --belief-size 200 --state-size 30 \
    --seed-episodes 5 --episodes 60 --collect-interval 25 --batch-size 16 \
    --chunk-size 50 --planning-horizon 12 --optimisation-iters 6 \
    --candidates 200 --top-candidates 20 --test-interval 5 --test-episodes 1 \
    --checkpoint-interval 1 --free-nats 3 --bit-depth 5 --learning-rate 1e-3 \
    --adam-epsilon 1e-4 --grad-clip-norm 1000 --action-noise 0.3 "$@" \
    >> "$RUN_DIR/harness.log" 2>&1
