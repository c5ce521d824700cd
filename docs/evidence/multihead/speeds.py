"""Forward speeds of a reward-free cheetah's heads against random actions.

  python docs/evidence/multihead/speeds.py --run_dir=RUN [--episodes=10]
      [--random_episodes=20] [--step=STEP]

Runs each head's exported policy (`RUN/policies/<step>-<head>/`, the newest
step unless --step) for N cheetah episodes, and uniform random actions in
[-1, 1] for M episodes, all with the run's action repeat. Prints, per policy,
the mean forward speed (m/s, the torso's `physics.speed()` sampled after every
agent step, averaged over the episode), the `forward` and `backward` returns,
and the episodes' range. The exports are SavedModels: no planet_tf model code
runs them. Environment seeds are 1000 + i for the heads and 2000 + i for random.
"""

import argparse
import json
import os

import numpy as np
from tf_agents.trajectories import policy_step

from planet_tf import envs
from planet_tf.evaluation import episodes as evaluation
from planet_tf import run_dir as run_dir_lib

HEADS = ('forward', 'backward')


def run_episode(env, act, initial_state):
  """One episode: `(mean speed, {head: return})`."""
  time_step, state = env.reset(), initial_state
  speeds, returns = [], {h: 0.0 for h in HEADS}
  while not time_step.is_last():
    step = act(time_step, state)
    time_step, state = env.step(step.action), step.state
    speeds.append(float(env.physics.speed()))
    for h in HEADS:
      returns[h] += float(time_step.reward[h])
  return float(np.mean(speeds)), returns


def policy_dir_of(run_dir, head, step):
  if step is None:
    return run_dir_lib.find_policy_dir(run_dir, head)
  return os.path.join(run_dir, 'policies', f'{step}-{head}')


def summarize(name, episodes):
  speeds = [s for s, _ in episodes]
  row = {'policy': name, 'episodes': len(episodes),
         'mean_speed': float(np.mean(speeds)),
         'speed_range': [float(np.min(speeds)), float(np.max(speeds))]}
  for h in HEADS:
    values = [r[h] for _, r in episodes]
    row[f'{h}_return'] = float(np.mean(values))
    row[f'{h}_return_range'] = [float(np.min(values)), float(np.max(values))]
  return row


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--run_dir', required=True)
  parser.add_argument('--episodes', type=int, default=10)
  parser.add_argument('--random_episodes', type=int, default=20)
  parser.add_argument('--step', type=int, default=None)
  args = parser.parse_args()
  env_kwargs = dict(run_dir_lib.env_settings_of_run(args.run_dir),
                    rewards=HEADS)
  rows = []
  for head in HEADS:
    policy_dir = policy_dir_of(args.run_dir, head, args.step)
    policy = evaluation.load_saved_policy(policy_dir)
    episodes = []
    for i in range(args.episodes):
      env = envs.load('cheetah_run', seed=1000 + i, **env_kwargs)
      episodes.append(run_episode(env, policy.action,
                                  policy.get_initial_state(1)))
      env.close()
    rows.append(dict(summarize(f'plan with {head}', episodes),
                     policy_dir=policy_dir))
  rng = np.random.default_rng(0)
  episodes = []
  for i in range(args.random_episodes):
    env = envs.load('cheetah_run', seed=2000 + i, **env_kwargs)
    shape = env.action_spec().shape
    episodes.append(run_episode(
        env, lambda t, s: policy_step.PolicyStep(
            rng.uniform(-1, 1, shape).astype(np.float32), ()), ()))
    env.close()
  rows.append(summarize('uniform random actions', episodes))
  for row in rows:
    print(json.dumps(row))


if __name__ == '__main__':
  main()
