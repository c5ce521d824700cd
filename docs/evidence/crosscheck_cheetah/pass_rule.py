"""The cheetah cross-check's pass rule, from the four runs' returns.csv.

  python docs/evidence/crosscheck_cheetah/pass_rule.py \
      --planet RUN_DIR RUN_DIR --kaixhin RUN_DIR RUN_DIR [--first 31 --last 60]

Over seeds, planet_tf's mean exploring (collect) return over episodes
FIRST..LAST and its mean greedy return over the evaluations in those episodes
must each be at least Kaixhin/PlaNet's minus the larger of the two
implementations' seed ranges (the max - min of the per-seed means). Each seed's
mean comes first, then the mean of those. Prints the numbers and the verdict;
exits 1 if the rule fails, 2 if a run has not reached LAST.
"""

import argparse
import sys

import numpy as np

from planet_tf.evaluation import learning_curve


def seed_means(run_dirs, first, last):
  """{policy: [mean of each run over episodes first..last]}, and whether complete."""
  means, complete = {'collect': [], 'greedy': []}, True
  for run_dir in run_dirs:
    rows = learning_curve.read_returns(run_dir)
    complete &= max(r.episodes for r in rows) >= last
    for policy, values in means.items():
      inside = [r.value for r in rows
                if r.policy == policy and first <= r.episodes <= last]
      values.append(float(np.mean(inside)) if inside else float('nan'))
  return means, complete


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--planet', nargs='+', required=True)
  parser.add_argument('--kaixhin', nargs='+', required=True)
  parser.add_argument('--first', type=int, default=31)
  parser.add_argument('--last', type=int, default=60)
  args = parser.parse_args()
  ours, complete_ours = seed_means(args.planet, args.first, args.last)
  theirs, complete_theirs = seed_means(args.kaixhin, args.first, args.last)
  passed = True
  for policy, name in (('collect', 'exploring'), ('greedy', 'greedy')):
    a, b = np.array(ours[policy]), np.array(theirs[policy])
    margin = max(np.ptp(a), np.ptp(b))
    ok = a.mean() >= b.mean() - margin
    passed &= bool(ok)
    print(f'{name} return, episodes {args.first}-{args.last}: planet_tf '
          f'{a.mean():.1f} (seeds {", ".join(f"{v:.1f}" for v in a)}; range '
          f'{np.ptp(a):.1f}), Kaixhin/PlaNet {b.mean():.1f} (seeds '
          f'{", ".join(f"{v:.1f}" for v in b)}; range {np.ptp(b):.1f}); '
          f'{a.mean():.1f} >= {b.mean():.1f} - {margin:.1f} = '
          f'{b.mean() - margin:.1f}: {"yes" if ok else "NO"}')
  if not (complete_ours and complete_theirs):
    print(f'incomplete: not every run has reached episode {args.last}')
    return 2
  print('pass' if passed else 'FAIL')
  return 0 if passed else 1


if __name__ == '__main__':
  sys.exit(main())
