"""Compares a Dreamer run's value with the returns its last episodes realised.

    python value_check.py RUN_DIR [EPISODES]

For each of the run's last EPISODES (3) stored episodes: the posterior states
filtered from its frames and actions by the run's newest checkpoint, the
value's mean `V(s_t)` on them and the discounted return realised after each
step, `sum_k γ^k r_{t+k}` up to the episode's end (γ the run's discount).
Steps t < 150 only, so at least 100 steps of the return are seen. Prints the
mean and standard deviation over those steps of both, their correlation, and
the predicted against the true mean reward per step.
"""
import glob
import sys

import numpy as np
import tensorflow as tf

from planet_tf.loops import restore

run = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
agent = restore.restore_agent(run)
model = agent.world_model
for path in sorted(glob.glob(run + '/train/episodes/episode-*.npz'))[-count:]:
  stored = np.load(path)  # step types, frames, actions, ..., rewards, ...
  step_types, frames, actions, rewards = (
      stored['f0'], stored['f1'], stored['f2'], stored['f4'])
  prev_actions = np.concatenate([np.zeros_like(actions[:1]), actions[:-1]])
  posteriors, _ = model(tf.constant(frames[None]), tf.constant(prev_actions[None]),
                        tf.constant(step_types[None]))
  features = model.dynamics.features(posteriors)
  value = agent.value(features).mean().numpy()[0]
  predicted_reward = model.reward(features).mean().numpy()[0]
  steps, discount = len(rewards), agent.discount
  realised = np.array([
      sum(discount**k * rewards[t + k] for k in range(1, steps - t))
      for t in range(steps)])
  v, g = value[:150], realised[:150]
  print(f'{path.split("/")[-1]}: return {rewards.sum():.1f}; value mean '
        f'{v.mean():.1f}, std {v.std():.1f}; realised discounted return mean '
        f'{g.mean():.1f}, std {g.std():.1f}; correlation '
        f'{np.corrcoef(v, g)[0, 1]:.2f}; mean reward predicted '
        f'{predicted_reward[1:].mean():.3f}, true {rewards[1:].mean():.3f}')
