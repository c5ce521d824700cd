"""Collecting episodes through TF-Agents drivers into observers (replay, metrics).

Random seed episodes are collected one way, `collect_random_episodes`; a policy's
episodes run through a `DynamicEpisodeDriver` with the policy wrapped in
`TracedPolicy`. Drivers run eagerly, so Python observers (`EpisodeReplay`) stay
simple; `MetricsObserver` updates TF-Agents step metrics in one traced call.
"""

import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.eval import metric_utils
from tf_agents.metrics import tf_metrics
from tf_agents.policies import random_tf_policy
from tf_agents.policies import tf_policy
from tf_agents.utils import common

from planet_tf.data import replay


class TracedPolicy(tf_policy.TFPolicy):
  """Runs `policy.action` as one `tf.function`, traced once per input signature.

  The drivers run eagerly; without this the encoder and the posterior step would
  run op by op on every step (the planner is its own `tf.function` either way).
  """

  def __init__(self, policy):
    super().__init__(policy.time_step_spec, policy.action_spec,
                     policy.policy_state_spec, policy.info_spec,
                     automatic_state_reset=False, name=f'traced_{policy.name}')
    self._policy = policy
    self._action_fn = common.function(policy.action)

  def _action(self, time_step, policy_state, seed):
    del seed
    return self._action_fn(time_step, policy_state)

  def _get_initial_state(self, batch_size):
    return self._policy.get_initial_state(batch_size)

  def _distribution(self, time_step, policy_state):
    raise NotImplementedError('TracedPolicy only acts; use action().')


class MetricsObserver:
  """Updates TF-Agents step metrics (`NumberOfEpisodes`, ...) in one `tf.function`.

  Called one by one, each metric's own `tf.function` (`TFStepMetric._update_state`,
  one Python function for every metric) is traced once per metric and again for
  each trajectory structure: a policy with `policy_info` after random seed
  episodes without it. Here all metrics share one trace, on trajectories
  without `policy_info` (no metric reads it).
  """

  def __init__(self, metrics):
    self.metrics = list(metrics)
    self._update = tf.function(self._update_all)

  def _update_all(self, trajectory):
    for metric in self.metrics:
      metric.call(trajectory)

  def __call__(self, trajectory):
    self._update(replay.without_policy_info(trajectory))

  @property
  def tracing_count(self):
    """How many times the update was traced (1 in a run)."""
    return self._update.experimental_get_tracing_count()


class TrainMetrics:
  """TF-Agents metrics of the collected episodes, checkpointed with the agent.

  `observer` updates them all from a driver; `group` is what a checkpoint saves.
  """

  def __init__(self):
    self.number_of_episodes = tf_metrics.NumberOfEpisodes()
    self.environment_steps = tf_metrics.EnvironmentSteps()
    self.step_metrics = [self.number_of_episodes, self.environment_steps]
    self.metrics = self.step_metrics + [
        tf_metrics.AverageReturnMetric(buffer_size=10),
        tf_metrics.AverageEpisodeLengthMetric(buffer_size=10)]
    self.last_return = tf_metrics.AverageReturnMetric(name='LastReturn',
                                                      buffer_size=1)
    self.group = metric_utils.MetricsGroup(self.metrics + [self.last_return],
                                           'train_metrics')
    self.observer = MetricsObserver(self.metrics + [self.last_return])

  @property
  def episodes(self):
    return int(self.number_of_episodes.result())

  @property
  def env_steps(self):
    return int(self.environment_steps.result())


def collect_random_episodes(tf_env, observers, num_episodes=1):
  """Runs uniform random actions for `num_episodes` whole episodes.

  Seed episodes before training; random actions draw from TensorFlow's global
  generator (`tf.random.set_seed` seeds them).

  Args:
    tf_env: a `TFEnvironment` of batch size 1 (e.g. `envs.load_tf(...)`).
    observers: driver observers, e.g. an `EpisodeReplay` and a `MetricsObserver`.
    num_episodes: episodes to collect.

  An episode's return is its replay's (`EpisodeReplay.episode_returns`), or
  the metrics' (`TrainMetrics.last_return`).
  """
  policy = random_tf_policy.RandomTFPolicy(tf_env.time_step_spec(),
                                           tf_env.action_spec())
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, policy, list(observers), num_episodes=num_episodes).run()


def episode_driver(tf_env, policy, observers):
  """A driver whose `run()` collects one episode of `policy` (traced per action).

  A `TracedPolicy` is used as is, so several environments with equal specs (the
  tasks of a multi-task run) share one trace.
  """
  if not isinstance(policy, TracedPolicy):
    policy = TracedPolicy(policy)
  return dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, policy, observers, num_episodes=1)
