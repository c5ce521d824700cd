"""The held-out errors against updates, and the stills, of several runs.

  /work/main/.venv/bin/python figure.py --out_dir DIR --stills 0,1000,2000,3000 \
      planet_tf=/work/runs/worldmodel_fixed_data/planet_s1 \
      Kaixhin/PlaNet=/work/runs/worldmodel_fixed_data/kaixhin_s1

Writes `DIR/errors.png` (one panel per error column of metrics.csv and one of
the CPU time, every run on each) and `DIR/stills.png` (one row per update count, one column per run,
each cell truth | posterior reconstruction | open-loop prediction of the still
frame: common.STILL_*), and prints a table of each run's rows at those update
counts and its CPU seconds per update.
"""

import argparse
import csv
import os

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

import common  # pylint: disable=g-import-not-at-top

PANELS = (
    ('recon_mse', 'posterior reconstruction'),
    ('pole_mse', 'posterior reconstruction, pole pixels'),
    ('open_loop_mse', f'open loop, {common.OPEN_LOOP_LENGTH - common.CONTEXT} '
                      f'steps after {common.CONTEXT}'),
    ('open_loop_pole_mse', 'open loop, pole pixels'),
    ('reward_mse', 'reward (posterior)'),
)


def read_rows(run_dir):
  """metrics.csv as a list of dicts of floats (updates as int)."""
  with open(os.path.join(run_dir, 'metrics.csv')) as f:
    rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
  for r in rows:
    r['updates'] = int(r['updates'])
  return rows


def draw_errors(runs, path):
  """One panel per error and one of the CPU seconds, each run a line over its
  updates."""
  fig, axes = plt.subplots(2, 3, figsize=(13, 7.2))
  axes = axes.ravel()
  for ax, (column, title) in zip(axes, PANELS):
    for label, rows in runs:
      ax.plot([r['updates'] for r in rows], [r[column] for r in rows],
              marker='o', markersize=3, label=label)
    ax.set_title(title, fontsize=9)
    ax.set_yscale('log')
    ax.set_ylabel('mean squared error', fontsize=8)
  cost = axes[len(PANELS)]
  for label, rows in runs:
    cost.plot([r['updates'] for r in rows],
              [r['cpu_seconds'] / 3600 for r in rows], label=label)
  cost.set_title('CPU hours of the updates (one thread)', fontsize=9)
  for ax in axes:
    ax.set_xlabel('updates (16 chunks of 50 steps)', fontsize=8)
  axes[0].legend(fontsize=8)
  fig.suptitle('World model on fixed random cartpole_balance episodes, '
               'errors on 5 held-out episodes (images: 5-bit bin centres in '
               '[-0.5, 0.5), per pixel and channel)', fontsize=10)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def nearest_still(run_dir, updates):
  """`(updates, image)` of the stored still closest to `updates`, or None."""
  directory = os.path.join(run_dir, 'stills')
  if not os.path.isdir(directory):
    return None
  stored = [int(n[len('still-'):-len('.npy')]) for n in os.listdir(directory)
            if n.startswith('still-') and n.endswith('.npy')]
  if not stored:
    return None
  best = min(stored, key=lambda u: abs(u - updates))
  return best, np.load(os.path.join(directory, f'still-{best}.npy'))


def draw_stills(runs, dirs, updates_list, path):
  """A grid: rows are update counts, columns runs."""
  fig, axes = plt.subplots(len(updates_list), len(runs),
                           figsize=(3.6 * len(runs), 1.45 * len(updates_list)),
                           squeeze=False)
  for i, updates in enumerate(updates_list):
    for j, (label, _) in enumerate(runs):
      ax = axes[i, j]
      found = nearest_still(dirs[j], updates)
      if found is not None:
        ax.imshow(found[1], interpolation='nearest')
        ax.set_ylabel(f'{found[0]} updates', fontsize=8)
      ax.set_xticks([32, 96, 160], ['truth', 'posterior', 'open loop'],
                    fontsize=7)
      ax.set_yticks([])
      if i == 0:
        ax.set_title(label, fontsize=9)
  fig.suptitle(f'held-out episode {common.STILL_EPISODE}, frame '
               f'{common.STILL_FRAME}: open loop from frames '
               f'{common.STILL_START}..{common.STILL_START + common.CONTEXT - 1}',
               fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def print_table(runs, updates_list):
  """A markdown table of each run's rows at `updates_list`."""
  columns = [c for c, _ in PANELS]
  print('| run | updates | ' + ' | '.join(columns) + ' | CPU s / update |')
  print('| --- | ---: |' + ' ---: |' * (len(columns) + 1))
  for label, rows in runs:
    for r in rows:
      if r['updates'] not in updates_list:
        continue
      per_update = (r['cpu_seconds'] / r['updates']) if r['updates'] else 0.0
      print(f'| {label} | {r["updates"]} | ' +
            ' | '.join(f'{r[c]:.4g}' for c in columns) +
            f' | {per_update:.2f} |')


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--out_dir', required=True)
  p.add_argument('--stills', default='0,1000,2000,3000',
                 help='update counts of the stills\' rows (the nearest stored).')
  p.add_argument('runs', nargs='+', help='LABEL=RUN_DIR')
  args = p.parse_args()
  pairs = [spec.split('=', 1) for spec in args.runs]
  runs = [(label, read_rows(d)) for label, d in pairs]
  updates_list = [int(u) for u in args.stills.split(',')]
  os.makedirs(args.out_dir, exist_ok=True)
  draw_errors(runs, os.path.join(args.out_dir, 'errors.png'))
  draw_stills(runs, [d for _, d in pairs], updates_list,
              os.path.join(args.out_dir, 'stills.png'))
  print_table(runs, updates_list)


if __name__ == '__main__':
  main()
