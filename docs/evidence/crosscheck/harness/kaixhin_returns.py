"""Writes a Kaixhin/PlaNet run's returns as planet_tf's `returns.csv`.

  python kaixhin_returns.py results/<id>/metrics.pth <out_dir> <action_repeat> \
      <seed_episodes> <collect_interval>

Run with the PyTorch virtualenv (it reads a `torch.save` file). Kaixhin/PlaNet
saves `metrics.pth` at each test; it holds one return per training episode
(random seed episodes first, then exploring CEM episodes) and the test returns.
Its `steps` entries mix agent and environment steps, so the step column is
recomputed as planet_tf counts it (agent steps: 1000 / action repeat per
episode). Kaixhin/PlaNet keeps no return of its seed episodes: no `random` rows.
"""

import csv
import os
import sys

import torch


def main(path, out_dir, action_repeat, seed_episodes, collect_interval):
  # Our own run's file; it holds numpy scalars, which weights_only refuses.
  metrics = torch.load(path, weights_only=False)
  steps_per_episode = 1000 // action_repeat
  train_returns = [float(r) for r in metrics['train_rewards']]
  tests = dict(zip(metrics['test_episodes'], metrics['test_rewards']))
  rows = []
  for episode in range(1, len(train_returns) + seed_episodes + 1):
    if episode > seed_episodes:
      rows.append((episode, 'collect', train_returns[episode - seed_episodes - 1]))
    if episode in tests:
      values = tests[episode]
      rows.append((episode, 'greedy', sum(values) / len(values)))
  os.makedirs(os.path.join(out_dir, 'eval'), exist_ok=True)
  with open(os.path.join(out_dir, 'eval', 'returns.csv'), 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['episodes', 'env_steps', 'train_steps', 'policy', 'return'])
    for episode, policy, value in rows:
      writer.writerow([episode, episode * steps_per_episode,
                       max(episode - seed_episodes, 0) * collect_interval,
                       policy, f'{value:.3f}'])


if __name__ == '__main__':
  main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
       int(sys.argv[5]))
