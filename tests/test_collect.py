"""Collecting episodes: the one runner, random seed episodes, the one episode
return, and metrics traced once."""

from absl import logging
import numpy as np
import pytest
import tensorflow as tf
from tf_agents.metrics import tf_metrics
from tf_agents.policies import random_tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf.data import collect
from planet_tf.data import episode_runner
from planet_tf import envs
from planet_tf.data import replay as replay_lib


def _replay_for(env):
  spec = tf.nest.map_structure(
      tensor_spec.from_spec,
      replay_lib.without_policy_info(
          random_tf_policy.RandomTFPolicy(
              tensor_spec.from_spec(env.time_step_spec()),
              tensor_spec.from_spec(env.action_spec())).trajectory_spec))
  return replay_lib.EpisodeReplay(spec)


def test_random_seed_episodes_fill_the_replay():
  tf.random.set_seed(3)
  env = envs.load('cartpole_balance', episode_length=80, seed=0)  # 10 steps.
  try:
    replay = _replay_for(env)
    returns = episode_runner.EpisodeReturn()
    episode_runner.run(env, episode_runner.random_policy(env),
                       [replay, returns], num_episodes=2)
  finally:
    env.close()
  stored = replay.episode_returns()
  assert len(stored) == 2 and all(r > 0 for r in stored)
  assert returns.returns == pytest.approx(stored, rel=1e-6)
  assert replay.episode_lengths() == [11, 11]
  chunk = replay.sample(20, 11)  # Whole episodes: the chunk's rewards sum up.
  np.testing.assert_allclose(sorted(set(chunk.reward.sum(axis=1).round(3))),
                             sorted(np.round(stored, 3)), rtol=1e-5)
  assert chunk.observation.shape == (20, 11, 64, 64, 3)


def test_random_actions_draw_from_the_global_generator():
  env = envs.load('cartpole_balance', episode_length=40, seed=0)  # 5 steps.
  try:
    actions = []
    for _ in range(2):
      tf.random.set_seed(5)
      steps = []
      episode_runner.run(env, episode_runner.random_policy(env),
                         [steps.append])
      actions.append(np.stack([t.action for t in steps]))
  finally:
    env.close()
  assert actions[0].shape == (6, 1)  # Five steps and the boundary step.
  np.testing.assert_array_equal(actions[0], actions[1])


def _steps(rewards):
  """Unbatched numpy steps of one episode with `rewards`, then its boundary."""
  steps = []
  for t, reward in enumerate(rewards):
    first, last = t == 0, t == len(rewards) - 1
    steps.append(trajectory.Trajectory(
        step_type=np.int32(ts.StepType.FIRST if first else ts.StepType.MID),
        observation=np.zeros([1], np.float32), action=np.zeros([1], np.float32),
        policy_info=(),
        next_step_type=np.int32(ts.StepType.LAST if last else ts.StepType.MID),
        reward=np.float32(reward), discount=np.float32(not last)))
  steps.append(steps[-1]._replace(
      step_type=np.int32(ts.StepType.LAST),
      next_step_type=np.int32(ts.StepType.FIRST), reward=np.float32(7.0)))
  return steps


def _tf_agents_return(rewards):
  """`LastReturn`, TF-Agents' metric, after one episode of `rewards`."""
  metric = tf_metrics.AverageReturnMetric(name='LastReturn', buffer_size=1)
  observer = collect.MetricsObserver([metric])
  for step in _steps(rewards):
    observer(step)
  return float(metric.result())


def test_an_episodes_return_sums_its_rewards_in_step_order():
  # Rewards whose float32 sum depends on the order and on the accumulator.
  rewards = np.random.default_rng(0).uniform(0, 1, 1000).astype(np.float32)
  rewards[::7] *= 1e4
  float32, float64 = (episode_runner.EpisodeReturn(np.float32),
                      episode_runner.EpisodeReturn())
  for step in _steps(rewards):
    float32(step)
    float64(step)
  sequential = np.float32(0)
  for r in rewards:
    sequential = np.float32(sequential + r)
  assert float32.returns == [float(sequential)]  # The boundary's 7 left out.
  assert float32.last == _tf_agents_return(rewards)  # Bit for bit.
  in_order = 0.0  # Not sum(): from Python 3.12 it compensates its rounding.
  for r in rewards:
    in_order += float(r)
  assert float64.last == in_order
  assert float32.last != float64.last


@pytest.mark.parametrize('rewards', [
    [2.0**-140, 2.0**-140], [2.0**-120, 2.0**-140],
    [1.5 * 2.0**-126, -2.0**-126], [2.0**-140, 1.0]])
def test_the_float32_return_flushes_subnormals_as_tensorflow_does(rewards):
  assert episode_runner.episode_return(rewards, np.float32) == (
      _tf_agents_return(rewards))


def test_named_rewards_have_one_return_each():
  returns = episode_runner.EpisodeReturn()
  for step in _steps([1.0, 2.0, 3.0]):
    returns(step._replace(reward={'a': step.reward, 'b': -step.reward}))
  assert returns.returns == [{'a': 6.0, 'b': -6.0}]


def test_metrics_are_traced_once_for_random_and_policy_episodes(monkeypatch):
  warnings = []
  monkeypatch.setattr(logging, 'warning',
                      lambda msg, *args, **kwargs: warnings.append(msg % args))
  env = envs.load('cartpole_balance', episode_length=40, seed=0)
  try:
    metrics = collect.TrainMetrics()  # The five metrics of train_eval.
    observer = metrics.observer
    episode_runner.run(env, episode_runner.random_policy(env), [observer], 2)
    # A policy with policy_info, as the planner's: the same trace serves it.
    policy = random_tf_policy.RandomTFPolicy(
        tensor_spec.from_spec(env.time_step_spec()),
        tensor_spec.from_spec(env.action_spec()),
        info_spec={'predicted_return': tf.TensorSpec([], tf.float32)})
    episode_runner.run(env, episode_runner.as_py_policy(policy), [observer])
  finally:
    env.close()
  assert observer.tracing_count == 1
  assert metrics.episodes == 3 and metrics.env_steps == 15
  assert not [w for w in warnings if 'retracing' in w]
