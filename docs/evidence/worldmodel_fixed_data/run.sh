#!/usr/bin/env bash
# The world model alone on fixed data, planet_tf against Kaixhin/PlaNet
# (README.md beside this file). Every step is resumable: rerun it.
#
#   bash run.sh setup              # the Kaixhin/PlaNet clone and venv in $XC
#   bash run.sh data               # 20 + 5 random episodes -> $RUNS/data.npz
#   bash run.sh planet [MINUTES]   # planet_tf, one thread, --max_minutes MINUTES
#   bash run.sh kaixhin [MINUTES]  # Kaixhin/PlaNet, one thread
#   bash run.sh figure             # errors.png, stills.png in $FIGURE_DIR
#
# Settings from the environment: RUNS, XC, SEED (1), UPDATES (3000),
# EVAL_EVERY (250), FIGURE_DIR (this directory).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
RUNS=${RUNS:-/work/runs/worldmodel_fixed_data}
XC=${XC:-/work/xc}
SEED=${SEED:-1}
UPDATES=${UPDATES:-3000}
EVAL_EVERY=${EVAL_EVERY:-250}
FIGURE_DIR=${FIGURE_DIR:-$HERE}
KAIXHIN_COMMIT=28c8491

# --max_minutes MINUTES when a second argument is given.
minutes() { if [ -n "${1:-}" ]; then echo "--max_minutes $1"; fi; }

case "${1:-}" in
  setup)
    if [ ! -d "$XC/PlaNet" ]; then
      git clone /work/.mirror/Kaixhin+PlaNet/repo "$XC/PlaNet"
      git -C "$XC/PlaNet" checkout "$KAIXHIN_COMMIT"
    fi
    if [ ! -x "$XC/venv/bin/python" ]; then
      python3.11 -m venv "$XC/venv"
      "$XC/venv/bin/pip" install torch==2.13.0 'numpy<2'
    fi
    ;;
  data)
    mkdir -p "$RUNS"
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
      "$REPO/.venv/bin/python" "$HERE/make_data.py" --out "$RUNS/data.npz"
    ;;
  planet)
    TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
      "$REPO/.venv/bin/python" "$HERE/train_planet.py" --data "$RUNS/data.npz" \
      --out_dir "$RUNS/planet_s$SEED" --seed "$SEED" --updates "$UPDATES" \
      --eval_every "$EVAL_EVERY" $(minutes "${2:-}")
    ;;
  kaixhin)
    OMP_NUM_THREADS=1 \
      "$XC/venv/bin/python" "$HERE/train_kaixhin.py" --kaixhin_dir "$XC/PlaNet" \
      --data "$RUNS/data.npz" --out_dir "$RUNS/kaixhin_s$SEED" --seed "$SEED" \
      --updates "$UPDATES" --eval_every "$EVAL_EVERY" $(minutes "${2:-}")
    ;;
  figure)
    "$REPO/.venv/bin/python" "$HERE/figure.py" --out_dir "$FIGURE_DIR" \
      --stills 0,1000,2000,3000 \
      "planet_tf=$RUNS/planet_s$SEED" "Kaixhin/PlaNet=$RUNS/kaixhin_s$SEED"
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 1
    ;;
esac
