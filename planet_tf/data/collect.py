"""What a training loop keeps of the episodes it collects: TF-Agents step
metrics, checkpointed with the agent (`TrainMetrics`), updated in one traced
call (`MetricsObserver`); and `TracedPolicy`, a policy acting eagerly on
batched tensors with its action traced once.

Episodes themselves run through `planet_tf.data.episode_runner`.
"""

import tensorflow as tf
from tf_agents.eval import metric_utils
from tf_agents.metrics import tf_metrics
from tf_agents.policies import tf_policy
from tf_agents.utils import common
from tf_agents.utils import nest_utils

from planet_tf.data import replay


class TracedPolicy(tf_policy.TFPolicy):
  """Runs `policy.action` as one `tf.function`, traced once per input signature.

  For eager callers of the TF policy API (GLAMOR's goal evaluation); without
  it the encoder and the posterior step would run op by op on every step.
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

  A driver observer of unbatched numpy steps (`episode_runner.run`); the
  metrics see them batched, `[1, ...]`. Called one by one, each metric's own
  `tf.function` (`TFStepMetric._update_state`, one Python function for every
  metric) is traced once per metric and again for each trajectory structure:
  a policy with `policy_info` after random seed episodes without it. Here all
  metrics share one trace, on trajectories without `policy_info` (no metric
  reads it).
  """

  def __init__(self, metrics):
    self.metrics = list(metrics)
    self._update = tf.function(self._update_all)

  def _update_all(self, trajectory):
    for metric in self.metrics:
      metric.call(trajectory)

  def __call__(self, trajectory):
    batched = nest_utils.batch_nested_array(
        replay.without_policy_info(trajectory))
    self._update(tf.nest.map_structure(tf.convert_to_tensor, batched))

  @property
  def tracing_count(self):
    """How many times the update was traced (1 in a run)."""
    return self._update.experimental_get_tracing_count()


class TrainMetrics:
  """TF-Agents metrics of the collected episodes, checkpointed with the agent.

  `observer` updates them all from a driver; `group` is what a checkpoint
  saves. `last_return` (`LastReturn`) is updated and checkpointed with the
  others; an episode's return is read from `episode_runner.EpisodeReturn`.
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
