"""Collecting episodes: random seed episodes, and metrics traced once."""

from absl import logging
import numpy as np
import tensorflow as tf
from tf_agents.policies import random_tf_policy
from tf_agents.specs import tensor_spec

from planet_tf.data import collect
from planet_tf import envs
from planet_tf.data import replay as replay_lib


def _replay_for(tf_env):
  spec = tf.nest.map_structure(
      tensor_spec.from_spec,
      replay_lib.without_policy_info(
          random_tf_policy.RandomTFPolicy(
              tf_env.time_step_spec(), tf_env.action_spec()).trajectory_spec))
  return replay_lib.EpisodeReplay(spec)


def test_random_seed_episodes_fill_the_replay():
  tf.random.set_seed(3)
  tf_env = envs.load_tf('cartpole_balance', episode_length=80, seed=0)  # 10 steps.
  try:
    replay = _replay_for(tf_env)
    collect.collect_random_episodes(tf_env, [replay], 2)
  finally:
    tf_env.close()
  returns = replay.episode_returns()
  assert len(returns) == 2 and all(r > 0 for r in returns)
  assert replay.episode_lengths() == [11, 11]
  chunk = replay.sample(20, 11)  # Whole episodes: the chunk's rewards sum up.
  np.testing.assert_allclose(sorted(set(chunk.reward.sum(axis=1).round(3))),
                             sorted(np.round(returns, 3)), rtol=1e-5)
  assert chunk.observation.shape == (20, 11, 64, 64, 3)


def test_metrics_are_traced_once_for_random_and_policy_episodes(monkeypatch):
  warnings = []
  monkeypatch.setattr(logging, 'warning',
                      lambda msg, *args, **kwargs: warnings.append(msg % args))
  tf_env = envs.load_tf('cartpole_balance', episode_length=40, seed=0)
  try:
    metrics = collect.TrainMetrics()  # The five metrics of train_eval.
    observer = metrics.observer
    collect.collect_random_episodes(tf_env, [observer], 2)
    # A policy with policy_info, as the planner's: the same trace serves it.
    policy = random_tf_policy.RandomTFPolicy(
        tf_env.time_step_spec(), tf_env.action_spec(),
        info_spec={'predicted_return': tf.TensorSpec([], tf.float32)})
    collect.episode_driver(tf_env, policy, [observer]).run()
  finally:
    tf_env.close()
  assert observer.tracing_count == 1
  assert metrics.episodes == 3 and metrics.env_steps == 15
  assert not [w for w in warnings if 'retracing' in w]
