"""Returns of two policies that need no learning, on cartpole_balance (or another task).

  python docs/evidence/crosscheck/baselines.py [--episodes 10]
      [--task cartpole_balance]

Uniform random actions and all-zero actions, each held for the task's action
repeat (the paper's, 8 for cartpole) as the agent's are, over dm_control's episodes with random seeds
0..N-1 (no rendering: rewards only). They bracket the learning curves: random is
where a model-based agent starts; on cartpole_balance all-zero actions leave the
pole, which starts nearly upright, to fall slowly, and a learned controller must
beat that.
"""

import argparse

import numpy as np
from dm_control import suite

from planet_tf import envs


def episode_return(task, policy, seed):
  env = suite.load(task.domain, task.task, task_kwargs={'random': seed})
  rng = np.random.RandomState(seed)
  shape = env.action_spec().shape
  step, total = env.reset(), 0.0
  while not step.last():
    action = policy(rng, shape)
    for _ in range(task.action_repeat):
      step = env.step(action)
      total += step.reward or 0.0
      if step.last():
        break
  return total


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--episodes', type=int, default=10)
  parser.add_argument('--task', default='cartpole_balance',
                      help='a planet_tf.envs.TASKS key; its action repeat')
  args = parser.parse_args()
  task = envs.get_task(args.task)
  policies = {'uniform random actions': lambda rng, s: rng.uniform(-1, 1, s),
              'all-zero actions': lambda rng, s: np.zeros(s)}
  for name, policy in policies.items():
    returns = [episode_return(task, policy, seed)
               for seed in range(args.episodes)]
    print(f'{name}: mean {np.mean(returns):.0f}, standard deviation '
          f'{np.std(returns):.0f}, min {np.min(returns):.0f}, '
          f'max {np.max(returns):.0f} over {args.episodes} episodes')


if __name__ == '__main__':
  main()
