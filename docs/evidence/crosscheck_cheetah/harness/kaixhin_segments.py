"""One returns.csv from a Kaixhin/PlaNet run made of resumed segments.

  python kaixhin_segments.py RUN_DIR [OUT_DIR]

Run with the PyTorch virtualenv. RUN_DIR is kaixhin_run.py's: the newest
checkpoint in checkpoints/ (experience_N.pth: the replay after episode N),
segments/metrics_K.pth (each segment's own metrics.pth; main.py starts its
metrics empty when it resumes) and flags.json (main.py's flags). Writes
OUT_DIR/eval/returns.csv (OUT_DIR defaults to RUN_DIR) with the columns of
../../crosscheck/harness/kaixhin_returns.py, which reads a single uninterrupted
run's metrics.pth and stays as it is:

- random (episodes 1..S) and collect (S+1..N) rows: each episode's return summed
  from the rewards in the replay of the newest checkpoint, the exact record of
  the episodes the run kept (an episode that a kill made main.py run again is
  there once, as run last). Every segment's `train_rewards` that the replay
  also holds must equal these sums (checked: the merge of the segments' metrics
  gives the same collect returns).
- greedy rows: the test returns of all segments, a later segment's replacing an
  earlier one's for the same episode, up to episode N.

env_steps counts agent steps (as planet_tf does), train_steps S..: C updates per
episode after the S seed episodes (--seed-episodes, --collect-interval).
"""

import csv
import glob
import json
import os
import re
import sys

import numpy as np
import torch

# main.py's defaults, for flags that flags.json does not hold.
DEFAULTS = {'--seed-episodes': 5, '--collect-interval': 100}
TOLERANCE = 0.01


def write_flags(run_dir, planet, flags):
  """Records main.py's flags and clone (kaixhin_run.py, at each start)."""
  with open(os.path.join(run_dir, 'flags.json'), 'w') as f:
    json.dump({'planet': os.path.abspath(planet), 'flags': flags}, f, indent=1)


def _flag(flags, name):
  if name not in flags:
    return DEFAULTS[name]
  return int(flags[len(flags) - flags[::-1].index(name)])  # argparse: the last


def _indexed(pattern):
  """Paths matching `pattern` (one *), sorted by the number in place of *."""
  regex = re.compile(re.escape(pattern).replace(r'\*', r'(\d+)') + '$')
  found = [(int(regex.search(p).group(1)), p) for p in glob.glob(pattern)
           if regex.search(p)]
  return [p for _, p in sorted(found)]


def episode_returns(replay):
  """[(agent steps, return)] of every episode in an ExperienceReplay."""
  if replay.full:
    raise ValueError('the replay wrapped around: --experience-size is too '
                     'small to hold every episode')
  rewards = replay.rewards[:replay.idx].astype(np.float64)
  ends = np.flatnonzero(replay.nonterminals[:replay.idx, 0] == 0)
  if len(ends) != replay.episodes:
    raise ValueError(f'{len(ends)} episode ends in the replay, which counts '
                     f'{replay.episodes} episodes')
  starts = np.concatenate([[0], ends[:-1] + 1])
  return [(int(e - s + 1), float(rewards[s:e + 1].sum()))
          for s, e in zip(starts, ends)]


def write(run_dir, out_dir=None):
  """Writes OUT_DIR/eval/returns.csv; returns its path."""
  with open(os.path.join(run_dir, 'flags.json')) as f:
    recorded = json.load(f)
  sys.path.insert(0, recorded['planet'])  # unpickling needs its memory.py
  flags = recorded['flags']
  seed_episodes = _flag(flags, '--seed-episodes')
  collect_interval = _flag(flags, '--collect-interval')
  replays = _indexed(os.path.join(run_dir, 'checkpoints', 'experience_*.pth'))
  if not replays:
    raise FileNotFoundError(f'no checkpoint in {run_dir}/checkpoints')
  # Our own files, pickled objects: weights_only would refuse them.
  episodes = episode_returns(torch.load(replays[-1], weights_only=False))
  last = len(episodes)
  train, tests = {}, {}
  for path in _indexed(os.path.join(run_dir, 'segments', 'metrics_*.pth')):
    metrics = torch.load(path, weights_only=False)
    rewards = metrics['train_rewards']
    numbers = metrics['episodes'][len(metrics['episodes']) - len(rewards):]
    train.update(zip(numbers, (float(r) for r in rewards)))
    tests.update(zip(metrics['test_episodes'], metrics['test_rewards']))
  worst = max([abs(train[e] - episodes[e - 1][1]) for e in train if e <= last],
              default=0.0)
  if worst > TOLERANCE:
    raise ValueError(f'{run_dir}: the segments\' train_rewards differ from the '
                     f'replay\'s returns by up to {worst:.3f}')
  rows, steps = [], 0
  for episode, (length, value) in enumerate(episodes, start=1):
    steps += length
    trained = max(episode - seed_episodes, 0) * collect_interval
    policy = 'random' if episode <= seed_episodes else 'collect'
    rows.append((episode, steps, trained, policy, value))
    if episode in tests:
      values = tests[episode]
      rows.append((episode, steps, trained, 'greedy',
                   sum(values) / len(values)))
  out = os.path.join(out_dir or run_dir, 'eval')
  os.makedirs(out, exist_ok=True)
  path = os.path.join(out, 'returns.csv')
  with open(path + '.tmp', 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['episodes', 'env_steps', 'train_steps', 'policy', 'return'])
    for episode, steps, trained, policy, value in rows:
      writer.writerow([episode, steps, trained, policy, f'{value:.3f}'])
  os.replace(path + '.tmp', path)
  print(f'wrote {path}: {last} episodes, {sum(e in tests for e in range(1, last + 1))}'
        f' greedy evaluations, {len([e for e in train if e <= last])} collect '
        f'returns also in the segments\' metrics (largest difference '
        f'{worst:.2g})', flush=True)
  return path


if __name__ == '__main__':
  write(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
